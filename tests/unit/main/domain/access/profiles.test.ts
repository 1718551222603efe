// Profiles: account ids and key pairs on creation, unique names, renaming, and deletion that minds other profiles.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { createGrant } from "../../../../../main/domain/aliases/grants.ts";
import {
  createProfile,
  deleteProfile,
  referencedCodeShas,
  renameProfile,
} from "../../../../../main/domain/access/profiles.ts";
import { mintAliasToken } from "../../../../../main/domain/access/tokens.ts";
import { expectError, sha, World } from "../domain-world.ts";

test("a new profile gets a 12-digit account id and an access key pair shown once", () => {
  const w = new World();
  const { profile, credentials } = w.apply((s) => createProfile(s, { name: "alice" }, w.ctx));
  assert.match(profile.accountId, /^[0-9]{12}$/);
  assert.match(credentials.accessKeyId, /^HKIA[A-Z0-9]{16}$/);
  assert.equal(credentials.secretAccessKey.length, 40);
  assert.deepEqual(profile.accessKeyIds, [credentials.accessKeyId]);
  assert.equal(profile.createdAt, "2025-03-01T10:00:00.000Z");
  // The secret is kept only hashed and sealed, never as it was shown.
  const doc = JSON.stringify(w.state);
  assert.ok(!doc.includes(credentials.secretAccessKey));
  assert.equal(w.state.profiles[0]?.credentials[0]?.secretHash.algorithm, "scrypt");
});

test("names are validated and unique; account ids are unique", () => {
  const w = new World();
  w.profile("alice");
  expectError(() => createProfile(w.state, { name: "alice" }, w.ctx), "PROFILE_EXISTS", "name");
  expectError(() => createProfile(w.state, { name: "has space" }, w.ctx), "INVALID_INPUT", "name");
  expectError(() => createProfile(w.state, { name: "" }, w.ctx), "INVALID_INPUT", "name");
  w.profile("bob");
  w.profile("carol");
  const ids = new Set(w.state.profiles.map((p) => p.accountId));
  assert.equal(ids.size, 3);
});

test("creating a profile does not change the state it was given", () => {
  const w = new World();
  const before = structuredClone(w.state);
  const change = createProfile(w.state, { name: "alice" }, w.ctx);
  assert.deepEqual(w.state, before);
  assert.equal(change.state.profiles.length, 1);
});

test("rename: to a free, valid name only", () => {
  const w = new World();
  const a = w.profile("alice");
  w.profile("bob");
  assert.equal(w.apply((s) => renameProfile(s, a, { name: "alicia" })).name, "alicia");
  expectError(() => renameProfile(w.state, a, { name: "bob" }), "PROFILE_EXISTS", "name");
  expectError(() => renameProfile(w.state, a, { name: "b/c" }), "INVALID_INPUT", "name");
  expectError(() => renameProfile(w.state, "prf_nope", { name: "x" }), "PROFILE_NOT_FOUND", "profileId");
  // Renaming to its own name is not a clash.
  assert.equal(w.apply((s) => renameProfile(s, a, { name: "alicia" })).name, "alicia");
});

function sharedWorld() {
  const w = new World();
  const owner = w.profile("owner");
  const other = w.profile("other");
  w.task(owner, { name: "resize" });
  w.publish(owner, "resize");
  w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 1 }, w.ctx));
  const grant = w.apply((s) => createGrant(s, owner, { task: "resize", granteeProfileId: other }, w.ctx));
  const ownerAccount = w.state.profiles.find((p) => p.id === owner)?.accountId as string;
  const alias = w.apply((s) =>
    createCrossProfileAlias(
      s,
      other,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 },
      w.ctx,
    ),
  );
  w.apply((s) => mintAliasToken(s, other, { aliasId: alias.id }, w.ctx));
  return { w, owner, other, grant, alias };
}

test("delete is refused while another profile aliases the profile's tasks, naming them", () => {
  const { w, owner } = sharedWorld();
  const before = structuredClone(w.state);
  const e = expectError(() => deleteProfile(w.state, owner), "PROFILE_IN_USE", "force");
  assert.match(e.message, /other's "prod" on "resize"/);
  assert.deepEqual(w.state, before);
});

test("delete with force removes the profile, its tasks, aliases, grants, and the aliases and tokens on them", () => {
  const { w, owner, other } = sharedWorld();
  const out = w.apply((s) => deleteProfile(s, owner, { force: true }));
  assert.deepEqual(out.removedForeignAliases, [{ profileId: other, aliasName: "prod", taskName: "resize" }]);
  assert.deepEqual(
    w.state.profiles.map((p) => p.id),
    [other],
  );
  assert.equal(w.state.tasks.length, 0);
  assert.equal(w.state.aliases.length, 0);
  assert.equal(w.state.grants.length, 0);
  assert.equal(w.state.tokens.length, 0);
});

test("deleting the grantee removes only what it held", () => {
  const { w, owner, other } = sharedWorld();
  w.apply((s) => deleteProfile(s, other));
  assert.equal(w.state.tasks.length, 1);
  assert.deepEqual(
    w.state.aliases.map((a) => [a.profileId, a.name]),
    [[owner, "live"]],
  );
  assert.equal(w.state.grants.length, 0);
  assert.equal(w.state.tokens.length, 0);
});

test("referencedCodeShas lists heads and versions", () => {
  const w = new World();
  const p = w.profile("p");
  w.task(p, { name: "a", code: { sha256: sha("1"), size: 1 } });
  w.publish(p, "a");
  w.task(p, { name: "b", code: { sha256: sha("2"), size: 1 } });
  assert.deepEqual([...referencedCodeShas(w.state)].sort(), [sha("1"), sha("2")]);
});
