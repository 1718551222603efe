// The secret box: AES-256-GCM round trips, tamper detection, and a key file made once with mode 0600.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { SecretBox } from "../../../../main/store/secret-box.ts";
import { tempDir } from "./temp-dir.ts";

test("sealed strings and maps open again, and never contain the plaintext", () => {
  const box = SecretBox.fromKey(randomBytes(32));
  const sealed = box.seal("hunter2 ✓");
  assert.match(sealed, /^gcm1\./);
  assert.ok(!sealed.includes("hunter2"));
  assert.equal(box.open(sealed), "hunter2 ✓");
  // A fresh IV each time: equal plaintexts do not give equal ciphertexts.
  assert.notEqual(box.seal("hunter2 ✓"), sealed);
  const map = { API_KEY: "k", DB: "postgres://x" };
  assert.deepEqual(box.openMap(box.sealMap(map)), map);
  assert.equal(box.open(box.seal("")), "");
});

test("a tampered value, or another key, fails to open with SECRET_UNREADABLE", () => {
  const box = SecretBox.fromKey(randomBytes(32));
  const sealed = box.seal("secret");
  const parts = sealed.split(".");
  const ct = Buffer.from(parts[3]!, "base64url");
  ct[0] = (ct[0] ?? 0) ^ 1;
  const tampered = [...parts.slice(0, 3), ct.toString("base64url")].join(".");
  for (const bad of [tampered, "gcm1.x.y.z", "plain", sealed.replace("gcm1", "gcm2")]) {
    assert.throws(
      () => box.open(bad),
      (e: HearthError) => e.code === "SECRET_UNREADABLE",
    );
  }
  assert.throws(
    () => SecretBox.fromKey(randomBytes(32)).open(sealed),
    (e: HearthError) => e.code === "SECRET_UNREADABLE",
  );
});

test("the key file is created once, 32 bytes, mode 0600, and reused", async (t) => {
  const dir = tempDir(t);
  const a = await SecretBox.open(dir);
  const path = join(dir, "secret.key");
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const key = readFileSync(path);
  assert.equal(key.length, 32);
  const b = await SecretBox.open(dir);
  assert.equal(b.open(a.seal("x")), "x");
  assert.deepEqual(readFileSync(path), key);
});

test("a key readable by others, of the wrong size, or missing when required is refused", async (t) => {
  const dir = tempDir(t);
  await SecretBox.open(dir);
  const path = join(dir, "secret.key");
  chmodSync(path, 0o644);
  await assert.rejects(
    SecretBox.open(dir),
    (e: HearthError) => e.code === "SECRET_KEY_INVALID" && /chmod 600/.test(e.message),
  );
  chmodSync(path, 0o600);
  writeFileSync(path, Buffer.alloc(16));
  await assert.rejects(
    SecretBox.open(dir),
    (e: HearthError) => e.code === "SECRET_KEY_INVALID" && /16 bytes/.test(e.message),
  );
  const empty = tempDir(t);
  await assert.rejects(
    SecretBox.open(empty, { mustExist: true }),
    (e: HearthError) => e.code === "SECRET_KEY_INVALID",
  );
});
