// Sharing an alias with a teammate on another machine, with two real Hearth hosts on this one: the owner shares on
// 127.0.0.2 over TLS and mints a token; the teammate imports the link as a remote alias and invokes it through the
// pinned client, with the owner's live logs. Wrong certificates and bad tokens are refused and leave no trace;
// no management route is reachable on the shared listener.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HearthClient } from "../../main/client/http-client.ts";
import { operations, type InvocationEvent, type Operation } from "../../main/contract.ts";
import { addRemote, remoteCallTarget } from "../../main/domain/sharing/remotes.ts";
import { formatShareLink } from "../../main/domain/sharing/share-link.ts";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { sharedInvocation } from "../../main/http/native/shared-invoke.ts";
import { startSharedListener, type SharedListener } from "../../main/http/shared-listener.ts";
import { RemoteInvokeError } from "../../main/remote/remote-error.ts";
import { invokeRemote, type RemoteTarget } from "../../main/remote/remote-invoker.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { ensureTlsIdentity } from "../../main/store/tls-identity.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const ownerDir = mkdtempSync(join(tmpdir(), "hearth-sharing-owner-"));
const mateDir = mkdtempSync(join(tmpdir(), "hearth-sharing-mate-"));
let ownerHost: Host;
let mateHost: Host;
let localPort: FastifyInstance;
let shared: SharedListener;
let ownerKey = "";
let alice: HearthClient;
let accessKey = { accessKeyId: "", secretAccessKey: "" };
let mateProfile = "";
let mateCredentials = { accessKeyId: "", secretAccessKey: "" };
let matePort: FastifyInstance;
let mateUrl = "";
let taskId = "";
const tokens = { live: "", revoked: "", expiring: "", other: "" };
let liveAliasId = "";

before(async () => {
  ownerHost = await Host.start({ dataDir: ownerDir });
  // The teammate's machine: its own data directory, pool and store; its VMs are never needed for a remote call.
  mateHost = await Host.start({ dataDir: mateDir, warm: 0 });
  localPort = await startServer({ host: "127.0.0.1", port: 0, app: ownerHost });
  const url = `http://127.0.0.1:${(localPort.server.address() as { port: number }).port}`;
  ownerKey = readFileSync(join(ownerDir, OWNER_KEY_FILE), "utf8").trim();
  const created = await new HearthClient(url, { kind: "owner", key: ownerKey }).call("createProfile", {
    name: "alice",
  });
  accessKey = created.credentials;
  alice = new HearthClient(url, { kind: "owner", key: ownerKey, profile: "alice" });
  const zip = (await zipFolder(fixtureDir("slow-logger"))).zip.toString("base64");
  const task = await alice.call("importTask", { zipBase64: zip, publish: true });
  taskId = task.id;
  const live = await alice.call("createAlias", { task: "slow-logger", name: "live", version: 1 });
  const other = await alice.call("createAlias", { task: "slow-logger", name: "other", version: 1 });
  liveAliasId = live.id;
  // Tokens for a teammate's machine: minted remote, as a share mints them.
  const remote = true;
  tokens.live = (await alice.call("mintToken", { aliasId: live.id, label: "teammate", remote })).secret;
  const revoked = await alice.call("mintToken", { aliasId: live.id, remote });
  await alice.call("revokeToken", { tokenId: revoked.token.id });
  tokens.revoked = revoked.secret;
  tokens.expiring = (await alice.call("mintToken", { aliasId: live.id, expiresInS: 1, remote })).secret;
  tokens.other = (await alice.call("mintToken", { aliasId: other.id, remote })).secret;
  // Sharing on: a second loopback address, over TLS only.
  shared = await startSharedListener({
    app: ownerHost,
    host: "127.0.0.2",
    port: 0,
    invoke: sharedInvocation(ownerHost),
  });

  const ctx = { now: Date.now(), random: systemRandom, sealer: mateHost.store.secrets };
  const bob = await mateHost.store.documents.update((s) => createProfile(s, { name: "bob" }, ctx));
  mateProfile = bob.profile.id;
  mateCredentials = bob.credentials;
  matePort = await startServer({ host: "127.0.0.1", port: 0, app: mateHost });
  mateUrl = `http://127.0.0.1:${(matePort.server.address() as { port: number }).port}`;
});

after(async () => {
  await shared?.close();
  await localPort?.close();
  await matePort?.close();
  await mateHost?.close();
  await ownerHost?.close();
  rmSync(ownerDir, { recursive: true, force: true });
  rmSync(mateDir, { recursive: true, force: true });
});

/** What the teammate's Hearth does with a link: keep it as a remote alias, then call through it. */
async function importLink(
  parts: { token: string; fingerprint?: string },
  name: string,
): Promise<RemoteTarget> {
  const link = formatShareLink({
    endpoint: shared.url,
    token: parts.token,
    fingerprint: parts.fingerprint ?? shared.fingerprint,
    name,
  });
  const ctx = { now: Date.now(), random: systemRandom, sealer: mateHost.store.secrets };
  await mateHost.store.documents.update((s) => addRemote(s, mateProfile, { link }, ctx));
  const state = mateHost.store.documents.state;
  assert.ok(!readFileSync(join(mateDir, "hearth.json"), "utf8").includes(parts.token), "the token is sealed");
  return remoteCallTarget(state, mateProfile, name, mateHost.store.secrets);
}

