// The domain's only use of node:crypto: digests, scrypt password hashes and constant-time comparison (no I/O).
import { createHash, scryptSync, timingSafeEqual } from "node:crypto";
import type { PasswordHash } from "./state.ts";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Equal-length buffers compare in constant time; different lengths are simply unequal. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Node's default cost. The secrets hashed here are 40 random characters (~240 bits), so the work factor is not
 * what protects them; the parameters are stored with each hash so they can be raised without breaking old ones.
 */
const SCRYPT = { N: 2 ** 14, r: 8, p: 1, keyLength: 32 } as const;

export function hashSecret(secret: string, salt: Uint8Array): PasswordHash {
  const hash = scryptSync(secret, salt, SCRYPT.keyLength, {
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    maxmem: 64 * 1024 * 1024,
  });
  return {
    algorithm: "scrypt",
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    salt: Buffer.from(salt).toString("base64"),
    hash: hash.toString("base64"),
  };
}

export function verifySecret(stored: PasswordHash, presented: string): boolean {
  const expected = Buffer.from(stored.hash, "base64");
  const actual = scryptSync(presented, Buffer.from(stored.salt, "base64"), expected.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: 64 * 1024 * 1024,
  });
  return constantTimeEqual(actual, expected);
}
