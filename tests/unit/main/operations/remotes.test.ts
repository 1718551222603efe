// Two Hearth servers on real stores and ports, with stand-in schedulers: the owner serves with sharing on, the
// teammate imports the link through its own native API and invokes the remote alias by its local name (sync,
// streamed, and through the Lambda API with the AWS SDK); wrong pins and refusals come back with clear codes.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { HearthApiError, HearthClient } from "../../../../main/client/http-client.ts";
import type { InvocationEvent } from "../../../../main/contract.ts";
import { createAlias } from "../../../../main/domain/aliases/aliases.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { formatShareLink } from "../../../../main/domain/sharing/share-link.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken, revokeToken } from "../../../../main/domain/access/tokens.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import type { Host } from "../../../../main/host.ts";
import { SERVE_FILE, startServer, type ServeFile } from "../../../../main/http/server.ts";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import { Engine } from "../../../../main/invoke/engine.ts";
import { Invoker } from "../../../../main/invoke/invoker.ts";
import type { Execution, RunOutcome, SandboxScheduler } from "../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { ensureOwnerKey } from "../../../../main/store/owner-key.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { ensureTlsIdentity } from "../../../../main/store/tls-identity.ts";
import type { InvokeOptions } from "../../../../main/vm/guest-session.ts";
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import { SharingRegistry } from "../../../../main/remote/sharing-registry.ts";

