// Grants: given by a task's owner to another profile, unique, with limits; revoking removes what was built on them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { createGrant, revokeGrant } from "../../../../../main/domain/aliases/grants.ts";
import { mintAliasToken } from "../../../../../main/domain/access/tokens.ts";
import { listGrantViews } from "../../../../../main/domain/model/views.ts";
import { crossWorld, TEST_ALLOWED_ENV } from "../cross-world.ts";
import { expectError } from "../domain-world.ts";

test("a grant records owner, task, grantee, limits and time", () => {
  const { w, owner, caller, grant } = crossWorld({ maxMemoryMb: 1024, maxTimeoutS: 30 });
  assert.equal(grant.task.name, "resize");
  assert.equal(grant.grantee.profileId, caller);
  assert.deepEqual(grant.limits, {
    maxMemoryMb: 1024,
    maxTimeoutS: 30,
    allowedEnvironment: [...TEST_ALLOWED_ENV].sort(),
    callerPlacement: "code-and-environment",
  });
  assert.match(grant.createdAt, /^2025-03-01T10:00:\d\d\.000Z$/);
  assert.deepEqual(listGrantViews(w.state, owner), [grant]);
  assert.deepEqual(listGrantViews(w.state, caller), [grant]);
});

test("only the owner grants, once per grantee, never to itself, with valid limits", () => {
  const { w, owner, caller, stranger } = crossWorld();
  expectError(
    () => createGrant(w.state, stranger, { task: "resize", granteeProfileId: caller }, w.ctx),
    "TASK_NOT_FOUND",
    "task",
  );
  expectError(
    () => createGrant(w.state, owner, { task: "resize", granteeProfileId: caller }, w.ctx),
    "GRANT_EXISTS",
    "granteeProfileId",
  );
  expectError(
    () => createGrant(w.state, owner, { task: "resize", granteeProfileId: owner }, w.ctx),
    "INVALID_INPUT",
    "granteeProfileId",
  );
  expectError(
    () => createGrant(w.state, owner, { task: "resize", granteeProfileId: "prf_x" }, w.ctx),
    "PROFILE_NOT_FOUND",
  );
  expectError(
    () => createGrant(w.state, owner, { task: "resize", granteeProfileId: stranger, maxMemoryMb: 64 }, w.ctx),
    "INVALID_INPUT",
    "maxMemoryMb",
  );
  expectError(
    () =>
      createGrant(w.state, owner, { task: "resize", granteeProfileId: stranger, maxTimeoutS: 901 }, w.ctx),
    "INVALID_INPUT",
    "maxTimeoutS",
  );
});

test("revoking removes the grant, the aliases built on it and their tokens", () => {
  const { w, owner, caller, stranger, grant, ownerAccount } = crossWorld();
  const alias = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 },
      w.ctx,
    ),
  );
  w.apply((s) => mintAliasToken(s, caller, { aliasId: alias.id }, w.ctx));
  expectError(() => revokeGrant(w.state, stranger, { grantId: grant.id }), "GRANT_NOT_FOUND", "grantId");
  expectError(() => revokeGrant(w.state, caller, { grantId: grant.id }), "GRANT_NOT_FOUND", "grantId");
  const out = w.apply((s) => revokeGrant(s, owner, { grantId: grant.id }));
  assert.deepEqual(out.removedAliases, [{ profileId: caller, aliasName: "prod" }]);
  assert.equal(w.state.grants.length, 0);
  assert.equal(w.state.aliases.length, 0);
  assert.equal(w.state.tokens.length, 0);
  expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        caller,
        { ownerAccountId: ownerAccount, task: "resize", name: "again", version: 1 },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
  );
});
