// Saved test events: per profile and task, kept as written, private to the profile that saved them, and gone with
// the task, the profile, or the grant that let a teammate call it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createGrant, revokeGrant } from "../../../../../main/domain/aliases/grants.ts";
import { deleteProfile } from "../../../../../main/domain/access/profiles.ts";
import {
  deleteTestEvent,
  getTestEvent,
  listTestEvents,
  MAX_TEST_EVENT_BYTES,
  MAX_TEST_EVENTS,
  renameTestEvent,
  saveTestEvent,
} from "../../../../../main/domain/events/test-events.ts";
import { deleteTask } from "../../../../../main/domain/tasks/tasks.ts";
import { expectError, World } from "../domain-world.ts";

function world() {
  const w = new World();
  const owner = w.profile("owner");
  const mate = w.profile("mate");
  w.task(owner, { name: "resize" });
  w.task(owner, { name: "other" });
  const save = (pid: string, name: string, payload: string, task = "resize", ownerAccountId?: string) =>
    w.apply((s) =>
      saveTestEvent(s, pid, { task, name, payload, ...(ownerAccountId ? { ownerAccountId } : {}) }, w.ctx),
    );
  const accountOf = (pid: string) => w.state.profiles.find((p) => p.id === pid)!.accountId;
  return { w, owner, mate, save, accountOf };
}

test("saved as written, listed by name, replaced under the same name", () => {
  const { w, owner, save } = world();
  const text = '{\n  "b": 1,\n  "a": [1, 2]\n}';
  const first = save(owner, "upload", text);
  assert.equal(first.payload, text);
  save(owner, "api-get", "{}");
  assert.deepEqual(
    listTestEvents(w.state, owner, { task: "resize" }).map((e) => e.name),
    ["api-get", "upload"],
  );
  const replaced = save(owner, "upload", '{"c":3}');
  assert.equal(replaced.payload, '{"c":3}');
  assert.equal(replaced.createdAt, first.createdAt);
  assert.notEqual(replaced.updatedAt, first.updatedAt);
  assert.equal(listTestEvents(w.state, owner, { task: "resize" }).length, 2);
  assert.deepEqual(listTestEvents(w.state, owner, { task: "other" }), []);
  assert.equal(getTestEvent(w.state, owner, { task: "resize", name: "upload" }).payload, '{"c":3}');
});

test("bad names, payloads that are not JSON or too large, and unknown tasks are refused by field", () => {
  const { w, owner, save } = world();
  for (const bad of ["", ".hidden", "has space", "a/b", "x".repeat(65), "é"]) {
    expectError(() => save(owner, bad, "{}"), "INVALID_INPUT", "name");
  }
  assert.match(expectError(() => save(owner, "e", "{nope"), "INVALID_INPUT", "payload").message, /not JSON/);
  const big = JSON.stringify({ s: "x".repeat(MAX_TEST_EVENT_BYTES) });
  assert.match(
    expectError(() => save(owner, "e", big), "INVALID_INPUT", "payload").message,
    /at most 262144/,
  );
  expectError(() => save(owner, "e", "{}", "missing"), "TASK_NOT_FOUND", "task");
  assert.deepEqual(w.state.testEvents, []);
});

test("at most MAX_TEST_EVENTS per task; replacing one still works at the limit", () => {
  const { w, owner, save } = world();
  for (let i = 0; i < MAX_TEST_EVENTS; i++) save(owner, `e${i}`, `{"i":${i}}`);
  expectError(() => save(owner, "one-more", "{}"), "EVENT_LIMIT_EXCEEDED", "name");
  save(owner, "e0", '{"i":"again"}');
  save(owner, "elsewhere", "{}", "other");
  assert.equal(listTestEvents(w.state, owner, { task: "resize" }).length, MAX_TEST_EVENTS);
});

test("rename keeps the payload; a taken name or a missing event is refused", () => {
  const { w, owner, save } = world();
  save(owner, "a", '{"a":1}');
  save(owner, "b", '{"b":1}');
  const renamed = w.apply((s) =>
    renameTestEvent(s, owner, { task: "resize", name: "a", newName: "c" }, w.ctx),
  );
  assert.deepEqual([renamed.name, renamed.payload], ["c", '{"a":1}']);
  expectError(
    () => renameTestEvent(w.state, owner, { task: "resize", name: "c", newName: "b" }, w.ctx),
    "EVENT_EXISTS",
    "newName",
  );
  expectError(
    () => renameTestEvent(w.state, owner, { task: "resize", name: "a", newName: "z" }, w.ctx),
    "EVENT_NOT_FOUND",
    "name",
  );
  w.apply((s) => deleteTestEvent(s, owner, { task: "resize", name: "b" }));
  expectError(
    () => deleteTestEvent(w.state, owner, { task: "resize", name: "b" }),
    "EVENT_NOT_FOUND",
    "name",
  );
  assert.deepEqual(
    listTestEvents(w.state, owner, { task: "resize" }).map((e) => e.name),
    ["c"],
  );
});

test("a teammate saves events on a task shared with it; neither side sees the other's", () => {
  const { w, owner, mate, save, accountOf } = world();
  const ownerAccount = accountOf(owner);
  expectError(() => save(mate, "mine", "{}", "resize", ownerAccount), "TASK_NOT_FOUND", "task");
  const grant = w.apply((s) => createGrant(s, owner, { task: "resize", granteeProfileId: mate }, w.ctx));
  save(owner, "owner-only", '{"secret":"owner"}');
  save(mate, "mine", '{"token":"mate"}', "resize", ownerAccount);
  assert.deepEqual(
    listTestEvents(w.state, owner, { task: "resize" }).map((e) => e.name),
    ["owner-only"],
  );
  assert.deepEqual(
    listTestEvents(w.state, mate, { task: "resize", ownerAccountId: ownerAccount }).map((e) => e.name),
    ["mine"],
  );
  // The mate's own namespace has no task "resize".
  expectError(() => listTestEvents(w.state, mate, { task: "resize" }), "TASK_NOT_FOUND", "task");
  // Revoking the grant takes the mate's events on that task with it, and leaves the owner's.
  w.apply((s) => revokeGrant(s, owner, { grantId: grant.id }));
  assert.deepEqual(
    w.state.testEvents.map((e) => e.name),
    ["owner-only"],
  );
});

test("deleting the task or the profile takes their saved events", () => {
  const { w, owner, save } = world();
  save(owner, "a", "{}");
  save(owner, "b", "{}", "other");
  w.apply((s) => deleteTask(s, owner, { task: "resize" }));
  assert.deepEqual(
    w.state.testEvents.map((e) => e.name),
    ["b"],
  );
  w.apply((s) => deleteProfile(s, owner));
  assert.deepEqual(w.state.testEvents, []);
});
