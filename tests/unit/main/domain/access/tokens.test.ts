// Tokens: shown once, stored hashed, and refused with one and the same error for every way they can be wrong.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias, deleteAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { revokeGrant } from "../../../../../main/domain/aliases/grants.ts";
import { sha256Hex } from "../../../../../main/domain/model/hashing.ts";
import {
  checkRemoteUse,
  findValidToken,
  mintAliasToken,
  revokeToken,
  TOKEN_PATTERN,
  verifyToken,
} from "../../../../../main/domain/access/tokens.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError } from "../domain-world.ts";

function tokenWorld() {
  const world = crossWorld();
  const { w, owner, caller, ownerAccount } = world;
  const live = w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 1 }, w.ctx));
  const other = w.apply((s) => createAlias(s, owner, { task: "resize", name: "other", version: 2 }, w.ctx));
  const shared = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 },
      w.ctx,
    ),
  );
  return { ...world, live, other, shared };
}

const INVALID = "TOKEN_INVALID: the token is not valid for this request";

test("a minted token is shown once and stored only as its sha256", () => {
  const { w, owner, live } = tokenWorld();
  const { token, secret } = w.apply((s) =>
    mintAliasToken(s, owner, { aliasId: live.id, label: "ci" }, w.ctx),
  );
  assert.match(secret, TOKEN_PATTERN);
  assert.deepEqual(token.scope, { kind: "alias", profileId: owner, aliasId: live.id });
  const stored = w.state.tokens[0];
  assert.equal(stored?.sha256, sha256Hex(secret));
  assert.ok(!JSON.stringify(w.state).includes(secret));
  assert.equal(stored?.lookup, secret.slice(4, 14));
  assert.deepEqual(verifyToken(w.state, secret, w.now), {
    kind: "alias",
    profileId: owner,
    aliasId: live.id,
  });
  assert.deepEqual(verifyToken(w.state, secret, w.now, token.scope), token.scope);
});

test("a token works on this machine only unless minted remote; only a remote one may be used from another", () => {
  const { w, owner, live } = tokenWorld();
  const local = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  const remote = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id, remote: true }, w.ctx));
  assert.equal(local.token.remote, false);
  assert.equal(remote.token.remote, true);
  assert.deepEqual(
    w.state.tokens.map((t) => t.remote),
    [false, true],
  );
  // Both are valid tokens; the shared listener asks the second question.
  const found = findValidToken(w.state, local.secret, w.now);
  expectError(() => checkRemoteUse(found), "TOKEN_LOCAL_ONLY", "token");
  checkRemoteUse(findValidToken(w.state, remote.secret, w.now));
  expectError(
    () => mintAliasToken(w.state, owner, { aliasId: live.id, remote: "yes" as never }, w.ctx),
    "INVALID_INPUT",
    "remote",
  );
});

test("wrong, malformed, expired, revoked and other-alias tokens all get the same error", () => {
  const { w, owner, live, other } = tokenWorld();
  const good = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx)).secret;
  const expiring = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id, expiresInS: 60 }, w.ctx));
  const revoked = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  w.apply((s) => revokeToken(s, owner, { tokenId: revoked.token.id }, w.ctx));
  const otherAlias = w.apply((s) => mintAliasToken(s, owner, { aliasId: other.id }, w.ctx)).secret;

  // A last character changed keeps the lookup prefix but not the hash.
  const last = good.at(-1) === "A" ? "B" : "A";
  const cases: [string, () => unknown][] = [
    ["wrong", () => verifyToken(w.state, good.slice(0, -1) + last, w.now)],
    ["unknown", () => verifyToken(w.state, `hth_${"Z".repeat(43)}`, w.now)],
    ["malformed", () => verifyToken(w.state, "Bearer nonsense", w.now)],
    ["empty", () => verifyToken(w.state, "", w.now)],
    ["expired", () => verifyToken(w.state, expiring.secret, w.now + 61_000)],
    ["revoked", () => verifyToken(w.state, revoked.secret, w.now)],
    [
      "other alias's",
      () => verifyToken(w.state, otherAlias, w.now, { kind: "alias", profileId: owner, aliasId: live.id }),
    ],
  ];
  for (const [what, fn] of cases) {
    const e = expectError(fn, "TOKEN_INVALID");
    assert.equal(e.message, INVALID, what);
  }
  // Not yet expired one millisecond before its end.
  assert.ok(verifyToken(w.state, expiring.secret, Date.parse(expiring.token.expiresAt as string) - 1));
});

