// The pool over HTTP with a real pool and scheduler on the fake driver: `pool` answers each VM's sandboxes (task
// names only for the VM owner's own tasks), invocations and warm-up; POOL_EVENTS_PATH streams VM changes, filtered
// to the caller's profile unless owner-wide, and lets go of its listeners when the client leaves.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthApiError, HearthClient } from "../../../../main/client/http-client.ts";
import type { VmView } from "../../../../main/contract.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import type { Host } from "../../../../main/host.ts";
import { startServer } from "../../../../main/http/server.ts";
import type { Execution } from "../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { ensureOwnerKey } from "../../../../main/store/owner-key.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { FAKE_MANIFEST, fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

async function served(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-pool-events-"));
  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const docs = store.documents;
  const { profile: alice, credentials } = await docs.update((s) =>
    createProfile(s, { name: "alice" }, ctx()),
  );
  const { profile: bob } = await docs.update((s) => createProfile(s, { name: "bob" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  await docs.update((s) =>
    createTask(s, alice.id, { name: "echo", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  await docs.update((s) =>
    createTask(s, bob.id, { name: "bobs-secret", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  const stack = fakeSchedulerStack({
    delays: { bootDelayMs: 40, loadDelayMs: 10, invokeDelayMs: 10 },
    dataDir: join(dir, "vm"),
  });
  const { pool, scheduler } = stack;
  const app = {
    dataDir: dir,
    store,
    accel: "tcg",
    manifest: FAKE_MANIFEST,
    pool,
    scheduler,
  } as unknown as Host;
  const server = await startServer({ host: "127.0.0.1", port: 0, app });
  t.after(async () => {
    await server.close();
    await stack.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const key = await ensureOwnerKey(dir);
  const taskId = (profileId: string) => docs.state.tasks.find((x) => x.profileId === profileId)!.id;
  const exec = (profile: string, task: string): Execution => ({
    profile,
    configKey: `${"c".repeat(12)}${task}`,
    taskKey: task,
    lineKey: `line-${task}`,
    follow: false,
    spec: {
      runtime: "nodejs",
      handler: "i.h",
      functionName: "f",
      functionVersion: "$LATEST",
      memoryMb: 128,
      timeoutMs: 3000,
      env: {},
    },
    loadCode: async () => ({ zip: Buffer.from("zip"), sha256: "0".repeat(64) }),
  });
  return {
    pool,
    scheduler,
    alice,
    bob,
    exec,
    taskId,
    owner: new HearthClient(url, { kind: "owner", key }),
    asAlice: new HearthClient(url, { kind: "owner", key, profile: "alice" }),
    aliceByKey: new HearthClient(url, { kind: "access-key", ...credentials }),
    anonymous: new HearthClient(url, null),
  };
}

/** Collects a client's pool events until `done` says enough (or the time runs out), then leaves. */
async function follow(
  client: HearthClient,
  done: (seen: VmView[]) => boolean,
  opened: () => unknown = () => {},
  ms = 5000,
): Promise<VmView[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  const seen: VmView[] = [];
  const events = client.poolEvents(abort.signal);
  const first = events.next();
  // The first event may only come after something happens: let the caller act once the request is out.
  setTimeout(opened, 50);
  for (let r = await first; !r.done; r = await events.next()) {
    seen.push(r.value);
    if (done(seen)) break;
  }
  clearTimeout(timer);
  abort.abort();
  return seen;
}

const readyIn = (profile: string) => (seen: VmView[]) =>
  seen.some((v) => v.profile === profile && v.state === "ready");

test("a profile's stream carries only its own VMs; the owner's carries every profile's", async (t) => {
  const s = await served(t);
  const [mine, all] = await Promise.all([
    follow(s.asAlice, (seen) => readyIn(s.alice.id)(seen) && seen.length >= 2),
    follow(
      s.owner,
      (seen) => readyIn(s.alice.id)(seen) && readyIn(s.bob.id)(seen),
      async () => {
        // Both streams are open once both subscribed to the pool.
        while (s.pool.listenerCount("vm-state") < 2) await new Promise((r) => setTimeout(r, 5));
        s.pool.ensure(s.alice.id);
        s.pool.ensure(s.bob.id);
      },
    ),
  ]);
  assert.ok(mine.length >= 2);
  assert.ok(
    mine.every((v) => v.profile === s.alice.id),
    "alice saw another profile's VM",
  );
  assert.deepEqual(
    mine.map((v) => v.state),
    ["booting", "ready"],
  );
  assert.deepEqual(new Set(all.map((v) => v.profile)), new Set([s.alice.id, s.bob.id]));
  const ready = mine.at(-1)!;
  assert.equal(typeof ready.readyMs, "number");
  assert.deepEqual(ready.sandboxes, []);
  assert.equal(ready.invocations, 0);
});

test("pool lists each VM's sandboxes and invocations, naming only the VM owner's own tasks", async (t) => {
  const s = await served(t);
  s.pool.ensure(s.alice.id);
  // A sandbox of the VM owner's task, and one of bob's task running on alice's VM (a cross-profile alias).
  const a = await s.scheduler.run(s.exec(s.alice.id, s.taskId(s.alice.id)), "{}");
  await s.scheduler.run(s.exec(s.alice.id, s.taskId(s.alice.id)), "{}");
  await s.scheduler.run(s.exec(s.alice.id, s.taskId(s.bob.id)), "{}");
  for (const client of [s.asAlice, s.aliceByKey]) {
    const status = await client.call("pool", {});
    const vm = status.vms.find((v) => v.name === a.vm)!;
    assert.ok(
      status.vms.every((v) => v.profile === s.alice.id),
      "alice sees only her VMs",
    );
    assert.equal(vm.invocations, 3);
    assert.deepEqual(
      vm.sandboxes!.map((x) => [x.task, x.version, x.state, x.config.length]),
      [
        ["echo", "$LATEST", "ready", 12],
        [undefined, "$LATEST", "ready", 12],
      ],
    );
    assert.ok(!JSON.stringify(status).includes("bobs-secret"), "bob's task name leaked");
    assert.deepEqual(
      status.warming.map((w) => w.profile),
      [s.alice.id],
    );
    assert.equal(status.warming[0]!.target, 1);
  }
  const everyone = await s.owner.call("pool", {});
  assert.ok(everyone.warming.length >= 1);
});

test("the stream refuses callers without credentials, and lets go of its listeners when the client leaves", async (t) => {
  const s = await served(t);
  await assert.rejects(
    async () => {
      for await (const _ of s.anonymous.poolEvents()) assert.fail("an event without credentials");
    },
    (err: unknown) => err instanceof HearthApiError && err.status === 401,
  );
  const before = s.pool.listenerCount("vm-state");
  const seen = await follow(s.aliceByKey, readyIn(s.alice.id), () => s.pool.ensure(s.alice.id));
  assert.ok(readyIn(s.alice.id)(seen));
  const deadline = Date.now() + 2000;
  while (s.pool.listenerCount("vm-state") > before && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(s.pool.listenerCount("vm-state"), before);
  assert.equal(s.scheduler.listenerCount("sandbox"), 0);
});