async function ownerRecords(): Promise<number> {
  await ownerHost.logs.flush();
  return (await ownerHost.logs.files.query(taskId)).length;
}

async function refusedWith(p: Promise<unknown>, code: string): Promise<RemoteInvokeError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RemoteInvokeError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${shared.url}${path}`,
      { method, headers, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("the shared listener is TLS on 127.0.0.2 with the data directory's certificate", async () => {
  assert.match(shared.url, /^https:\/\/127\.0\.0\.2:\d+$/);
  const identity = await ensureTlsIdentity(ownerDir);
  assert.equal(shared.fingerprint, identity.fingerprint);
  assert.match(identity.subjectAltName, /IP Address:127\.0\.0\.2/);
});

test("the teammate invokes the shared alias, sync and with the owner's live logs streamed back", async () => {
  const target = await importLink({ token: tokens.live }, "logger");
  const sync = await invokeRemote(mateHost.remoteConnections, target, { payload: '{"lines":2}' });
  assert.equal(sync.ok, true, JSON.stringify(sync));
  assert.deepEqual(sync.result, { lines: 2 });
  assert.equal(sync.version, "1");

  const seen: { e: InvocationEvent; at: number }[] = [];
  const streamed = await invokeRemote(mateHost.remoteConnections, target, {
    payload: '{"lines":4}',
    onEvent: (e) => seen.push({ e, at: Date.now() }),
  });
  const done = Date.now();
  assert.deepEqual(streamed.result, { lines: 4 });
  assert.equal(seen[0]?.e.type, "start");
  const lines = seen.filter((s) => s.e.type === "log");
  assert.deepEqual(
    lines.map((s) => (s.e.type === "log" ? s.e.line : "")),
    ["line 1 of 4", "line 2 of 4", "line 3 of 4", "line 4 of 4"],
  );
  // Live: the first line arrived while the task still had ~600 ms of lines to print.
  assert.ok(done - lines[0]!.at >= 400, `first line ${done - lines[0]!.at} ms before the result`);
  // The owner sees the teammate's invocations in the task's log, as the alias holder's.
  assert.ok((await ownerRecords()) >= 6);
});

test("through the teammate's own port and the AWS SDK, by its local name, with live logs", async () => {
  const bob = new HearthClient(mateUrl, {
    kind: "access-key",
    accessKeyId: mateCredentials.accessKeyId,
    secretAccessKey: mateCredentials.secretAccessKey,
  });
  const link = formatShareLink({
    endpoint: shared.url,
    token: tokens.live,
    fingerprint: shared.fingerprint,
    name: "their-logger",
  });
  const added = await bob.call("addRemote", { link });
  assert.equal(added.name, "their-logger");
  const seen: { e: InvocationEvent; at: number }[] = [];
  for await (const e of bob.invokeStream({ task: "their-logger", payload: '{"lines":3}' })) {
    seen.push({ e, at: Date.now() });
  }
  const last = seen.at(-1)!;
  assert.ok(last.e.type === "result" && last.e.result.ok, JSON.stringify(last.e));
  const logs = seen.filter((s) => s.e.type === "log");
  assert.equal(logs.length, 3);
  assert.ok(last.at - logs[0]!.at >= 250, "the first line arrived before the task had finished");

  const lambda = new LambdaClient({
    endpoint: mateUrl,
    region: "us-east-1",
    credentials: mateCredentials,
    maxAttempts: 1,
  });
  try {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: "their-logger",
        Payload: new TextEncoder().encode('{"lines":1}'),
        LogType: "Tail",
      }),
    );
    assert.equal(out.StatusCode, 200);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(out.Payload)), { lines: 1 });
    assert.match(Buffer.from(out.LogResult ?? "", "base64").toString("utf8"), /line 1 of 1/);
  } finally {
    lambda.destroy();
  }
  // Nothing of it ran on the teammate's machine.
  assert.equal(mateHost.pool.list().length, 0);
});

test("a wrong fingerprint, a revoked, an expired or another alias's token are refused and leave no trace", async () => {
  const before = await ownerRecords();
  const other = await ensureTlsIdentity(mkdtempSync(join(tmpdir(), "hearth-sharing-other-")));
  const pinnedWrong = await importLink({ token: tokens.live, fingerprint: other.fingerprint }, "wrong-pin");
  const mismatch = await refusedWith(
    invokeRemote(mateHost.remoteConnections, pinnedWrong, { payload: "{}" }),
    "REMOTE_FINGERPRINT_MISMATCH",
  );
  assert.match(mismatch.message, /nothing was sent/);

  const revoked = await importLink({ token: tokens.revoked }, "revoked");
  const e = await refusedWith(
    invokeRemote(mateHost.remoteConnections, revoked, { payload: "{}" }),
    "TOKEN_INVALID",
  );
  assert.match(e.message, /the owner's Hearth at https:\/\/127\.0\.0\.2:\d+ answered/);
  await new Promise((r) => setTimeout(r, 1100));
  const expired = await importLink({ token: tokens.expiring }, "expired");
  await refusedWith(
    invokeRemote(mateHost.remoteConnections, expired, { payload: "{}", onEvent: () => {} }),
    "TOKEN_INVALID",
  );
  // The token of alias "other", naming alias "live".
  const foreign = await call(
    "POST",
    "/v1/invoke?task=slow-logger&qualifier=live",
    { authorization: `Bearer ${tokens.other}` },
    "{}",
  );
  assert.equal(foreign.status, 401, foreign.body);
  assert.equal((JSON.parse(foreign.body) as { error: { code: string } }).error.code, "TOKEN_INVALID");

  assert.equal(await ownerRecords(), before, "no log record for a refused call");
  assert.deepEqual(
    readdirSync(join(ownerDir, "async")).filter((f) => f.endsWith(".json")),
    [],
    "nothing queued",
  );
});

test("a token minted for local use is refused on the shared listener, while a share's token works there", async () => {
  const before = await ownerRecords();
  const local = await alice.call("mintToken", { aliasId: liveAliasId, label: "local script" });
  assert.equal(local.token.remote, false);
  // It works on the owner's own port...
  const localPortUrl = `http://127.0.0.1:${(localPort.server.address() as { port: number }).port}`;
  const here = await new HearthClient(localPortUrl, { kind: "token", token: local.secret }).call("invoke", {
    payload: '{"lines":1}',
  });
  assert.equal(here.ok, true, JSON.stringify(here));
  const afterLocal = await ownerRecords();
  // ...and not from the teammate's machine: 403 with its own code, through their Hearth and directly.
  const target = await importLink({ token: local.secret }, "local-only");
  const refused = await refusedWith(
    invokeRemote(mateHost.remoteConnections, target, { payload: "{}" }),
    "TOKEN_LOCAL_ONLY",
  );
  assert.equal(refused.status, 403);
  assert.match(refused.message, /owner's machine only/);
  const direct = await call("POST", "/v1/invoke", { authorization: `Bearer ${local.secret}` }, "{}");
  assert.equal(direct.status, 403, direct.body);
  assert.equal((JSON.parse(direct.body) as { error: { code: string } }).error.code, "TOKEN_LOCAL_ONLY");
  assert.equal(await ownerRecords(), afterLocal, "no log record for a refused call");

  // A share mints a token that works from the other machine, through the link it answers.
  const share = await alice.call("shareAlias", { aliasId: liveAliasId, name: "shared-logger" });
  assert.equal(share.token.remote, true);
  const ctx = { now: Date.now(), random: systemRandom, sealer: mateHost.store.secrets };
  await mateHost.store.documents.update((s) => addRemote(s, mateProfile, { link: share.link }, ctx));
  const shareTarget = remoteCallTarget(
    mateHost.store.documents.state,
    mateProfile,
    "shared-logger",
    mateHost.store.secrets,
  );
  const ok = await invokeRemote(mateHost.remoteConnections, shareTarget, { payload: '{"lines":1}' });
  assert.equal(ok.ok, true, JSON.stringify(ok));
  assert.ok((await ownerRecords()) > afterLocal && afterLocal > before);
  // The owner's token list says which is which.
  const listed = await alice.call("listTokens", {});
  assert.equal(listed.find((t) => t.id === local.token.id)?.remote, false);
  assert.equal(listed.find((t) => t.id === share.token.id)?.remote, true);
});

