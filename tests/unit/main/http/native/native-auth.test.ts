// Who a native API request acts as: the owner key (with or without a profile), a profile's access key, a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { isHearthError } from "../../../../../main/domain/model/errors.ts";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken } from "../../../../../main/domain/access/tokens.ts";
import { AuthFailures } from "../../../../../main/http/native/auth-failures.ts";
import { NativeAuth } from "../../../../../main/http/native/native-auth.ts";
import { openHearthStore } from "../../../../../main/store/hearth-store.ts";
import { ensureOwnerKey, readOwnerKey } from "../../../../../main/store/owner-key.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";

async function world() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-native-auth-"));
  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const a = await store.documents.update((s) => createProfile(s, { name: "alice" }, ctx()));
  const code = { sha256: "a".repeat(64), size: 1 };
  await store.documents.update((s) =>
    createTask(s, a.profile.id, { name: "echo", runtime: "nodejs", handler: "index.handler", code }, ctx()),
  );
  const alias = await store.documents.update((s) =>
    createAlias(s, a.profile.id, { task: "echo", name: "live", version: "$LATEST" }, ctx()),
  );
  const token = await store.documents.update((s) =>
    mintAliasToken(s, a.profile.id, { aliasId: alias.id }, ctx()),
  );
  const key = await ensureOwnerKey(dir);
  const auth = new NativeAuth(key, new AuthFailures({ maxFailures: 3, windowMs: 60_000 }));
  return {
    dir,
    store,
    key,
    auth,
    alice: a,
    token: token.secret,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(isHearthError(err), String(err));
    return err.code;
  }
  return "none";
};

test("the owner key is minted once, kept, and read back without minting", async () => {
  const w = await world();
  try {
    assert.match(w.key, /^hok_[A-Za-z0-9_-]{43}$/);
    assert.equal(await ensureOwnerKey(w.dir), w.key);
    assert.equal(await readOwnerKey(w.dir), w.key);
    assert.equal(await readOwnerKey(join(w.dir, "nowhere")), null);
  } finally {
    await w.close();
  }
});

test("each kind of credential becomes its caller", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    const h = (authorization: string, extra: Record<string, string> = {}) => ({ authorization, ...extra });
    assert.deepEqual(w.auth.authenticate(s, h(`Bearer ${w.key}`), "a"), { kind: "owner", profileId: null });
    assert.deepEqual(w.auth.authenticate(s, h(`Bearer ${w.key}`, { "x-hearth-profile": "alice" }), "a"), {
      kind: "owner",
      profileId: w.alice.profile.id,
    });
    const basic = Buffer.from(
      `${w.alice.credentials.accessKeyId}:${w.alice.credentials.secretAccessKey}`,
    ).toString("base64");
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(w.auth.authenticate(s, h(`Basic ${basic}`), "a"), {
        kind: "profile",
        profileId: w.alice.profile.id,
      });
    }
    const t = w.auth.authenticate(s, h(`Bearer ${w.token}`), "a");
    assert.equal(t.kind, "token");
    assert.deepEqual(t.kind === "token" && t.ref, {
      task: "echo",
      qualifier: "live",
      ownerAccountId: w.alice.profile.accountId,
    });
  } finally {
    await w.close();
  }
});

test("missing and wrong credentials are told apart from each other but not by which part was wrong", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    assert.equal(
      code(() => w.auth.authenticate(s, {}, "b")),
      "UNAUTHENTICATED",
    );
    const wrongSecret = Buffer.from(`${w.alice.credentials.accessKeyId}:nope`).toString("base64");
    const wrongId = Buffer.from(`HKIA0000000000000000:${w.alice.credentials.secretAccessKey}`).toString(
      "base64",
    );
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: `Basic ${wrongSecret}` }, "c")),
      "CREDENTIALS_INVALID",
    );
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: `Basic ${wrongId}` }, "c")),
      "CREDENTIALS_INVALID",
    );
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: `Bearer hth_${"x".repeat(43)}` }, "d")),
      "TOKEN_INVALID",
    );
  } finally {
    await w.close();
  }
});

test("after too many failures a key waits from that address; the right key still works, other addresses too", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    for (let i = 0; i < 3; i++) {
      assert.equal(
        code(() => w.auth.authenticate(s, { authorization: "Bearer hok_wrong" }, "10.0.0.1")),
        "CREDENTIALS_INVALID",
      );
    }
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: "Bearer hok_wrong" }, "10.0.0.1")),
      "TOO_MANY_ATTEMPTS",
    );
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.key}` }, "10.0.0.1").kind, "owner");
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.key}` }, "10.0.0.2").kind, "owner");
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: "Bearer hok_wrong" }, "10.0.0.2")),
      "CREDENTIALS_INVALID",
    );
  } finally {
    await w.close();
  }
});

