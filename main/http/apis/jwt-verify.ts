// A JWT authorizer's verdict on one token, by API Gateway HTTP API's rules: an asymmetric signature by a key of the
// issuer's JWKS (found by kid), then iss, aud (or client_id), exp, nbf and iat, then the route's scopes.
import { createPublicKey, verify, constants, type KeyObject, type JsonWebKey } from "node:crypto";

/** Signature algorithms accepted; `none` and the HMAC ones (a shared secret, not an issuer's key) never are. */
const ALGORITHMS = {
  RS256: { kty: "RSA", hash: "sha256" },
  RS384: { kty: "RSA", hash: "sha384" },
  RS512: { kty: "RSA", hash: "sha512" },
  PS256: { kty: "RSA", hash: "sha256", pss: true },
  PS384: { kty: "RSA", hash: "sha384", pss: true },
  PS512: { kty: "RSA", hash: "sha512", pss: true },
  ES256: { kty: "EC", hash: "sha256", crv: "P-256" },
  ES384: { kty: "EC", hash: "sha384", crv: "P-384" },
} as const satisfies Record<string, { kty: string; hash: string; pss?: boolean; crv?: string }>;

type Algorithm = keyof typeof ALGORITHMS;

/** Clocks of issuer and host disagree a little; a token is not refused for that. */
export const CLOCK_SKEW_S = 30;
/** Bigger than any token an issuer sends; a header is bounded anyway, this bounds the work. */
const MAX_TOKEN_CHARS = 16 * 1024;
/** RSA keys shorter than this are refused, as current guidance (and most issuers) have it. */
const MIN_RSA_BITS = 2048;

export interface DecodedJwt {
  header: { alg: string; kid?: string; [k: string]: unknown };
  claims: Record<string, unknown>;
  /** `header.payload`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

export interface JwtRules {
  issuer: string;
  audience: readonly string[];
  /** The route's scopes: the token must hold one of them. Empty: no scope is needed. */
  scopes: readonly string[];
  /** Milliseconds since the epoch. */
  now: number;
}

/** Why a token is refused: 401 for an invalid token, 403 for a valid one without the route's scopes. */
export interface JwtRefusal {
  ok: false;
  status: 401 | 403;
  error: "invalid_token" | "insufficient_scope";
  description: string;
}

export interface JwtAccepted {
  ok: true;
  claims: Record<string, unknown>;
  /** The scopes the token holds (`scope`, else `scp`). */
  scopes: string[];
}

export type JwtVerdict = JwtAccepted | JwtRefusal;

const invalid = (description: string): JwtRefusal => ({
  ok: false,
  status: 401,
  error: "invalid_token",
  description,
});

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Splits and reads a compact JWS; a refusal when it is not one. */
export function decodeJwt(token: string): DecodedJwt | JwtRefusal {
  if (token.length > MAX_TOKEN_CHARS) return invalid("the token is too long");
  const parts = token.split(".");
  if (parts.length !== 3) return invalid("token contains an invalid number of segments");
  if (!parts.every((p) => BASE64URL.test(p))) return invalid("the token is not base64url-encoded");
  const header = jsonPart(parts[0]!);
  const claims = jsonPart(parts[1]!);
  if (!isRecord(header) || typeof header.alg !== "string") return invalid("the token's header is malformed");
  if (!isRecord(claims)) return invalid("the token's claims are malformed");
  if (header.kid !== undefined && typeof header.kid !== "string")
    return invalid("the token's kid is malformed");
  return {
    header: header as DecodedJwt["header"],
    claims,
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: Buffer.from(parts[2]!, "base64url"),
  };
}

/** The algorithm named in the header when Hearth accepts it; anything else is refused before a key is looked up. */
export function acceptedAlgorithm(alg: string): Algorithm | null {
  return Object.hasOwn(ALGORITHMS, alg) ? (alg as Algorithm) : null;
}

function publicKey(jwk: JsonWebKey, alg: Algorithm): KeyObject | string {
  const want = ALGORITHMS[alg];
  if (jwk.kty !== want.kty) return `the signing key is ${String(jwk.kty)}, not ${want.kty}`;
  // A key its issuer published for one algorithm is not used with another.
  if (typeof jwk.alg === "string" && jwk.alg !== alg) return `the signing key is for ${jwk.alg}, not ${alg}`;
  if ("crv" in want && jwk.crv !== want.crv) return `the signing key's curve is not ${want.crv}`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return "the signing key cannot be read";
  }
  if (key.type !== "public") return "the signing key is not a public key";
  if (want.kty === "RSA" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
    return `the signing key is shorter than ${MIN_RSA_BITS} bits`;
  return key;
}

