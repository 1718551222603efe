// Tasks: creation with validated fields, $LATEST changes on code and configuration updates, deletion rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { createGrant } from "../../../../../main/domain/aliases/grants.ts";
import {
  createTask,
  deleteTask,
  updateTaskCode,
  updateTaskConfig,
} from "../../../../../main/domain/tasks/tasks.ts";
import { expectError, sha, World } from "../domain-world.ts";

const input = {
  name: "resize",
  runtime: "nodejs" as const,
  handler: "index.handler",
  code: { sha256: sha("a"), size: 10 },
};

test("a task is created with defaults and its code as $LATEST", () => {
  const w = new World();
  const p = w.profile("alice");
  const view = w.apply((s) => createTask(s, p, input, w.ctx));
  assert.equal(view.access, "owner");
  assert.equal(view.name, "resize");
  assert.equal(view.memoryMb, 128);
  assert.equal(view.timeoutS, 3);
  assert.deepEqual(view.environment, {});
  assert.equal(view.codeSha256, sha("a"));
  assert.deepEqual(view.versions, []);
});

test("names are unique per profile, not across profiles", () => {
  const w = new World();
  const a = w.profile("alice");
  const b = w.profile("bob");
  w.apply((s) => createTask(s, a, input, w.ctx));
  const e = expectError(() => createTask(w.state, a, input, w.ctx), "TASK_EXISTS", "name");
  assert.match(e.message, /profile "alice" already has a task "resize"/);
  w.apply((s) => createTask(s, b, input, w.ctx));
  assert.equal(w.state.tasks.length, 2);
});

test("every field is validated and named", () => {
  const w = new World();
  const p = w.profile("alice");
  const bad: [Record<string, unknown>, string][] = [
    [{ name: "bad name" }, "name"],
    [{ runtime: "ruby" }, "runtime"],
    [{ handler: "" }, "handler"],
    [{ handler: "no dot" }, "handler"],
    [{ memoryMb: 64 }, "memoryMb"],
    [{ timeoutS: 1000 }, "timeoutS"],
    [{ environment: { AWS_SESSION_TOKEN: "x" } }, "environment.AWS_SESSION_TOKEN"],
    [{ environment: { "9X": "x" } }, "environment.9X"],
    [{ description: "d".repeat(257) }, "description"],
    [{ code: { sha256: "nothex", size: 1 } }, "code.sha256"],
    [{ code: { sha256: sha("a"), size: -1 } }, "code.size"],
  ];
  for (const [over, field] of bad) {
    expectError(
      () => createTask(w.state, p, { ...input, ...over } as typeof input, w.ctx),
      "INVALID_INPUT",
      field,
    );
  }
  expectError(() => createTask(w.state, "prf_missing", input, w.ctx), "PROFILE_NOT_FOUND");
  assert.equal(w.state.tasks.length, 0);
});

test("updating code changes $LATEST's sha and leaves the configuration", () => {
  const w = new World();
  const p = w.profile("alice");
  w.apply((s) => createTask(s, p, input, w.ctx));
  const view = w.apply((s) =>
    updateTaskCode(s, p, { task: "resize", code: { sha256: sha("b"), size: 20 } }, w.ctx),
  );
  assert.equal(view.codeSha256, sha("b"));
  assert.equal(view.codeSize, 20);
  assert.equal(view.handler, "index.handler");
  expectError(
    () => updateTaskCode(w.state, p, { task: "nope", code: { sha256: sha("b"), size: 1 } }, w.ctx),
    "TASK_NOT_FOUND",
    "task",
  );
});

test("updating configuration merges fields, replaces the environment, and re-checks the whole", () => {
  const w = new World();
  const p = w.profile("alice");
  w.apply((s) => createTask(s, p, { ...input, environment: { A: "1" } }, w.ctx));
  const view = w.apply((s) =>
    updateTaskConfig(
      s,
      p,
      { task: "resize", memoryMb: 512, environment: { B: "2" }, description: "d" },
      w.ctx,
    ),
  );
  assert.equal(view.memoryMb, 512);
  assert.equal(view.timeoutS, 3);
  assert.deepEqual(view.environment, { B: "2" });
  assert.equal(view.description, "d");
  // Switching to provided makes a bare handler fine; switching back without fixing it is refused.
  w.apply((s) =>
    updateTaskConfig(s, p, { task: "resize", runtime: "provided", handler: "bootstrap" }, w.ctx),
  );
  expectError(
    () => updateTaskConfig(w.state, p, { task: "resize", runtime: "nodejs" }, w.ctx),
    "INVALID_INPUT",
    "handler",
  );
  expectError(
    () => updateTaskConfig(w.state, p, { task: "resize", timeoutS: 0 }, w.ctx),
    "INVALID_INPUT",
    "timeoutS",
  );
});

test("delete removes the task; aliases of other profiles block it unless forced", () => {
  const w = new World();
  const owner = w.profile("owner");
  const other = w.profile("other");
  w.apply((s) => createTask(s, owner, input, w.ctx));
  w.apply((s) => createGrant(s, owner, { task: "resize", granteeProfileId: other }, w.ctx));
  const account = w.state.profiles[0]?.accountId as string;
  w.apply((s) =>
    createCrossProfileAlias(
      s,
      other,
      { ownerAccountId: account, task: "resize", name: "x", version: "$LATEST" },
      w.ctx,
    ),
  );
  const e = expectError(() => deleteTask(w.state, owner, { task: "resize" }), "TASK_IN_USE", "force");
  assert.match(e.message, /other's "x"/);
  w.apply((s) => deleteTask(s, owner, { task: "resize", force: true }));
  assert.equal(w.state.tasks.length, 0);
  assert.equal(w.state.aliases.length, 0);
  assert.equal(w.state.grants.length, 0);
});
