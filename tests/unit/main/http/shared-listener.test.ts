// The shared listener on a real store, engine and TLS port, with a stand-in scheduler: token holders invoke their
// alias (sync, async, streamed) and their API; everything else, whatever it carries, is refused or not found.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { operations, type InvocationEvent, type Operation } from "../../../../main/contract.ts";
import { createAlias } from "../../../../main/domain/aliases/aliases.ts";
import { createApi } from "../../../../main/domain/apis/apis.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken, mintApiToken, revokeToken } from "../../../../main/domain/access/tokens.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import type { Host } from "../../../../main/host.ts";
import { AuthFailures } from "../../../../main/http/native/auth-failures.ts";
import { sharedInvocation } from "../../../../main/http/native/shared-invoke.ts";
import { startSharedListener } from "../../../../main/http/shared-listener.ts";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import { Engine } from "../../../../main/invoke/engine.ts";
import { Invoker } from "../../../../main/invoke/invoker.ts";
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import type { RemoteInvokeError } from "../../../../main/remote/remote-error.ts";
import { invokeRemote } from "../../../../main/remote/remote-invoker.ts";
import { SharingRegistry } from "../../../../main/remote/sharing-registry.ts";
import type { Execution, RunOutcome, SandboxScheduler } from "../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { ensureOwnerKey } from "../../../../main/store/owner-key.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import type { InvokeOptions } from "../../../../main/vm/guest-session.ts";

/** The kept connections of a teammate's host, which these calls go through. */
const connections = new RemoteConnections();

async function world(t: TestContext, failures?: AuthFailures) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-shared-"));
  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const update = <R>(fn: Parameters<typeof store.documents.update<R>>[0]) => store.documents.update(fn);
  const { profile: owner, credentials } = await update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  for (const name of ["resize", "orders", "open"]) {
    await update((s) => createTask(s, owner.id, { name, runtime: "nodejs", handler: "i.h", code }, ctx()));
  }
  await update((s) => publishVersion(s, owner.id, { task: "resize" }, ctx()));
  const live = await update((s) =>
    createAlias(s, owner.id, { task: "resize", name: "live", version: 1 }, ctx()),
  );
  const other = await update((s) =>
    createAlias(s, owner.id, { task: "resize", name: "other", version: 1 }, ctx()),
  );
  // Tokens for teammates, as a share mints them: usable from other machines.
  const mint = (aliasId: string, expiresInS?: number, remote = true) =>
    update((s) =>
      mintAliasToken(s, owner.id, { aliasId, remote, ...(expiresInS ? { expiresInS } : {}) }, ctx()),
    );
  const good = await mint(live.id);
  const localOnly = await mint(live.id, undefined, false);
  const revoked = await mint(live.id);
  await update((s) => revokeToken(s, owner.id, { tokenId: revoked.token.id }, ctx()));
  const expiring = await mint(live.id, 1);
  const otherAlias = await mint(other.id);
  const ordersApi = await update((s) =>
    createApi(
      s,
      owner.id,
      {
        name: "orders",
        access: "token",
        routes: [{ routeKey: "GET /orders/{id}", target: { task: "orders" } }],
      },
      ctx(),
    ),
  );
  await update((s) =>
    createApi(
      s,
      owner.id,
      { name: "open", access: "public", routes: [{ routeKey: "$default", target: { task: "open" } }] },
      ctx(),
    ),
  );
  const apiToken = await update((s) =>
    mintApiToken(s, owner.id, { apiId: ordersApi.id, remote: true }, ctx()),
  );
  const localApiToken = await update((s) => mintApiToken(s, owner.id, { apiId: ordersApi.id }, ctx()));

  const runs: { exec: Execution; payload: string }[] = [];
  const scheduler = {
    run: async (exec: Execution, payload: string, opts: InvokeOptions = {}): Promise<RunOutcome> => {
      runs.push({ exec, payload });
      opts.onLog?.({ stream: "stdout", line: "working" } as never);
      opts.onLog?.({ stream: "stderr", line: "done" } as never);
      const event = JSON.parse(payload) as { rawPath?: string };
      const answer = event.rawPath ? { statusCode: 200, body: `api ${event.rawPath}` } : { got: event };
      return {
        requestId: opts.requestId ?? "r",
        ok: true,
        payload: JSON.stringify(answer),
        durationMs: 1,
        roundTripMs: 1,
        maxRssKb: 2048,
        servedVersion: exec.spec.functionVersion,
        servedConfigKey: exec.configKey,
        vm: "vm",
        coldStart: false,
        queuedMs: 0,
      } as RunOutcome;
    },
  } as unknown as SandboxScheduler;
  const engine = new Engine(store, scheduler);
  const asyncInvocations = new AsyncInvocations(engine, { dir: join(dir, "async") });
  await asyncInvocations.start();
  const invoker = new Invoker({
    store,
    engine,
    async: asyncInvocations,
    remoteConnections: new RemoteConnections(),
  });
  const app = {
    dataDir: dir,
    store,
    engine,
    async: asyncInvocations,
    invoker,
    sharing: new SharingRegistry(),
  } as unknown as Host;
  const shared = await startSharedListener({
    app,
    host: "127.0.0.2",
    port: 0,
    invoke: sharedInvocation(app),
    ...(failures ? { failures } : {}),
  });
  t.after(async () => {
    await shared.close();
    // An accepted async invocation may still be writing its record: let it finish before the folder goes.
    await Promise.race([asyncInvocations.idle(), new Promise((r) => setTimeout(r, 5000))]);
    asyncInvocations.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    shared,
    owner,
    credentials,
    runs,
    tokens: {
      good: good.secret,
      revoked: revoked.secret,
      expiring: expiring.secret,
      otherAlias: otherAlias.secret,
      api: apiToken.secret,
      localOnly: localOnly.secret,
      localApi: localApiToken.secret,
    },
  };
}

