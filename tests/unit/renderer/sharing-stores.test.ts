// Aliases, grants and tokens: a bad split never leaves, secrets that are never kept, a token shown once.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AliasView, TokenView } from "../../../main/contract.ts";
import { createAliasesStore } from "../../../renderer/stores/aliases-store.ts";
import { createGrantsStore } from "../../../renderer/stores/grants-store.ts";
import { createTokensStore, tokenState } from "../../../renderer/stores/tokens-store.ts";
import { fakeApi } from "./fake-api.ts";

const alias = (over: Partial<AliasView> = {}): AliasView => ({
  id: "als_1",
  name: "prod",
  description: "",
  profileId: "p2",
  task: { id: "tsk_1", name: "echo", ownerAccountId: "111122223333" },
  crossProfile: true,
  routing: { version: 1, split: null },
  customization: {
    environment: {},
    secretNames: ["API_KEY"],
    memoryMb: null,
    timeoutS: null,
    runsIn: "owner",
  },
  createdAt: "2026-11-23T00:00:00.000Z",
  updatedAt: "2026-11-23T00:00:00.000Z",
  ...over,
});

const token = (over: Partial<TokenView> = {}): TokenView => ({
  id: "tok_1",
  label: "",
  hint: "hth_abcdef…",
  scope: { kind: "alias", profileId: "p2", aliasId: "als_1" },
  createdAt: "2026-11-23T00:00:00.000Z",
  expiresAt: null,
  revokedAt: null,
  rateLimitPerMinute: null,
  remote: false,
  usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
  ...over,
});

test("a same-profile alias with a split reaches the host in its shape; a bad split never leaves", async () => {
  const api = fakeApi({ createAlias: () => alias({ crossProfile: false, customization: null }) });
  const store = createAliasesStore(api);
  assert.equal(
    await store
      .getState()
      .createOwn({ task: "echo", name: "prod", version: 1, split: { additionalVersion: 2, percent: 20 } }),
    null,
  );
  assert.deepEqual(api.calls[0]!.input, {
    task: "echo",
    name: "prod",
    version: 1,
    split: { additionalVersion: 2, weight: 0.2 },
  });
  const err = await store
    .getState()
    .createOwn({ task: "echo", name: "x", version: "$LATEST", split: { additionalVersion: 2, percent: 20 } });
  assert.equal(err?.field, "split");
  assert.equal(api.calls.length, 1);
});

test("a cross-profile alias's secrets are sent once and never kept", async () => {
  const api = fakeApi({ createSharedAlias: () => alias() });
  const store = createAliasesStore(api);
  const err = await store.getState().createShared({
    ownerAccountId: "111122223333",
    task: "echo",
    name: "prod",
    version: 1,
    environment: { MODE: "test" },
    secrets: { API_KEY: "very-secret-value" },
    memoryMb: null,
    timeoutS: null,
    runsIn: "owner",
  });
  assert.equal(err, null);
  assert.equal(
    (api.calls[0]!.input as { secrets: Record<string, string> }).secrets.API_KEY,
    "very-secret-value",
  );
  assert.ok(!JSON.stringify(store.getState()).includes("very-secret-value"));
  assert.deepEqual(store.getState().items[0]!.customization?.secretNames, ["API_KEY"]);
});

test("a grant needs someone to share with", async () => {
  const api = fakeApi({});
  const store = createGrantsStore(api);
  const err = await store
    .getState()
    .create({ task: "echo", grantee: "  ", maxMemoryMb: null, maxTimeoutS: null, allowedEnvironment: null });
  assert.equal(err?.field, "grantee");
  assert.equal(api.calls.length, 0);
});

test("a minted token's secret is held only until dismissed or revoked", async () => {
  const api = fakeApi({
    mintToken: () => ({ token: token(), secret: "hth_secretsecret" }),
    revokeToken: () => token({ revokedAt: "2026-11-23T01:00:00.000Z" }),
  });
  const store = createTokensStore(api);
  assert.equal(await store.getState().mint({ aliasId: "als_1", label: " ci ", expiresInS: null }), null);
  assert.deepEqual(api.calls[0]!.input, { aliasId: "als_1", label: "ci" });
  assert.equal(store.getState().minted?.secret, "hth_secretsecret");
  assert.ok(!JSON.stringify(store.getState().items).includes("hth_secretsecret"));
  assert.equal(await store.getState().revoke("tok_1"), null);
  assert.equal(store.getState().minted, null);
  assert.equal(tokenState(store.getState().items[0]!, Date.now()), "revoked");
});

test("a token's state: active, expired, revoked", () => {
  const now = Date.parse("2026-11-23T12:00:00.000Z");
  assert.equal(tokenState(token(), now), "active");
  assert.equal(tokenState(token({ expiresAt: "2026-11-23T11:00:00.000Z" }), now), "expired");
  assert.equal(tokenState(token({ revokedAt: "2026-11-23T10:00:00.000Z" }), now), "revoked");
});
