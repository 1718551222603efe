// Hashing: scrypt hashes verify only the secret they were made from; digests and comparisons behave.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  constantTimeEqual,
  hashSecret,
  sha256Hex,
  verifySecret,
} from "../../../../../main/domain/model/hashing.ts";

test("a scrypt hash verifies its secret and nothing else, and is salted", () => {
  const salt = new Uint8Array(16).fill(7);
  const h = hashSecret("correct horse", salt);
  assert.ok(verifySecret(h, "correct horse"));
  assert.ok(!verifySecret(h, "correct horsE"));
  assert.ok(!verifySecret(h, ""));
  assert.notEqual(hashSecret("correct horse", new Uint8Array(16).fill(8)).hash, h.hash);
  assert.ok(!JSON.stringify(h).includes("correct horse"));
});

test("sha256Hex and constantTimeEqual", () => {
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.ok(constantTimeEqual(Buffer.from("ab"), Buffer.from("ab")));
  assert.ok(!constantTimeEqual(Buffer.from("ab"), Buffer.from("ac")));
  assert.ok(!constantTimeEqual(Buffer.from("ab"), Buffer.from("abc")));
});