/** A raw request to the listener (certificate not checked: these tests are about what it answers). */
function call(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${url}${path}`,
      { method, headers, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const codeOf = (body: string): string => (JSON.parse(body) as { error: { code: string } }).error.code;

test("a token's holder invokes its alias sync, streamed with the owner's live logs, and async", async (t) => {
  const w = await world(t);
  assert.match(w.shared.url, /^https:\/\/127\.0\.0\.2:\d+$/);
  assert.match(w.shared.fingerprint, /^sha256:[0-9a-f]{64}$/);
  const target = { endpoint: w.shared.url, fingerprint: w.shared.fingerprint, token: w.tokens.good };

  const sync = await invokeRemote(connections, target, { payload: '{"n":1}' });
  assert.equal(sync.ok, true);
  assert.deepEqual(sync.result, { got: { n: 1 } });
  assert.equal(sync.version, "1");

  const events: InvocationEvent[] = [];
  const streamed = await invokeRemote(connections, target, {
    payload: '{"n":2}',
    onEvent: (e) => events.push(e),
  });
  assert.deepEqual(streamed.result, { got: { n: 2 } });
  assert.deepEqual(
    events.map((e) => (e.type === "log" ? `${e.stream}: ${e.line}` : e.type)),
    ["start", "stdout: working", "stderr: done"],
  );
  assert.equal(events[0]?.type === "start" && events[0].requestId, streamed.requestId);

  const accepted = await call(w.shared.url, "POST", "/v1/invoke?mode=async", {
    authorization: `Bearer ${w.tokens.good}`,
  });
  assert.equal(accepted.status, 202, accepted.body);
  assert.match((JSON.parse(accepted.body) as { requestId: string }).requestId, /^[0-9a-f-]{36}$/);
  // Naming the token's own alias is fine too.
  const named = await call(w.shared.url, "POST", "/v1/invoke?task=resize&qualifier=live", {
    authorization: `Bearer ${w.tokens.good}`,
  });
  assert.equal(named.status, 200, named.body);
  assert.ok(w.runs.every((r) => r.exec.lineKey.includes(":alias:")));
});

test("revoked, expired, another alias's and API tokens, the owner key and access keys are all refused", async (t) => {
  const w = await world(t);
  const ownerKey = await ensureOwnerKey(w.dir);
  const basic = Buffer.from(`${w.credentials.accessKeyId}:${w.credentials.secretAccessKey}`).toString(
    "base64",
  );
  await new Promise((r) => setTimeout(r, 1100));
  const refused: [string, Record<string, string>, string, string][] = [
    ["revoked", { authorization: `Bearer ${w.tokens.revoked}` }, "", "TOKEN_INVALID"],
    ["expired", { authorization: `Bearer ${w.tokens.expiring}` }, "", "TOKEN_INVALID"],
    [
      "another alias's",
      { authorization: `Bearer ${w.tokens.otherAlias}` },
      "&task=resize&qualifier=live",
      "TOKEN_INVALID",
    ],
    ["an API's", { authorization: `Bearer ${w.tokens.api}` }, "", "TOKEN_INVALID"],
    [
      "the owner key",
      { authorization: `Bearer ${ownerKey}`, "x-hearth-profile": "owner" },
      "",
      "TOKEN_INVALID",
    ],
    ["an access key", { authorization: `Basic ${basic}` }, "", "TOKEN_INVALID"],
    ["garbage", { authorization: "Bearer nonsense" }, "", "TOKEN_INVALID"],
    ["nothing", {}, "", "UNAUTHENTICATED"],
  ];
  for (const [what, headers, query, code] of refused) {
    const res = await call(w.shared.url, "POST", `/v1/invoke?mode=sync${query}`, headers, "{}");
    assert.equal(res.status, 401, `${what}: ${res.body}`);
    assert.equal(codeOf(res.body), code, what);
  }
  // Through the pinned client, the owner's code and message come back as they are.
  await assert.rejects(
    invokeRemote(
      connections,
      { endpoint: w.shared.url, fingerprint: w.shared.fingerprint, token: w.tokens.revoked },
      { payload: "{}" },
    ),
    (e: RemoteInvokeError) => e.code === "TOKEN_INVALID" && /not valid/.test(e.message),
  );
  assert.equal(w.runs.length, 0, "nothing ran for a refused call");
});

test("a token minted for the owner's machine only is refused here with 403 TOKEN_LOCAL_ONLY, alias or API", async (t) => {
  const w = await world(t);
  const res = await call(
    w.shared.url,
    "POST",
    "/v1/invoke",
    { authorization: `Bearer ${w.tokens.localOnly}` },
    "{}",
  );
  assert.equal(res.status, 403, res.body);
  assert.equal(codeOf(res.body), "TOKEN_LOCAL_ONLY");
  assert.match(res.body, /owner's machine only/);
  // Through the pinned client (a teammate's Hearth), the owner's code comes back as it is.
  await assert.rejects(
    invokeRemote(
      connections,
      { endpoint: w.shared.url, fingerprint: w.shared.fingerprint, token: w.tokens.localOnly },
      { payload: "{}" },
    ),
    (e: RemoteInvokeError) => e.code === "TOKEN_LOCAL_ONLY",
  );
  const api = await call(w.shared.url, "GET", "/apis/orders/orders/7", {
    authorization: `Bearer ${w.tokens.localApi}`,
  });
  assert.equal(api.status, 403, api.body);
  assert.equal(api.headers["x-hearth-error-code"], "TOKEN_LOCAL_ONLY");
  assert.match((JSON.parse(api.body) as { message: string }).message, /^TOKEN_LOCAL_ONLY: /);
  assert.equal(w.runs.length, 0, "nothing ran for a local-only token");
  // A valid token in the wrong place is no failed attempt: the remote-capable one still gets through.
  const ok = await call(
    w.shared.url,
    "POST",
    "/v1/invoke",
    { authorization: `Bearer ${w.tokens.good}` },
    "{}",
  );
  assert.equal(ok.status, 200, ok.body);
});

test("every management route, the Lambda API and the window are not found, whatever the credentials", async (t) => {
  const w = await world(t);
  const ownerKey = await ensureOwnerKey(w.dir);
  const basic = Buffer.from(`${w.credentials.accessKeyId}:${w.credentials.secretAccessKey}`).toString(
    "base64",
  );
  const credentials: Record<string, string>[] = [
    {},
    { authorization: `Bearer ${ownerKey}`, "x-hearth-profile": "owner" },
    { authorization: `Basic ${basic}` },
    { authorization: `Bearer ${w.tokens.good}` },
  ];
  const paths: [string, string][] = [];
  for (const o of Object.values(operations) as Operation[]) {
    if (o.path === "/v1/invoke") continue;
    paths.push([o.method, o.path.replace(/:([A-Za-z]+)/g, "x")]);
  }
  paths.push(
    ["GET", "/v1/logs/live?task=resize"],
    ["GET", "/v1/doctor"],
    ["GET", "/"],
    ["GET", "/index.html"],
    ["GET", "/v1/invoke"],
    ["POST", "/2015-03-31/functions/resize/invocations"],
    ["GET", "/2015-03-31/functions/"],
  );
  assert.ok(paths.length > 25);
  for (const [method, path] of paths) {
    for (const headers of credentials) {
      const body = method === "GET" || method === "DELETE" ? undefined : "{}";
      const res = await call(
        w.shared.url,
        method,
        path,
        { ...headers, "content-type": "application/json" },
        body,
      );
      assert.equal(res.status, 404, `${method} ${path} with ${Object.keys(headers).join(",")}: ${res.body}`);
      assert.equal(codeOf(res.body), "ROUTE_NOT_FOUND");
    }
  }
  assert.equal(w.runs.length, 0);
});

test("token APIs answer their token holders; public APIs are not served beyond the local port", async (t) => {
  const w = await world(t);
  const ok = await call(w.shared.url, "GET", "/apis/orders/orders/7", {
    authorization: `Bearer ${w.tokens.api}`,
  });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.body, "api /orders/7");
  const alias = await call(w.shared.url, "GET", "/apis/orders/orders/7", {
    authorization: `Bearer ${w.tokens.good}`,
  });
  assert.equal(alias.status, 401);
  const none = await call(w.shared.url, "GET", "/apis/orders/orders/7");
  assert.equal(none.status, 401);
  const open = await call(w.shared.url, "GET", "/apis/open/anything");
  assert.equal(open.status, 404);
  assert.equal(w.runs.length, 1);
});

test("failed attempts are counted per client address: past the limit wrong ones wait, good tokens do not", async (t) => {
  const failures = new AuthFailures({ maxFailures: 3, windowMs: 60_000 });
  const w = await world(t, failures);
  // No credentials at all is refused, and never counted.
  for (let i = 0; i < 5; i++) {
    const bare = await call(w.shared.url, "POST", "/v1/invoke");
    assert.equal(bare.status, 401);
  }
  for (let i = 0; i < 3; i++) {
    const res = await call(w.shared.url, "POST", "/v1/invoke", { authorization: "Basic eDp5" });
    assert.equal(res.status, 401);
  }
  const blocked = await call(w.shared.url, "POST", "/v1/invoke", { authorization: "Basic eDp5" });
  assert.equal(blocked.status, 429, blocked.body);
  assert.equal(codeOf(blocked.body), "TOO_MANY_ATTEMPTS");
  assert.ok(Number(blocked.headers["retry-after"]) > 0);
  const good = await call(w.shared.url, "POST", "/v1/invoke", { authorization: `Bearer ${w.tokens.good}` });
  assert.equal(good.status, 200, good.body);
  const api = await call(w.shared.url, "GET", "/apis/orders/orders/1", {
    authorization: `Bearer ${w.tokens.api}`,
  });
  assert.equal(api.status, 200, api.body);
  assert.equal(w.runs.length, 2);
  // Another address is not held back by this one's failures.
  assert.equal(failures.retryAfterMs("127.0.0.9", "malformed"), 0);
});

test("an oversized payload from a token holder is refused as too large; a malformed one as invalid", async (t) => {
  const w = await world(t);
  const auth = { authorization: `Bearer ${w.tokens.good}` };
  const big = await call(w.shared.url, "POST", "/v1/invoke", auth, "x".repeat(7 * 1024 * 1024));
  assert.equal(big.status, 413, big.body.slice(0, 200));
  assert.equal(codeOf(big.body), "PAYLOAD_TOO_LARGE");
  const bad = await call(w.shared.url, "POST", "/v1/invoke", auth, "{nope");
  assert.equal(bad.status, 400);
  assert.equal(codeOf(bad.body), "INVALID_INPUT");
  assert.equal(w.runs.length, 0);
});
