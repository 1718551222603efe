// canInvoke and target resolution: own tasks, own aliases, and cross-profile aliases only while their grant lives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { canInvoke, resolveInvokeTarget } from "../../../../../main/domain/access/authorization.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { revokeGrant } from "../../../../../main/domain/aliases/grants.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError } from "../domain-world.ts";

function world() {
  const base = crossWorld();
  const { w, owner, caller, ownerAccount } = base;
  const live = w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 2 }, w.ctx));
  const prod = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 },
      w.ctx,
    ),
  );
  return { ...base, live, prod };
}

test("the owner invokes its task at any version and through its aliases", () => {
  const { w, owner, taskId, live } = world();
  assert.ok(canInvoke(w.state, owner, { kind: "version", taskId, version: "$LATEST" }));
  assert.ok(canInvoke(w.state, owner, { kind: "version", taskId, version: 2 }));
  assert.ok(!canInvoke(w.state, owner, { kind: "version", taskId, version: 9 }));
  assert.ok(canInvoke(w.state, owner, { kind: "alias", aliasId: live.id }));
});

test("the grantee invokes only through its own alias, not the task itself nor the owner's aliases", () => {
  const { w, caller, taskId, live, prod } = world();
  assert.ok(canInvoke(w.state, caller, { kind: "alias", aliasId: prod.id }));
  assert.ok(!canInvoke(w.state, caller, { kind: "version", taskId, version: "$LATEST" }));
  assert.ok(!canInvoke(w.state, caller, { kind: "version", taskId, version: 1 }));
  assert.ok(!canInvoke(w.state, caller, { kind: "alias", aliasId: live.id }));
});

test("nobody else invokes anything of theirs; the owner cannot use the caller's alias", () => {
  const { w, owner, stranger, taskId, live, prod } = world();
  assert.ok(!canInvoke(w.state, stranger, { kind: "version", taskId, version: 1 }));
  assert.ok(!canInvoke(w.state, stranger, { kind: "alias", aliasId: live.id }));
  assert.ok(!canInvoke(w.state, stranger, { kind: "alias", aliasId: prod.id }));
  assert.ok(!canInvoke(w.state, owner, { kind: "alias", aliasId: prod.id }));
  assert.ok(!canInvoke(w.state, "prf_gone", { kind: "alias", aliasId: live.id }));
});

test("a cross-profile alias stops working when its grant is gone", () => {
  const { w, owner, caller, grant, prod } = world();
  const orphaned = structuredClone(w.state);
  orphaned.grants = [];
  assert.ok(!canInvoke(orphaned, caller, { kind: "alias", aliasId: prod.id }));
  w.apply((s) => revokeGrant(s, owner, { grantId: grant.id }));
  assert.ok(!canInvoke(w.state, caller, { kind: "alias", aliasId: prod.id }));
});

test("resolveInvokeTarget reads Lambda's name[:qualifier], with the owner's account for shared tasks", () => {
  const { w, owner, caller, taskId, live, prod, ownerAccount } = world();
  assert.deepEqual(resolveInvokeTarget(w.state, owner, { task: "resize" }), {
    kind: "version",
    taskId,
    version: "$LATEST",
  });
  assert.deepEqual(resolveInvokeTarget(w.state, owner, { task: "resize", qualifier: "2" }), {
    kind: "version",
    taskId,
    version: 2,
  });
  assert.deepEqual(
    resolveInvokeTarget(w.state, owner, { task: "resize", qualifier: "live", ownerAccountId: ownerAccount }),
    {
      kind: "alias",
      aliasId: live.id,
    },
  );
  assert.equal(
    expectError(
      () => resolveInvokeTarget(w.state, owner, { task: "resize", qualifier: "prod" }),
      "ALIAS_NOT_FOUND",
      "qualifier",
    ).message,
    'ALIAS_NOT_FOUND: no alias "prod" on task "resize"',
  );
  expectError(
    () => resolveInvokeTarget(w.state, owner, { task: "resize", qualifier: "7" }),
    "VERSION_NOT_FOUND",
    "qualifier",
  );
  assert.deepEqual(
    resolveInvokeTarget(w.state, caller, { task: "resize", qualifier: "prod", ownerAccountId: ownerAccount }),
    {
      kind: "alias",
      aliasId: prod.id,
    },
  );
  expectError(
    () =>
      resolveInvokeTarget(w.state, caller, { task: "resize", qualifier: "1", ownerAccountId: ownerAccount }),
    "ALIAS_NOT_FOUND",
  );
  expectError(() => resolveInvokeTarget(w.state, caller, { task: "resize" }), "TASK_NOT_FOUND", "task");
});

test("a resolved target is always one canInvoke accepts", () => {
  const { w, owner, caller, ownerAccount } = world();
  const refs: [string, { task: string; qualifier?: string; ownerAccountId?: string }][] = [
    [owner, { task: "resize" }],
    [owner, { task: "resize", qualifier: "1" }],
    [owner, { task: "resize", qualifier: "live" }],
    [caller, { task: "resize", qualifier: "prod", ownerAccountId: ownerAccount }],
  ];
  for (const [who, ref] of refs) assert.ok(canInvoke(w.state, who, resolveInvokeTarget(w.state, who, ref)));
});
