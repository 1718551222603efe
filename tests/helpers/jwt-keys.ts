// Test issuers for JWT authorizers: key pairs made here, their JWKS, and tokens signed with node:crypto.
import {
  createHmac,
  generateKeyPairSync,
  sign,
  constants,
  type KeyObject,
  type JsonWebKey,
} from "node:crypto";

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  jwk: JsonWebKey & { kid: string; alg: string; use: string };
}

export function testKey(alg: "RS256" | "PS256" | "ES256" | "ES384", kid = `${alg.toLowerCase()}-1`): TestKey {
  const { publicKey, privateKey } = alg.startsWith("ES")
    ? generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "P-384" })
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, alg, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" } };
}

export function jwks(...keys: TestKey[]): { keys: JsonWebKey[] } {
  return { keys: keys.map((k) => k.jwk) };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** A compact JWS of `claims` signed by `key`; `header` overrides (alg, kid) for forged tokens. */
export function signJwt(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const h = { alg: key.alg, typ: "JWT", kid: key.kid, ...header };
  const input = `${b64(h)}.${b64(claims)}`;
  const hash = { RS256: "sha256", PS256: "sha256", ES256: "sha256", ES384: "sha384" }[key.alg]!;
  const sig = key.alg.startsWith("ES")
    ? sign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" })
    : key.alg.startsWith("PS")
      ? sign(hash, Buffer.from(input), {
          key: key.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
        })
      : sign(hash, Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString("base64url")}`;
}

/** An HS256 token, signed with a shared secret: what a forger would try with the public key's text. */
export function hmacJwt(secret: string, claims: Record<string, unknown>, kid: string): string {
  const input = `${b64({ alg: "HS256", typ: "JWT", kid })}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedJwt(claims: Record<string, unknown>, kid: string): string {
  return `${b64({ alg: "none", typ: "JWT", kid })}.${b64(claims)}.`;
}

export const ISSUER = "https://issuer.test";
export const AUDIENCE = "shop-client";

/** Claims a good token carries at `nowS` (seconds). */
export function goodClaims(nowS: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: "user-1", iat: nowS - 10, exp: nowS + 600, ...extra };
}
