// JWT verification by API Gateway's rules: signatures by the issuer's keys only, then iss, aud, exp, nbf, iat, scopes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, type JsonWebKey } from "node:crypto";
import {
  CLOCK_SKEW_S,
  checkJwt,
  stringClaims,
  tokenScopes,
  wwwAuthenticate,
  type JwtRules,
  type JwtVerdict,
} from "../../../../../main/http/apis/jwt-verify.ts";
import {
  AUDIENCE,
  ISSUER,
  goodClaims,
  hmacJwt,
  signJwt,
  testKey,
  unsignedJwt,
  type TestKey,
} from "../../../../helpers/jwt-keys.ts";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const nowS = NOW / 1000;
const rs = testKey("RS256");
const es = testKey("ES256");
const ps = testKey("PS256");
const es384 = testKey("ES384");
const keys = new Map<string, JsonWebKey>([rs, es, ps, es384].map((k) => [k.kid, k.jwk]));
const rules = (o: Partial<JwtRules> = {}): JwtRules => ({
  issuer: ISSUER,
  audience: [AUDIENCE, "other-client"],
  scopes: [],
  now: NOW,
  ...o,
});

function refused(v: JwtVerdict, status: 401 | 403, description: RegExp): void {
  assert.equal(v.ok, false, "the token was accepted");
  if (v.ok) return;
  assert.equal(v.status, status);
  assert.match(v.description, description);
}

test("a token signed by a key of the JWKS with the right claims is accepted, for every accepted algorithm", () => {
  for (const k of [rs, es, ps, es384]) {
    const v = checkJwt(signJwt(k, goodClaims(nowS)), keys, rules());
    assert.ok(v.ok, `${k.alg}: ${JSON.stringify(v)}`);
    assert.equal(v.claims.sub, "user-1");
  }
  // aud may be a list; one match is enough.
  assert.ok(checkJwt(signJwt(rs, goodClaims(nowS, { aud: ["x", "other-client"] })), keys, rules()).ok);
  // Without aud, client_id is read (access tokens of some issuers), as API Gateway does.
  const { aud: _aud, ...noAud } = goodClaims(nowS);
  assert.ok(checkJwt(signJwt(rs, { ...noAud, client_id: AUDIENCE }), keys, rules()).ok);
  // With aud present, client_id does not rescue a wrong aud.
  refused(
    checkJwt(signJwt(rs, goodClaims(nowS, { aud: "x", client_id: AUDIENCE })), keys, rules()),
    401,
    /audience/,
  );
});

test("wrong issuer, audience, times and missing exp are refused with 401", () => {
  const t = (extra: Record<string, unknown>) => checkJwt(signJwt(rs, goodClaims(nowS, extra)), keys, rules());
  refused(t({ iss: "https://evil.test" }), 401, /issuer/);
  refused(t({ iss: `${ISSUER}/` }), 401, /issuer/);
  refused(t({ aud: "someone-else" }), 401, /audience/);
  refused(t({ aud: undefined }), 401, /audience/);
  refused(t({ exp: nowS - CLOCK_SKEW_S - 1 }), 401, /expired/);
  refused(t({ exp: undefined }), 401, /no expiry/);
  refused(t({ exp: "tomorrow" }), 401, /no expiry/);
  refused(t({ nbf: nowS + CLOCK_SKEW_S + 60 }), 401, /not valid yet/);
  refused(t({ iat: nowS + CLOCK_SKEW_S + 60 }), 401, /issued in the future/);
  // Within the skew, clocks that disagree a little are forgiven.
  assert.ok(t({ exp: nowS - CLOCK_SKEW_S + 5 }).ok);
  assert.ok(t({ nbf: nowS + CLOCK_SKEW_S - 5 }).ok);
});