test("a token dies with its alias, and with the grant under a cross-profile alias", () => {
  const { w, owner, caller, live, shared, grant } = tokenWorld();
  const a = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx)).secret;
  const b = w.apply((s) => mintAliasToken(s, caller, { aliasId: shared.id }, w.ctx)).secret;
  assert.equal(verifyToken(w.state, b, w.now).profileId, caller);
  // Keep the token records but drop what they stand on, to show verification checks the target too.
  const orphaned = structuredClone(w.state);
  orphaned.grants = [];
  expectError(() => verifyToken(orphaned, b, w.now), "TOKEN_INVALID");
  w.apply((s) => deleteAlias(s, owner, { aliasId: live.id }));
  expectError(() => verifyToken(w.state, a, w.now), "TOKEN_INVALID");
  w.apply((s) => revokeGrant(s, owner, { grantId: grant.id }));
  expectError(() => verifyToken(w.state, b, w.now), "TOKEN_INVALID");
});

test("only an alias's holder mints and revokes its tokens", () => {
  const { w, owner, caller, live, shared } = tokenWorld();
  expectError(() => mintAliasToken(w.state, caller, { aliasId: live.id }, w.ctx), "ALIAS_NOT_FOUND");
  // The task owner holds no power over the caller's alias.
  expectError(() => mintAliasToken(w.state, owner, { aliasId: shared.id }, w.ctx), "ALIAS_NOT_FOUND");
  const { token } = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  expectError(() => revokeToken(w.state, caller, { tokenId: token.id }, w.ctx), "TOKEN_NOT_FOUND", "tokenId");
  const revoked = w.apply((s) => revokeToken(s, owner, { tokenId: token.id }, w.ctx));
  assert.ok(revoked.revokedAt);
  expectError(
    () => mintAliasToken(w.state, owner, { aliasId: live.id, expiresInS: 0 }, w.ctx),
    "INVALID_INPUT",
    "expiresInS",
  );
});

test("tokens are distinct and their lookups never collide", () => {
  const { w, owner, live } = tokenWorld();
  const secrets = new Set<string>();
  for (let i = 0; i < 50; i++)
    secrets.add(w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx)).secret);
  assert.equal(secrets.size, 50);
  assert.equal(new Set(w.state.tokens.map((t) => t.lookup)).size, 50);
  for (const s of secrets) assert.equal(verifyToken(w.state, s, w.now).kind, "alias");
});

test("a token carries the rate limit chosen at mint time, checked and named when wrong", () => {
  const { w, owner, live } = tokenWorld();
  const limited = w.apply((s) =>
    mintAliasToken(s, owner, { aliasId: live.id, rateLimitPerMinute: 30, expiresInS: 3600 }, w.ctx),
  );
  assert.equal(limited.token.rateLimitPerMinute, 30);
  assert.equal(w.state.tokens.at(-1)?.rateLimitPerMinute, 30);
  assert.ok(limited.token.expiresAt !== null);
  const open = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  assert.equal(open.token.rateLimitPerMinute, null);
  assert.deepEqual(open.token.usage, { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] });
  for (const bad of [0, -1, 1.5, 10_001, "60"]) {
    expectError(
      () => mintAliasToken(w.state, owner, { aliasId: live.id, rateLimitPerMinute: bad as never }, w.ctx),
      "INVALID_INPUT",
      "rateLimitPerMinute",
    );
  }
});

test("a token minted before rate limits existed verifies and lists as unlimited", () => {
  const { w, owner, live } = tokenWorld();
  const { secret } = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  const state = structuredClone(w.state);
  delete state.tokens[0]!.rateLimitPerMinute;
  assert.deepEqual(verifyToken(state, secret, Date.now()), {
    kind: "alias",
    profileId: owner,
    aliasId: live.id,
  });
});
