// Views: what each profile may read. A grantee never sees code, code sha, handler or the owner's environment;
// an owner never sees its callers' environment or secrets; strangers see nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { mintAliasToken } from "../../../../../main/domain/access/tokens.ts";
import {
  aliasView,
  listAliasHolders,
  listAliasViews,
  listTaskViews,
  listTokenViews,
  profileView,
  taskView,
} from "../../../../../main/domain/model/views.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError, sha } from "../domain-world.ts";

function sharedWithAlias() {
  const world = crossWorld({ maxMemoryMb: 2048 });
  const { w, caller, owner, ownerAccount } = world;
  const alias = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "prod",
        version: 1,
        environment: { CALLER_BUCKET: "caller-bucket-name" },
        secrets: { CALLER_KEY: "caller-secret-value" },
      },
      w.ctx,
    ),
  );
  const own = w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 2 }, w.ctx));
  return { ...world, alias, own };
}

const OWNER_PRIVATE = [sha("a"), "OWNER_DB", "postgres://owner-only", "index.handler"];
const CALLER_PRIVATE = ["CALLER_BUCKET", "caller-bucket-name", "CALLER_KEY", "caller-secret-value"];

test("the owner sees everything about its task", () => {
  const { w, owner, taskId } = sharedWithAlias();
  const v = taskView(w.state, owner, taskId);
  assert.equal(v.access, "owner");
  if (v.access !== "owner") return;
  assert.equal(v.codeSha256, sha("a"));
  assert.equal(v.handler, "index.handler");
  assert.deepEqual(v.environment, { OWNER_DB: "postgres://owner-only" });
  assert.equal(v.versions.length, 2);
  assert.equal(v.versions[0]?.codeSha256, sha("a"));
});

test("a grantee's view of the task has no code, no code sha, no handler, no environment", () => {
  const { w, caller, ownerAccount, taskId } = sharedWithAlias();
  const v = taskView(w.state, caller, taskId);
  assert.equal(v.access, "grantee");
  assert.deepEqual(Object.keys(v).sort(), [
    "access",
    "description",
    "grantedAt",
    "id",
    "limits",
    "memoryMb",
    "name",
    "ownerAccountId",
    "ownerProfileName",
    "runtime",
    "timeoutS",
    "versions",
  ]);
  assert.equal(v.ownerAccountId, ownerAccount);
  assert.deepEqual(
    v.versions.map((x) => Object.keys(x).sort()),
    [
      ["createdAt", "description", "version"],
      ["createdAt", "description", "version"],
    ],
  );
  const text = JSON.stringify(v);
  for (const s of OWNER_PRIVATE) assert.ok(!text.includes(s), `grantee view leaks ${s}`);
  const listed = JSON.stringify(listTaskViews(w.state, caller));
  for (const s of OWNER_PRIVATE) assert.ok(!listed.includes(s), `grantee listing leaks ${s}`);
});

test("a stranger cannot see the task at all, and cannot tell it exists", () => {
  const { w, stranger, taskId } = sharedWithAlias();
  const real = expectError(() => taskView(w.state, stranger, taskId), "TASK_NOT_FOUND");
  const fake = expectError(() => taskView(w.state, stranger, "tsk_0000000000000000"), "TASK_NOT_FOUND");
  assert.equal(real.message.replace(taskId, "X"), fake.message.replace("tsk_0000000000000000", "X"));
  assert.deepEqual(listTaskViews(w.state, stranger), []);
});

test("the caller reads its alias with customizations but secret names only, and no code location", () => {
  const { w, caller, alias } = sharedWithAlias();
  const v = aliasView(w.state, caller, alias.id);
  assert.deepEqual(v.customization?.secretNames, ["CALLER_KEY"]);
  assert.deepEqual(v.customization?.environment, { CALLER_BUCKET: "caller-bucket-name" });
  const text = JSON.stringify([v, listAliasViews(w.state, caller)]);
  assert.ok(!text.includes("caller-secret-value"));
  for (const s of OWNER_PRIVATE) assert.ok(!text.includes(s), `alias view leaks ${s}`);
});

test("the owner learns who holds aliases on its task, not their environment or secrets", () => {
  const { w, owner, caller, alias, taskId, grant } = sharedWithAlias();
  const holders = listAliasHolders(w.state, owner, taskId);
  assert.deepEqual(holders, [
    {
      profileId: caller,
      profileName: "caller",
      accountId: w.state.profiles.find((p) => p.id === caller)?.accountId,
      aliasName: "prod",
      grantId: grant.id,
      createdAt: alias.createdAt,
    },
  ]);
  const text = JSON.stringify(holders);
  for (const s of CALLER_PRIVATE) assert.ok(!text.includes(s), `holder list leaks ${s}`);
  // The caller's alias itself is invisible to the owner.
  expectError(() => aliasView(w.state, owner, alias.id), "ALIAS_NOT_FOUND");
  assert.deepEqual(
    listAliasViews(w.state, owner).map((a) => a.name),
    ["live"],
  );
  expectError(() => listAliasHolders(w.state, caller, taskId), "TASK_NOT_FOUND");
});

test("another caller sees neither the first caller's alias nor its secrets", () => {
  const { w, stranger, alias } = sharedWithAlias();
  expectError(() => aliasView(w.state, stranger, alias.id), "ALIAS_NOT_FOUND");
  assert.deepEqual(listAliasViews(w.state, stranger), []);
});

test("profile and token views carry no hashes, sealed values or token secrets", () => {
  const { w, caller, alias } = sharedWithAlias();
  const { secret } = w.apply((s) => mintAliasToken(s, caller, { aliasId: alias.id, label: "ci" }, w.ctx));
  const tokens = listTokenViews(w.state, caller);
  assert.equal(tokens.length, 1);
  assert.equal(tokens[0]?.label, "ci");
  const stored = w.state.tokens[0];
  const text = JSON.stringify(tokens);
  assert.ok(!text.includes(secret.slice(4, 20)));
  assert.ok(!text.includes(stored?.sha256 as string));
  const profile = JSON.stringify(profileView(w.state.profiles[0]!));
  assert.ok(!profile.includes("scrypt"));
  assert.ok(!profile.includes(w.state.profiles[0]!.credentials[0]!.secretSealed));
});