function signatureValid(jwt: DecodedJwt, alg: Algorithm, key: KeyObject): boolean {
  const a = ALGORITHMS[alg];
  const data = Buffer.from(jwt.signingInput, "ascii");
  try {
    if (a.kty === "EC") return verify(a.hash, data, { key, dsaEncoding: "ieee-p1363" }, jwt.signature);
    if ("pss" in a)
      return verify(
        a.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        jwt.signature,
      );
    return verify(a.hash, data, key, jwt.signature);
  } catch {
    return false;
  }
}

/** The scopes a token holds: `scope` (space-separated, OAuth 2.0) or else `scp` (a string or a list, Okta, Azure). */
export function tokenScopes(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === "string") return raw.split(" ").filter((s) => s !== "");
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === "string");
  return [];
}

const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function checkClaims(claims: Record<string, unknown>, rules: JwtRules): JwtRefusal | null {
  if (claims.iss !== rules.issuer) return invalid("the token's issuer is not the authorizer's");
  // API Gateway reads client_id only when aud is absent (access tokens of some issuers carry no aud).
  const aud = claims.aud !== undefined ? claims.aud : claims.client_id;
  const auds = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => typeof a === "string" && rules.audience.includes(a)))
    return invalid("the token does not have a valid audience");
  const now = rules.now / 1000;
  if (!isTime(claims.exp)) return invalid("the token has no expiry (exp)");
  if (now > claims.exp + CLOCK_SKEW_S) return invalid("the token has expired");
  if (claims.nbf !== undefined) {
    if (!isTime(claims.nbf)) return invalid("the token's nbf is not a time");
    if (now + CLOCK_SKEW_S < claims.nbf) return invalid("the token is not valid yet");
  }
  if (claims.iat !== undefined) {
    if (!isTime(claims.iat)) return invalid("the token's iat is not a time");
    if (now + CLOCK_SKEW_S < claims.iat) return invalid("the token was issued in the future");
  }
  return null;
}

/**
 * The verdict on a decoded token given the JWKS key its kid named (undefined when the JWKS has none). The signature
 * is checked before any claim, so nothing about an unsigned token's claims is told.
 */
export function verifyJwt(jwt: DecodedJwt, jwk: JsonWebKey | undefined, rules: JwtRules): JwtVerdict {
  const alg = acceptedAlgorithm(jwt.header.alg);
  if (alg === null) {
    // The name goes into a response header: only a plain one is repeated there.
    const named = /^[A-Za-z0-9_+-]{1,16}$/.test(jwt.header.alg) ? ` ${jwt.header.alg}` : "";
    return invalid(`signing method${named} is invalid`);
  }
  if (jwt.header.kid === undefined) return invalid("the token names no signing key (kid)");
  if (jwk === undefined) return invalid("the token's signing key (kid) is not in the issuer's JWKS");
  const key = publicKey(jwk, alg);
  if (typeof key === "string") return invalid(key);
  if (!signatureValid(jwt, alg, key)) return invalid("the token's signature is invalid");
  const refused = checkClaims(jwt.claims, rules);
  if (refused) return refused;
  const scopes = tokenScopes(jwt.claims);
  if (rules.scopes.length > 0 && !rules.scopes.some((s) => scopes.includes(s)))
    return {
      ok: false,
      status: 403,
      error: "insufficient_scope",
      description: `expected scopes: [${rules.scopes.join(" ")}]`,
    };
  return { ok: true, claims: jwt.claims, scopes };
}

/** One step for a token and a JWKS already at hand (tests, a JWKS file read whole). */
export function checkJwt(token: string, keys: ReadonlyMap<string, JsonWebKey>, rules: JwtRules): JwtVerdict {
  const jwt = decodeJwt(token);
  if (!("signingInput" in jwt)) return jwt;
  return verifyJwt(jwt, jwt.header.kid === undefined ? undefined : keys.get(jwt.header.kid), rules);
}

/**
 * Claims as API Gateway passes them to the route's task: every value a string. Lists print as `[a b]` and objects
 * as `map[k:v]` with sorted keys, the way API Gateway (written in Go) prints them.
 */
export function stringClaims(claims: Record<string, unknown>): Record<string, string> {
  const text = (v: unknown): string => {
    if (typeof v === "string") return v;
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return `[${v.map(text).join(" ")}]`;
    if (isRecord(v))
      return `map[${Object.keys(v)
        .sort()
        .map((k) => `${k}:${text(v[k])}`)
        .join(" ")}]`;
    return String(v);
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    // A claim named __proto__ is data here, not the object's prototype.
    Object.defineProperty(out, k, { value: text(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The `WWW-Authenticate` value API Gateway answers a refused token with. */
export function wwwAuthenticate(refusal: JwtRefusal, routeScopes: readonly string[]): string {
  return `Bearer scope="${routeScopes.join(" ")}" error="${refusal.error}" error_description="${refusal.description}"`;
}