test("no management route is reachable on the shared listener, whatever the credentials", async () => {
  const basic = Buffer.from(`${accessKey.accessKeyId}:${accessKey.secretAccessKey}`).toString("base64");
  const credentials: Record<string, string>[] = [
    {},
    { authorization: `Bearer ${ownerKey}`, "x-hearth-profile": "alice" },
    { authorization: `Basic ${basic}` },
    { authorization: `Bearer ${tokens.live}` },
  ];
  const routes: [string, string][] = (Object.values(operations) as Operation[])
    .filter((o) => o.path !== "/v1/invoke")
    .map((o) => [o.method, o.path.replace(/:([A-Za-z]+)/g, "slow-logger")]);
  routes.push(
    ["GET", "/v1/logs/live?task=slow-logger"],
    ["GET", "/v1/doctor"],
    ["GET", "/"],
    ["POST", "/2015-03-31/functions/slow-logger/invocations"],
  );
  for (const [method, path] of routes) {
    for (const headers of credentials) {
      const res = await call(
        method,
        path,
        { ...headers, "content-type": "application/json" },
        method === "GET" || method === "DELETE" ? undefined : "{}",
      );
      assert.equal(res.status, 404, `${method} ${path}: ${res.body}`);
    }
  }
  // The owner key is refused on the invocation route itself, as a bad token.
  const owner = await call("POST", "/v1/invoke", { authorization: `Bearer ${ownerKey}` }, "{}");
  assert.equal(owner.status, 401);
  // And the owner's local port still answers the owner as before.
  assert.equal((await alice.call("listTasks", {})).length, 1);
});