test("requests without credentials are never counted: a flood of them leaves every key working", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    for (let i = 0; i < 50; i++)
      assert.equal(
        code(() => w.auth.authenticate(s, {}, "127.0.0.1")),
        "UNAUTHENTICATED",
      );
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.key}` }, "127.0.0.1").kind, "owner");
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.token}` }, "127.0.0.1").kind, "token");
    const basic = Buffer.from(
      `${w.alice.credentials.accessKeyId}:${w.alice.credentials.secretAccessKey}`,
    ).toString("base64");
    assert.equal(w.auth.authenticate(s, { authorization: `Basic ${basic}` }, "127.0.0.1").kind, "profile");
    // Still not counted after the real keys were used.
    assert.equal(
      code(() => w.auth.authenticate(s, {}, "127.0.0.1")),
      "UNAUTHENTICATED",
    );
  } finally {
    await w.close();
  }
});

test("failures count per key: guesses at one key hold back neither the other keys nor the key's real holder", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    const basic = (id: string, secret: string) => ({
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
    });
    const { accessKeyId, secretAccessKey } = w.alice.credentials;
    // Garbage of every kind locks only further garbage.
    for (const authorization of ["Digest x", "Basic bm9jb2xvbg==", `Bearer hth_${"z".repeat(43)}`]) {
      for (let i = 0; i < 3; i++) code(() => w.auth.authenticate(s, { authorization }, "127.0.0.1"));
      assert.equal(
        code(() => w.auth.authenticate(s, { authorization }, "127.0.0.1")),
        "TOO_MANY_ATTEMPTS",
      );
    }
    // Wrong secrets for alice's key: that key waits from here, for wrong secrets…
    for (let i = 0; i < 3; i++) {
      assert.equal(
        code(() => w.auth.authenticate(s, basic(accessKeyId, "nope"), "127.0.0.1")),
        "CREDENTIALS_INVALID",
      );
    }
    assert.equal(
      code(() => w.auth.authenticate(s, basic(accessKeyId, "nope"), "127.0.0.1")),
      "TOO_MANY_ATTEMPTS",
    );
    // …while the owner key and the token work, and alice's real secret too, once it has been seen.
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.key}` }, "127.0.0.1").kind, "owner");
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.token}` }, "127.0.0.1").kind, "token");
    assert.equal(w.auth.authenticate(s, basic(accessKeyId, secretAccessKey), "127.0.0.2").kind, "profile");
    assert.equal(w.auth.authenticate(s, basic(accessKeyId, secretAccessKey), "127.0.0.1").kind, "profile");
    // Guessing at the stored token's secret is limited for that token; its holder is not.
    const wrongToken = `${w.token.slice(0, 14)}${w.token[14] === "a" ? "b" : "a"}${w.token.slice(15)}`;
    for (let i = 0; i < 3; i++) {
      assert.equal(
        code(() => w.auth.authenticate(s, { authorization: `Bearer ${wrongToken}` }, "127.0.0.1")),
        "TOKEN_INVALID",
      );
    }
    assert.equal(
      code(() => w.auth.authenticate(s, { authorization: `Bearer ${wrongToken}` }, "127.0.0.1")),
      "TOO_MANY_ATTEMPTS",
    );
    assert.equal(w.auth.authenticate(s, { authorization: `Bearer ${w.token}` }, "127.0.0.1").kind, "token");
  } finally {
    await w.close();
  }
});

test("a new key pair's costly check waits behind its key's limit", async () => {
  const w = await world();
  try {
    const s = w.store.documents.state;
    const { accessKeyId, secretAccessKey } = w.alice.credentials;
    const basic = (secret: string) => ({
      authorization: `Basic ${Buffer.from(`${accessKeyId}:${secret}`).toString("base64")}`,
    });
    for (let i = 0; i < 3; i++) code(() => w.auth.authenticate(s, basic("nope"), "10.0.0.7"));
    // Never verified before, so it is not known valid without scrypt: it waits like a guess would.
    assert.equal(
      code(() => w.auth.authenticate(s, basic(secretAccessKey), "10.0.0.7")),
      "TOO_MANY_ATTEMPTS",
    );
  } finally {
    await w.close();
  }
});

test("the failure window slides: old failures stop counting", () => {
  let now = 0;
  const f = new AuthFailures({ maxFailures: 2, windowMs: 1000 }, () => now);
  f.fail("x", "owner");
  f.fail("x", "owner");
  assert.ok(f.retryAfterMs("x", "owner") > 0);
  assert.equal(f.retryAfterMs("x", "token:abc"), 0);
  assert.equal(f.retryAfterMs("y", "owner"), 0);
  now = 999;
  assert.equal(f.retryAfterMs("x", "owner"), 1);
  now = 1001;
  assert.equal(f.retryAfterMs("x", "owner"), 0);
});
