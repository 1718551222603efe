// Publishing: numbered immutable snapshots, and no twin when $LATEST has not changed since the newest version.
import { test } from "node:test";
import assert from "node:assert/strict";
import { updateTaskCode, updateTaskConfig } from "../../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../../main/domain/tasks/versions.ts";
import { expectError, sha, World } from "../domain-world.ts";

test("publish snapshots code and configuration as version 1, 2, …", () => {
  const w = new World();
  const p = w.profile("alice");
  w.task(p, { name: "t", environment: { A: "1" } });
  const v1 = w.apply((s) => publishVersion(s, p, { task: "t", description: "first" }, w.ctx));
  assert.equal(v1.created, true);
  assert.equal(v1.version.version, 1);
  assert.equal(v1.version.description, "first");
  assert.equal(v1.version.codeSha256, sha("a"));
  w.apply((s) => updateTaskCode(s, p, { task: "t", code: { sha256: sha("b"), size: 3 } }, w.ctx));
  const v2 = w.apply((s) => publishVersion(s, p, { task: "t" }, w.ctx));
  assert.equal(v2.version.version, 2);
  assert.equal(v2.version.codeSha256, sha("b"));
  // Version 1 did not move when $LATEST did.
  const task = w.state.tasks[0];
  assert.equal(task?.versions[0]?.code.sha256, sha("a"));
  assert.deepEqual(task?.versions[0]?.config.environment, { A: "1" });
});

test("publishing an unchanged $LATEST returns the newest version and changes nothing", () => {
  const w = new World();
  const p = w.profile("alice");
  w.task(p, { name: "t" });
  w.publish(p, "t");
  const before = w.state;
  const again = publishVersion(before, p, { task: "t", description: "again" }, w.ctx);
  assert.equal(again.result.created, false);
  assert.equal(again.result.version.version, 1);
  assert.equal(again.state, before);
  assert.equal(again.state.tasks[0]?.versions.length, 1);
});

test("a configuration change alone is enough for a new version", () => {
  const w = new World();
  const p = w.profile("alice");
  w.task(p, { name: "t" });
  w.publish(p, "t");
  w.apply((s) => updateTaskConfig(s, p, { task: "t", environment: { MODE: "fast" } }, w.ctx));
  assert.equal(w.publish(p, "t"), 2);
  // Changing back to version 1's exact configuration is still new relative to the newest (2).
  w.apply((s) => updateTaskConfig(s, p, { task: "t", environment: {} }, w.ctx));
  assert.equal(w.publish(p, "t"), 3);
  assert.equal(w.publish(p, "t"), 3);
});

test("a description change on the task does not mint a version", () => {
  const w = new World();
  const p = w.profile("alice");
  w.task(p, { name: "t" });
  w.publish(p, "t");
  w.apply((s) => updateTaskConfig(s, p, { task: "t", description: "now documented" }, w.ctx));
  assert.equal(w.publish(p, "t"), 1);
});

test("publishing someone else's or a missing task fails", () => {
  const w = new World();
  const a = w.profile("alice");
  const b = w.profile("bob");
  w.task(a, { name: "t" });
  expectError(() => publishVersion(w.state, b, { task: "t" }, w.ctx), "TASK_NOT_FOUND", "task");
  expectError(
    () => publishVersion(w.state, a, { task: "t", description: 5 as unknown as string }, w.ctx),
    "INVALID_INPUT",
    "description",
  );
});