/** A host on a real store whose "VMs" echo the event after printing two lines. */
async function fakeHost(t: TestContext, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openHearthStore(dir);
  const runs: Execution[] = [];
  const scheduler = {
    run: async (exec: Execution, payload: string, opts: InvokeOptions = {}): Promise<RunOutcome> => {
      runs.push(exec);
      opts.onLog?.({ stream: "stdout", line: "first" } as never);
      await new Promise((r) => setTimeout(r, 20));
      opts.onLog?.({ stream: "stdout", line: "second" } as never);
      const event = JSON.parse(payload) as { fail?: boolean };
      return {
        requestId: opts.requestId ?? "r",
        ok: !event.fail,
        ...(event.fail
          ? { error: { errorType: "Error", errorMessage: "asked to fail", trace: [] } }
          : { payload: JSON.stringify({ echo: event }) }),
        durationMs: 3,
        roundTripMs: 3,
        maxRssKb: 40 * 1024,
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
  const remoteConnections = new RemoteConnections();
  const app = {
    dataDir: dir,
    store,
    engine,
    async: asyncInvocations,
    invoker: new Invoker({ store, engine, async: asyncInvocations, remoteConnections }),
    remoteConnections,
    sharing: new SharingRegistry(),
    accel: "tcg",
    pool: { ensure: () => {}, list: () => [], figures: {} },
    manifest: { inputsKey: "test" },
  } as unknown as Host;
  t.after(async () => {
    remoteConnections.close();
    asyncInvocations.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  return { dir, app, store, runs, ctx };
}

async function sharingPair(t: TestContext) {
  const owner = await fakeHost(t, "hearth-owner-");
  const mate = await fakeHost(t, "hearth-mate-");
  const o = owner.store.documents;
  const { profile: alice } = await o.update((s) => createProfile(s, { name: "alice" }, owner.ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  await o.update((s) =>
    createTask(s, alice.id, { name: "resize", runtime: "nodejs", handler: "i.h", code }, owner.ctx()),
  );
  await o.update((s) => publishVersion(s, alice.id, { task: "resize" }, owner.ctx()));
  const live = await o.update((s) =>
    createAlias(s, alice.id, { task: "resize", name: "live", version: 1 }, owner.ctx()),
  );
  // The teammate's token, as a share mints it: usable from another machine.
  const minted = await o.update((s) =>
    mintAliasToken(s, alice.id, { aliasId: live.id, remote: true }, owner.ctx()),
  );

  const ownerServer = await startServer({
    host: "127.0.0.1",
    port: 0,
    app: owner.app,
    share: { host: "127.0.0.2", port: 0 },
  });
  t.after(() => ownerServer.close());
  const served = JSON.parse(readFileSync(join(owner.dir, SERVE_FILE), "utf8")) as ServeFile;
  assert.ok(served.shared, "serve.json says where sharing is on");

  const { profile: bob, credentials } = await mate.store.documents.update((s) =>
    createProfile(s, { name: "bob" }, mate.ctx()),
  );
  const mateServer = await startServer({ host: "127.0.0.1", port: 0, app: mate.app });
  t.after(() => mateServer.close());
  const mateUrl = `http://127.0.0.1:${(mateServer.server.address() as { port: number }).port}`;
  const bobClient = new HearthClient(mateUrl, {
    kind: "owner",
    key: await ensureOwnerKey(mate.dir),
    profile: "bob",
  });
  const link = formatShareLink({
    endpoint: served.shared.url,
    token: minted.secret,
    fingerprint: served.shared.fingerprint,
    name: "resize",
  });
  return { owner, mate, alice, bob, credentials, bobClient, link, served, mateUrl, minted, ownerServer };
}

async function apiError(p: Promise<unknown>, status: number, code: string): Promise<HearthApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HearthApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test("serve.json carries the shared listener's endpoint and the data directory's certificate pin", async (t) => {
  const p = await sharingPair(t);
  assert.match(p.served.shared!.url, /^https:\/\/127\.0\.0\.2:\d+$/);
  assert.equal(p.served.shared!.fingerprint, (await ensureTlsIdentity(p.owner.dir)).fingerprint);
  // Closing the local port closes the shared listener with it.
  await p.ownerServer.close();
  const res = await fetch(`${p.served.shared!.url}/v1/invoke`, { method: "POST" }).catch((e: Error) => e);
  assert.ok(res instanceof Error);
});

test("the teammate imports the link and invokes the remote alias by its local name, sync and streamed", async (t) => {
  const p = await sharingPair(t);
  const added = await p.bobClient.call("addRemote", { link: p.link });
  assert.equal(added.name, "resize");
  assert.deepEqual(await p.bobClient.call("listRemotes", {}), [added]);
  assert.ok(!readFileSync(join(p.mate.dir, "hearth.json"), "utf8").includes(p.minted.secret));

  const sync = await p.bobClient.call("invoke", { task: "resize", payload: '{"n":1}' });
  assert.equal(sync.ok, true);
  assert.deepEqual(sync.result, { echo: { n: 1 } });
  assert.equal(sync.version, "1");

  const events: InvocationEvent[] = [];
  for await (const e of p.bobClient.invokeStream({ task: "resize", payload: '{"n":2}' })) events.push(e);
  assert.deepEqual(
    events.map((e) => (e.type === "log" ? e.line : e.type)),
    ["start", "first", "second", "result"],
  );
  const last = events.at(-1);
  assert.ok(last?.type === "result" && last.result.ok);

  // A failing handler is the owner's answer, passed on as a result, not an error.
  const failed = await p.bobClient.call("invoke", { task: "resize", payload: '{"fail":true}' });
  assert.equal(failed.ok, false);
  assert.equal(failed.error?.errorMessage, "asked to fail");
  await apiError(p.bobClient.call("invoke", { task: "resize", mode: "async" }), 400, "INVALID_INPUT");
  // Nothing ran on the teammate's side; everything ran on the owner's, as the alias holder.
  assert.equal(p.mate.runs.length, 0);
  assert.equal(p.owner.runs.length, 3);
  // The last use is recorded (asynchronously).
  await new Promise((r) => setTimeout(r, 50));
  assert.notEqual((await p.bobClient.call("listRemotes", {}))[0]?.lastUsedAt, null);

  assert.equal((await p.bobClient.call("removeRemote", { remote: "resize" })).id, added.id);
  await apiError(p.bobClient.call("invoke", { task: "resize" }), 404, "TASK_NOT_FOUND");
});

test("the AWS SDK invokes it by its local name on the teammate's own port, log tail included", async (t) => {
  const p = await sharingPair(t);
  await p.bobClient.call("addRemote", { link: p.link, name: "their-resize" });
  const lambda = new LambdaClient({
    endpoint: p.mateUrl,
    region: "us-east-1",
    credentials: p.credentials,
    maxAttempts: 1,
  });
  t.after(() => lambda.destroy());
  const out = await lambda.send(
    new InvokeCommand({
      FunctionName: "their-resize",
      Payload: new TextEncoder().encode('{"n":3}'),
      LogType: "Tail",
    }),
  );
  assert.equal(out.StatusCode, 200);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.Payload)), { echo: { n: 3 } });
  assert.equal(out.ExecutedVersion, "1");
  const tail = Buffer.from(out.LogResult ?? "", "base64").toString("utf8");
  assert.match(tail, /first\nsecond/);
  const failed = await lambda.send(
    new InvokeCommand({ FunctionName: "their-resize", Payload: new TextEncoder().encode('{"fail":true}') }),
  );
  assert.equal(failed.FunctionError, "Unhandled");
  await assert.rejects(
    lambda.send(new InvokeCommand({ FunctionName: "their-resize", InvocationType: "Event" })),
    /RequestResponse/,
  );
});

test("a wrong pin, a revoked token and an unreachable owner come back as clear errors, streamed or not", async (t) => {
  const p = await sharingPair(t);
  const other = await ensureTlsIdentity(mkdtempSync(join(tmpdir(), "hearth-other-")));
  await p.bobClient.call("addRemote", {
    endpoint: p.served.shared!.url,
    token: p.minted.secret,
    fingerprint: other.fingerprint,
    name: "pinned-wrong",
  });
  const e = await apiError(
    p.bobClient.call("invoke", { task: "pinned-wrong" }),
    502,
    "REMOTE_FINGERPRINT_MISMATCH",
  );
  assert.match(e.detail, /nothing was sent/);
  // A stream that never reached the owner answers with the status, not an opened stream.
  await apiError(
    (async () => {
      for await (const _e of p.bobClient.invokeStream({ task: "pinned-wrong" })) void _e;
    })(),
    502,
    "REMOTE_FINGERPRINT_MISMATCH",
  );
  assert.equal(p.owner.runs.length, 0);

  await p.bobClient.call("addRemote", { link: p.link, name: "revoked" });
  const o = p.owner.store.documents;
  await o.update((s) => revokeToken(s, p.alice.id, { tokenId: p.minted.token.id }, p.owner.ctx()));
  const revoked = await apiError(p.bobClient.call("invoke", { task: "revoked" }), 401, "TOKEN_INVALID");
  assert.match(revoked.detail, /the owner's Hearth at https:\/\/127\.0\.0\.2:\d+ answered/);

  await p.ownerServer.close();
  await apiError(p.bobClient.call("invoke", { task: "revoked" }), 502, "REMOTE_UNREACHABLE");
  assert.equal(p.owner.runs.length, 0);
});
