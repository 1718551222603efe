// The engine's resolution and weighted routing, with a stand-in scheduler (no VMs): what it asks to run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAlias } from "../../../../main/domain/aliases/aliases.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask, updateTaskCode } from "../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import { Engine } from "../../../../main/invoke/engine.ts";
import type { Execution, RunOutcome, SandboxScheduler } from "../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";

async function world() {
  const store = await openHearthStore(mkdtempSync(join(tmpdir(), "hearth-engine-unit-")));
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = (n: number) => ({ sha256: n.toString(16).padStart(64, "0"), size: 10 });
  await store.documents.update((s) =>
    createTask(
      s,
      profile.id,
      { name: "echo", runtime: "nodejs", handler: "index.handler", code: code(1) },
      ctx(),
    ),
  );
  await store.documents.update((s) => publishVersion(s, profile.id, { task: "echo" }, ctx()));
  await store.documents.update((s) => updateTaskCode(s, profile.id, { task: "echo", code: code(2) }, ctx()));
  await store.documents.update((s) => publishVersion(s, profile.id, { task: "echo" }, ctx()));
  const runs: Execution[] = [];
  const scheduler = {
    run: async (exec: Execution): Promise<RunOutcome> => {
      runs.push(exec);
      return {
        requestId: "r",
        ok: true,
        payload: "null",
        durationMs: 1,
        roundTripMs: 1,
        maxRssKb: 1,
        servedVersion: exec.spec.functionVersion,
        servedConfigKey: exec.configKey,
        vm: "vm",
        coldStart: false,
        queuedMs: 0,
        concurrency: 1,
      };
    },
  } as unknown as SandboxScheduler;
  return { store, ctx, profile, runs, scheduler };
}

test("a weighted split is honoured within ±3% over 1,000 invocations, whatever the random start", async () => {
  const { store, ctx, profile, runs, scheduler } = await world();
  await store.documents.update((s) =>
    createAlias(
      s,
      profile.id,
      { task: "echo", name: "prod", version: 1, split: { additionalVersion: 2, weight: 0.1 } },
      ctx(),
    ),
  );
  for (const start of [0, 0.123, 0.5, 0.999]) {
    runs.length = 0;
    const engine = new Engine(store, scheduler, () => start);
    for (let i = 0; i < 1000; i++)
      await engine.invoke({
        callerProfileId: profile.id,
        ref: { task: "echo", qualifier: "prod" },
        payload: "{}",
      });
    const v2 = runs.filter((r) => r.spec.functionVersion === "2").length;
    assert.ok(Math.abs(v2 - 100) <= 30, `start ${start}: ${v2} of 1,000 went to version 2`);
    // Every prefix stays close too: the split holds at any moment, not only on average.
    let seen = 0;
    for (let i = 0; i < runs.length; i++) {
      if (runs[i]!.spec.functionVersion === "2") seen++;
      assert.ok(Math.abs(seen - 0.1 * (i + 1)) < 3, `after ${i + 1} calls ${seen} went to version 2`);
    }
  }
  await store.close();
});

test("$LATEST follows its line; a named version does not; an alias's two legs are two lines", async () => {
  const { store, ctx, profile, runs, scheduler } = await world();
  await store.documents.update((s) =>
    createAlias(
      s,
      profile.id,
      { task: "echo", name: "prod", version: 1, split: { additionalVersion: 2, weight: 0.5 } },
      ctx(),
    ),
  );
  const engine = new Engine(store, scheduler);
  const latest = engine.resolve(profile.id, { task: "echo" }).execution;
  const v1 = engine.resolve(profile.id, { task: "echo", qualifier: "1" }).execution;
  assert.equal(latest.follow, true);
  assert.equal(v1.follow, false);
  assert.notEqual(latest.lineKey, v1.lineKey);
  assert.equal(latest.profile, profile.id);
  for (let i = 0; i < 10; i++)
    await engine.invoke({
      callerProfileId: profile.id,
      ref: { task: "echo", qualifier: "prod" },
      payload: "{}",
    });
  const lines = new Map(runs.map((r) => [r.spec.functionVersion, r.lineKey]));
  assert.equal(lines.size, 2);
  assert.notEqual(lines.get("1"), lines.get("2"));
  assert.ok(runs.every((r) => r.follow));
  await assert.rejects(async () => engine.resolve(profile.id, { task: "nope" }), /TASK_NOT_FOUND/);
  await store.close();
});
