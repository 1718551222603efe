// Asynchronous invocations on real VMs: accepted only once on disk, retried on failure, finished after the whole
// host was torn down mid-run and started again on the same data directory, and shared fairly between profiles.
import { after, test } from "node:test";
import { tally } from "../helpers/reliability-tally.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-async-"));
let host: Host | null = null;

after(async () => {
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function addTask(h: Host, profileId: string, fixture: string): Promise<void> {
  await importFolder(h.store, profileId, fixtureDir(fixture));
}

test("async invocations are on disk when accepted and finish after the host is torn down and started again", async () => {
  const first = await Host.start({ dataDir, asyncRetryDelaysMs: [200, 200] });
  host = first;
  const ctx = { now: Date.now(), random: systemRandom, sealer: first.store.secrets };
  const { profile } = await first.store.documents.update((s) => createProfile(s, { name: "async" }, ctx));
  await addTask(first, profile.id, "slow-logger");
  await addTask(first, profile.id, "crasher");
  await assert.rejects(
    first.async.enqueue({ callerProfileId: profile.id, ref: { task: "missing" }, payload: "{}" }),
    /TASK_NOT_FOUND/,
  );

  const accepted: string[] = [];
  for (let i = 0; i < 3; i++) {
    const a = await first.async.enqueue({
      callerProfileId: profile.id,
      ref: { task: "slow-logger" },
      payload: JSON.stringify({ lines: 3 + i }),
    });
    // Accepted means written: the record is on disk before enqueue returns.
    const onDisk = JSON.parse(readFileSync(join(dataDir, "async", `${a.id}.json`), "utf8"));
    assert.equal(onDisk.id, a.id);
    accepted.push(a.id);
  }
  const failing = await first.async.enqueue({
    callerProfileId: profile.id,
    ref: { task: "crasher" },
    payload: '{"mode":"throw"}',
  });

  // Tear everything down while the first invocations are still waiting for their VM or running.
  await new Promise((r) => setTimeout(r, 500));
  // No grace period: this is the crash case, what is running is cut off.
  await first.close(0);
  host = null;
  const pendingOnDisk = readdirSync(join(dataDir, "async"))
    .map((f) => JSON.parse(readFileSync(join(dataDir, "async", f), "utf8")))
    .filter((i) => i.state === "queued" || i.state === "running");
  assert.ok(pendingOnDisk.length >= 3, `only ${pendingOnDisk.length} invocations were pending at the stop`);

  const second = await Host.start({ dataDir, asyncRetryDelaysMs: [200, 200] });
  host = second;
  await second.async.idle();
  for (const [i, id] of accepted.entries()) {
    const item = second.async.get(id)!;
    assert.equal(item.state, "succeeded", JSON.stringify(item));
    assert.deepEqual(JSON.parse(item.outcome!.payload!), { lines: 3 + i });
  }
  const failed = second.async.get(failing.id)!;
  assert.equal(failed.state, "failed");
  assert.equal(failed.attempts, 3, "tried once and retried twice");
  assert.equal(failed.outcome?.error?.errorMessage, "asked to throw");

  // Their logs were kept per task, findable by invocation id.
  await second.logs.flush();
  const taskId = second.store.documents.state.tasks.find((t) => t.name === "slow-logger")!.id;
  const lines = (await second.logs.files.query(taskId, { invocation: accepted[0]! }))
    .filter((r) => r.kind === "line")
    .map((r) => r.line);
  assert.deepEqual(lines.slice(-3), ["line 1 of 3", "line 2 of 3", "line 3 of 3"]);
});

test("one profile's flood of long sleepers does not keep another profile's async call waiting", async () => {
  tally("hostile", "async queue flood by one profile", { attacksTried: 1 });
  const fairDir = mkdtempSync(join(tmpdir(), "hearth-async-fair-"));
  const h = await Host.start({ dataDir: fairDir });
  try {
    const ctx = { now: Date.now(), random: systemRandom, sealer: h.store.secrets };
    const flood = await h.store.documents.update((s) => createProfile(s, { name: "flood" }, ctx));
    const other = await h.store.documents.update((s) => createProfile(s, { name: "other" }, ctx));
    await addTask(h, flood.profile.id, "slow-logger");
    await addTask(h, other.profile.id, "echo-node");
    // Warm both, as a started Hearth does for its profiles, so the measure is the queue's and not a first boot.
    await h.engine.invoke({ callerProfileId: other.profile.id, ref: { task: "echo" }, payload: "{}" });
    await h.engine.invoke({
      callerProfileId: flood.profile.id,
      ref: { task: "slow-logger" },
      payload: '{"lines":1}',
    });

    // Six sleepers of about 15 s each, more than the four workers.
    const sleepers = [];
    for (let i = 0; i < 6; i++) {
      const a = await h.async.enqueue({
        callerProfileId: flood.profile.id,
        ref: { task: "slow-logger" },
        payload: JSON.stringify({ lines: 75 }),
      });
      sleepers.push(a.id);
    }
    const deadline = Date.now() + 10_000;
    while (h.async.list({ callerProfileId: flood.profile.id, state: "running" }).length < 3) {
      assert.ok(Date.now() < deadline, "the sleepers never started");
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = Date.now();
    const call = await h.async.enqueue({
      callerProfileId: other.profile.id,
      ref: { task: "echo" },
      payload: '{"from":"other"}',
    });
    let item = h.async.get(call.id)!;
    while (item.state !== "succeeded" && item.state !== "failed") {
      assert.ok(Date.now() - t0 < 10_000, `the other profile's call is still ${item.state} after 10 s`);
      await new Promise((r) => setTimeout(r, 20));
      item = h.async.get(call.id)!;
    }
    const waitedMs = Date.now() - t0;
    assert.equal(item.state, "succeeded", JSON.stringify(item.outcome));
    // It ran on the worker kept free: before any sleeper finished, and with the flood never holding all four.
    const floodStates = sleepers.map((id) => h.async.get(id)!.state);
    assert.ok(!floodStates.includes("succeeded"), `a sleeper finished first: ${floodStates.join(",")}`);
    assert.equal(floodStates.filter((s) => s === "running").length, 3);
    process.stdout.write(`other profile's async call finished ${waitedMs} ms after it was queued\n`);
  } finally {
    await h.close(0);
    rmSync(fairDir, { recursive: true, force: true });
  }
  tally("hostile", "async queue flood by one profile", { attacksHeld: 1 });
});
