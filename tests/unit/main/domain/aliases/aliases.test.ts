// Same-profile aliases: names, targets, weighted splits checked against published versions, updates and removal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias, deleteAlias, updateAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { updateTaskConfig } from "../../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken } from "../../../../../main/domain/access/tokens.ts";
import { expectError, World } from "../domain-world.ts";

function twoVersions() {
  const w = new World();
  const p = w.profile("alice");
  w.task(p, { name: "resize" });
  w.publish(p, "resize");
  w.apply((s) => updateTaskConfig(s, p, { task: "resize", memoryMb: 256 }, w.ctx));
  w.publish(p, "resize");
  return { w, p };
}

test("an alias points at a version or $LATEST", () => {
  const { w, p } = twoVersions();
  const a = w.apply((s) => createAlias(s, p, { task: "resize", name: "prod", version: 2 }, w.ctx));
  assert.deepEqual(a.routing, { version: 2, split: null });
  assert.equal(a.crossProfile, false);
  assert.equal(a.customization, null);
  const b = w.apply((s) => createAlias(s, p, { task: "resize", name: "dev", version: "$LATEST" }, w.ctx));
  assert.equal(b.routing.version, "$LATEST");
});

test("alias names: not all digits, not $LATEST, 1 to 128 of letters, digits, - and _, unique per task", () => {
  const { w, p } = twoVersions();
  for (const bad of ["123", "$LATEST", "", "a".repeat(129), "has.dot", "sp ace"]) {
    expectError(
      () => createAlias(w.state, p, { task: "resize", name: bad, version: 1 }, w.ctx),
      "INVALID_INPUT",
      "name",
    );
  }
  w.apply((s) => createAlias(s, p, { task: "resize", name: "v2-live_1", version: 1 }, w.ctx));
  const e = expectError(
    () => createAlias(w.state, p, { task: "resize", name: "v2-live_1", version: 2 }, w.ctx),
    "ALIAS_EXISTS",
    "name",
  );
  assert.match(e.message, /task "resize" already has an alias "v2-live_1"/);
});

test("targets must be published versions", () => {
  const { w, p } = twoVersions();
  const e = expectError(
    () => createAlias(w.state, p, { task: "resize", name: "x", version: 7 }, w.ctx),
    "VERSION_NOT_FOUND",
    "version",
  );
  assert.equal(e.message, 'VERSION_NOT_FOUND: task "resize" has no version 7');
  expectError(
    () => createAlias(w.state, p, { task: "resize", name: "x", version: 0 }, w.ctx),
    "INVALID_INPUT",
    "version",
  );
  expectError(
    () => createAlias(w.state, p, { task: "resize", name: "x", version: "latest" as "$LATEST" }, w.ctx),
    "INVALID_INPUT",
    "version",
  );
  expectError(
    () => createAlias(w.state, p, { task: "nope", name: "x", version: 1 }, w.ctx),
    "TASK_NOT_FOUND",
    "task",
  );
});

test("a split needs two different published versions and a weight strictly between 0 and 1", () => {
  const { w, p } = twoVersions();
  const ok = w.apply((s) =>
    createAlias(
      s,
      p,
      { task: "resize", name: "canary", version: 1, split: { additionalVersion: 2, weight: 0.1 } },
      w.ctx,
    ),
  );
  assert.deepEqual(ok.routing, { version: 1, split: { additionalVersion: 2, weight: 0.1 } });
  const make = (version: number | "$LATEST", split: { additionalVersion: number; weight: number }) => () =>
    createAlias(w.state, p, { task: "resize", name: "s", version, split }, w.ctx);
  expectError(make(1, { additionalVersion: 2, weight: 0 }), "INVALID_INPUT", "split.weight");
  expectError(make(1, { additionalVersion: 2, weight: 1 }), "INVALID_INPUT", "split.weight");
  expectError(make(1, { additionalVersion: 1, weight: 0.5 }), "INVALID_INPUT", "split.additionalVersion");
  expectError(make(1, { additionalVersion: 9, weight: 0.5 }), "VERSION_NOT_FOUND", "split.additionalVersion");
  expectError(make("$LATEST", { additionalVersion: 2, weight: 0.5 }), "INVALID_INPUT", "version");
});

test("update re-points, sets or clears a split, and keeps what is left out", () => {
  const { w, p } = twoVersions();
  const a = w.apply((s) =>
    createAlias(s, p, { task: "resize", name: "prod", version: 1, description: "d" }, w.ctx),
  );
  const split = w.apply((s) =>
    updateAlias(s, p, { aliasId: a.id, split: { additionalVersion: 2, weight: 0.25 } }, w.ctx),
  );
  assert.deepEqual(split.routing, { version: 1, split: { additionalVersion: 2, weight: 0.25 } });
  assert.equal(split.description, "d");
  const moved = w.apply((s) => updateAlias(s, p, { aliasId: a.id, version: 2, split: null }, w.ctx));
  assert.deepEqual(moved.routing, { version: 2, split: null });
  expectError(
    () => updateAlias(w.state, p, { aliasId: a.id, version: 3 }, w.ctx),
    "VERSION_NOT_FOUND",
    "version",
  );
  const other = w.profile("mallory");
  expectError(
    () => updateAlias(w.state, other, { aliasId: a.id, version: 1 }, w.ctx),
    "ALIAS_NOT_FOUND",
    "aliasId",
  );
});

test("delete takes the alias's tokens with it; only the holder can delete", () => {
  const { w, p } = twoVersions();
  const a = w.apply((s) => createAlias(s, p, { task: "resize", name: "prod", version: 1 }, w.ctx));
  w.apply((s) => mintAliasToken(s, p, { aliasId: a.id }, w.ctx));
  const other = w.profile("mallory");
  expectError(() => deleteAlias(w.state, other, { aliasId: a.id }), "ALIAS_NOT_FOUND");
  w.apply((s) => deleteAlias(s, p, { aliasId: a.id }));
  assert.equal(w.state.aliases.length, 0);
  assert.equal(w.state.tokens.length, 0);
});
