// Resource policies: statements keyed by StatementId per function and qualifier, what each lets an account invoke,
// and what they go with.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addPermission,
  policyStatements,
  removePermission,
} from "../../../../../main/domain/access/function-policy.ts";
import { canInvoke, resolveInvokeTarget } from "../../../../../main/domain/access/authorization.ts";
import { deleteProfile } from "../../../../../main/domain/access/profiles.ts";
import { createAlias, deleteAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { deleteTask } from "../../../../../main/domain/tasks/tasks.ts";
import { deleteVersion } from "../../../../../main/domain/tasks/task-settings.ts";
import { expectError, World } from "../domain-world.ts";

function world() {
  const w = new World();
  const owner = w.profile("owner");
  const mate = w.profile("mate");
  const other = w.profile("other");
  w.task(owner, { name: "resize" });
  w.publish(owner, "resize");
  const alias = w.apply((s) => createAlias(s, owner, { task: "resize", name: "prod", version: 1 }, w.ctx));
  const account = (id: string) => w.state.profiles.find((p) => p.id === id)!.accountId;
  const add = (sid: string, principal: string, qualifier: string | null = null) =>
    w.apply((s) =>
      addPermission(
        s,
        owner,
        { task: "resize", qualifier, sid, action: "lambda:InvokeFunction", principal },
        w.ctx,
      ),
    );
  return { w, owner, mate, other, alias, account, add };
}

test("a statement opens exactly the ARN it names to exactly its account", () => {
  const { w, owner, mate, other, account, add } = world();
  const ref = (qualifier?: string) => ({
    task: "resize",
    ownerAccountId: account(owner),
    ...(qualifier !== undefined ? { qualifier } : {}),
  });
  expectError(() => resolveInvokeTarget(w.state, mate, ref()), "FORBIDDEN", "FunctionName");
  // Alike for a function that does not exist: another account's names cannot be probed.
  expectError(
    () => resolveInvokeTarget(w.state, mate, { task: "nothing", ownerAccountId: account(owner) }),
    "FORBIDDEN",
  );
  add("fn", account(mate));
  const latest = resolveInvokeTarget(w.state, mate, ref());
  assert.deepEqual(latest, { kind: "version", taskId: w.state.tasks[0]!.id, version: "$LATEST" });
  assert.equal(canInvoke(w.state, mate, latest), true);
  assert.equal(canInvoke(w.state, other, latest), false);
  expectError(() => resolveInvokeTarget(w.state, other, ref()), "FORBIDDEN");
  expectError(() => resolveInvokeTarget(w.state, mate, ref("1")), "FORBIDDEN");
  expectError(() => resolveInvokeTarget(w.state, mate, ref("prod")), "FORBIDDEN");

  add("v1", `arn:aws:iam::${account(mate)}:root`, "1");
  assert.deepEqual(resolveInvokeTarget(w.state, mate, ref("1")), {
    kind: "version",
    taskId: w.state.tasks[0]!.id,
    version: 1,
  });
  expectError(() => resolveInvokeTarget(w.state, mate, ref("prod")), "FORBIDDEN");
  add("prod", account(mate), "prod");
  const viaAlias = resolveInvokeTarget(w.state, mate, ref("prod"));
  assert.equal(viaAlias.kind, "alias");
  assert.equal(canInvoke(w.state, mate, viaAlias), true);
  assert.equal(canInvoke(w.state, other, viaAlias), false);
  assert.deepEqual(
    policyStatements(w.state, w.state.tasks[0]!.id, null).map((p) => p.sid),
    ["fn"],
  );

  w.apply((s) => removePermission(s, owner, { task: "resize", sid: "fn" }));
  expectError(() => resolveInvokeTarget(w.state, mate, ref()), "FORBIDDEN");
  assert.equal(canInvoke(w.state, mate, latest), false);
  assert.equal(resolveInvokeTarget(w.state, mate, ref("1")).kind, "version", "the others stand alone");
});

test("statement ids are unique per function and qualifier; bad fields are named", () => {
  const { w, owner, mate, account, add } = world();
  add("share", account(mate));
  add("share", account(mate), "prod");
  expectError(() => add("share", account(mate)), "STATEMENT_EXISTS", "StatementId");
  expectError(() => add("a b", account(mate)), "INVALID_INPUT", "sid");
  expectError(() => add("x", "*"), "INVALID_INPUT", "Principal");
  expectError(() => add("x", "sns.amazonaws.com"), "INVALID_INPUT", "Principal");
  expectError(() => add("x", "123412341234"), "PROFILE_NOT_FOUND", "Principal");
  expectError(() => add("x", account(mate), "$LATEST"), "INVALID_INPUT", "Qualifier");
  expectError(() => add("x", account(mate), "7"), "VERSION_NOT_FOUND", "Qualifier");
  expectError(() => add("x", account(mate), "staging"), "ALIAS_NOT_FOUND", "Qualifier");
  expectError(
    () =>
      w.apply((s) =>
        addPermission(
          s,
          owner,
          { task: "resize", sid: "y", action: "lambda:*", principal: account(mate) },
          w.ctx,
        ),
      ),
    "INVALID_INPUT",
    "Action",
  );
  expectError(
    () => w.apply((s) => removePermission(s, owner, { task: "resize", sid: "nope" })),
    "STATEMENT_NOT_FOUND",
    "StatementId",
  );
  // Another profile cannot add to a task it does not own.
  expectError(
    () =>
      w.apply((s) =>
        addPermission(
          s,
          mate,
          { task: "resize", sid: "z", action: "lambda:InvokeFunction", principal: account(mate) },
          w.ctx,
        ),
      ),
    "TASK_NOT_FOUND",
  );
});

test("statements go with their alias, version, task and grantee profile", () => {
  const { w, owner, mate, other, alias, account, add } = world();
  add("fn", account(mate));
  add("v1", account(mate), "1");
  add("prod", account(mate), "prod");
  add("other", account(other));
  w.apply((s) => deleteAlias(s, owner, { aliasId: alias.id }));
  assert.deepEqual(w.state.permissions.map((p) => p.sid).sort(), ["fn", "other", "v1"]);
  w.apply((s) => deleteVersion(s, owner, { task: "resize", version: 1 }));
  assert.deepEqual(w.state.permissions.map((p) => p.sid).sort(), ["fn", "other"]);
  w.apply((s) => deleteProfile(s, mate, {}));
  assert.deepEqual(
    w.state.permissions.map((p) => p.sid),
    ["other"],
  );
  w.apply((s) => deleteTask(s, owner, { task: "resize" }));
  assert.deepEqual(w.state.permissions, []);
});