test("unknown kid, alg none, HMAC, a bad signature and a key of another type are refused", () => {
  const other = testKey("RS256", "not-published");
  refused(
    checkJwt(signJwt(other, goodClaims(nowS)), keys, rules()),
    401,
    /kid\) is not in the issuer's JWKS/,
  );
  refused(
    checkJwt(unsignedJwt(goodClaims(nowS), rs.kid), keys, rules()),
    401,
    /signing method none is invalid/,
  );
  // HS256 with the public key's text as the secret: the classic algorithm confusion.
  refused(
    checkJwt(hmacJwt(JSON.stringify(rs.jwk), goodClaims(nowS), rs.kid), keys, rules()),
    401,
    /signing method HS256 is invalid/,
  );
  // A claim changed after signing.
  const good = signJwt(rs, goodClaims(nowS));
  const [h, , s] = good.split(".");
  const forged = Buffer.from(JSON.stringify(goodClaims(nowS, { sub: "admin" }))).toString("base64url");
  refused(checkJwt(`${h}.${forged}.${s}`, keys, rules()), 401, /signature is invalid/);
  // Signed by another key under a published kid.
  refused(
    checkJwt(signJwt(other, goodClaims(nowS), { kid: rs.kid }), keys, rules()),
    401,
    /signature is invalid/,
  );
  // An RSA kid named with an EC algorithm.
  refused(
    checkJwt(signJwt(es, goodClaims(nowS), { kid: rs.kid }), keys, rules()),
    401,
    /signing key is RSA, not EC|for RS256/,
  );
  // A token without a kid.
  refused(checkJwt(signJwt(rs, goodClaims(nowS), { kid: undefined }), keys, rules()), 401, /kid/);
  // Not a token at all.
  refused(checkJwt("abc", keys, rules()), 401, /number of segments/);
  refused(checkJwt("a.b.c", keys, rules()), 401, /malformed/);
  refused(checkJwt("a b.c.d", keys, rules()), 401, /base64url/);
  // A header value that would break the answer's own headers is not repeated into them.
  const weird = signJwt(rs, goodClaims(nowS), { alg: 'x"\r\nset-cookie: a=b' });
  const v = checkJwt(weird, keys, rules());
  refused(v, 401, /^signing method is invalid$/);
});

test("an RSA key shorter than 2048 bits is not used", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const weak: TestKey = {
    kid: "weak",
    alg: "RS256",
    privateKey,
    jwk: { ...publicKey.export({ format: "jwk" }), kid: "weak", alg: "RS256", use: "sig" },
  };
  refused(checkJwt(signJwt(weak, goodClaims(nowS)), new Map([["weak", weak.jwk]]), rules()), 401, /2048/);
});

test("route scopes: one of them must be in scope (space-separated) or scp; otherwise 403", () => {
  const t = (extra: Record<string, unknown>, scopes: string[]) =>
    checkJwt(signJwt(rs, goodClaims(nowS, extra)), keys, rules({ scopes }));
  const ok = t({ scope: "orders:read  orders:write" }, ["orders:write", "admin"]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.scopes, ["orders:read", "orders:write"]);
  assert.ok(t({ scp: ["admin"] }, ["admin"]).ok);
  assert.ok(t({ scp: "admin other" }, ["admin"]).ok);
  refused(t({ scope: "orders:read" }, ["orders:write"]), 403, /expected scopes: \[orders:write\]/);
  refused(t({}, ["orders:write"]), 403, /expected scopes/);
  // A route without scopes needs none.
  assert.ok(t({}, []).ok);
  assert.deepEqual(tokenScopes({ scope: "a b", scp: ["c"] }), ["a", "b"]);
});

test("claims reach the task as strings, the way API Gateway prints them", () => {
  assert.deepEqual(
    stringClaims({
      sub: "u",
      exp: 1700000000,
      admin: true,
      groups: ["a", "b"],
      nested: { z: 1, a: "x" },
      none: null,
      ["__proto__"]: "data",
    }),
    Object.defineProperty(
      {
        sub: "u",
        exp: "1700000000",
        admin: "true",
        groups: "[a b]",
        nested: "map[a:x z:1]",
        none: "",
      },
      "__proto__",
      { value: "data", enumerable: true, writable: true, configurable: true },
    ),
  );
});

test("the WWW-Authenticate answer names the error and the route's scopes", () => {
  assert.equal(
    wwwAuthenticate(
      { ok: false, status: 401, error: "invalid_token", description: "the token has expired" },
      [],
    ),
    'Bearer scope="" error="invalid_token" error_description="the token has expired"',
  );
  assert.equal(
    wwwAuthenticate(
      { ok: false, status: 403, error: "insufficient_scope", description: "expected scopes: [a b]" },
      ["a", "b"],
    ),
    'Bearer scope="a b" error="insufficient_scope" error_description="expected scopes: [a b]"',
  );
});
