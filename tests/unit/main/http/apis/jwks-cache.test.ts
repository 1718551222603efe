// The issuers' keys: fetched once per TTL, fetched again once for an unknown kid, bounded in time and size, read from
// a file too, and an older copy kept when the issuer is briefly unreachable.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JwksCache, JwksUnavailable, parseJwks } from "../../../../../main/http/apis/jwks-cache.ts";
import { jwks, testKey } from "../../../../helpers/jwt-keys.ts";

const k1 = testKey("RS256", "k1");
const k2 = testKey("ES256", "k2");

/** A JWKS endpoint whose answer the test changes, counting requests. */
async function issuer(t: TestContext) {
  const state = {
    hits: 0,
    answer: (res: ServerResponse): void => {
      res.end(JSON.stringify(jwks(k1)));
    },
  };
  const server = createServer((_req, res) => {
    state.hits++;
    state.answer(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const uri = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  return { state, uri };
}

test("keys are fetched once and reused for the TTL, then fetched again", async (t) => {
  const { state, uri } = await issuer(t);
  let now = 0;
  const cache = new JwksCache({ ttlMs: 60_000, now: () => now });
  assert.equal((await cache.key({ jwksUri: uri }, "k1"))?.kty, "RSA");
  assert.equal((await cache.key({ jwksUri: uri }, "k1"))?.kty, "RSA");
  assert.equal(state.hits, 1);
  now = 60_000;
  await cache.key({ jwksUri: uri }, "k1");
  assert.equal(state.hits, 2);
  // Concurrent first reads share one fetch.
  const fresh = new JwksCache();
  await Promise.all([1, 2, 3].map(() => fresh.key({ jwksUri: uri }, "k1")));
  assert.equal(state.hits, 3);
});

test("an unknown kid fetches again once (the issuer rotated its keys), and not again for a while", async (t) => {
  const { state, uri } = await issuer(t);
  let now = 0;
  const cache = new JwksCache({ refetchGapMs: 10_000, now: () => now });
  await cache.key({ jwksUri: uri }, "k1");
  assert.equal(state.hits, 1);
  state.answer = (res) => res.end(JSON.stringify(jwks(k1, k2)));
  // Right after a fetch, an unknown kid does not fetch again: forged kids cannot flood the issuer.
  assert.equal(await cache.key({ jwksUri: uri }, "k2"), undefined);
  assert.equal(state.hits, 1);
  now = 10_000;
  assert.equal((await cache.key({ jwksUri: uri }, "k2"))?.kty, "EC");
  assert.equal(state.hits, 2);
  assert.equal(await cache.key({ jwksUri: uri }, "nobody"), undefined);
  assert.equal(state.hits, 2);
});

test("a slow, failing, oversized or malformed JWKS is unavailable; an older copy stays in use", async (t) => {
  const { state, uri } = await issuer(t);
  let now = 0;
  const cache = new JwksCache({
    ttlMs: 1000,
    refetchGapMs: 100,
    timeoutMs: 200,
    maxBytes: 4096,
    now: () => now,
  });
  state.answer = () => {
    /* never answers */
  };
  const slow = await cache.key({ jwksUri: uri }, "k1").catch((e: unknown) => e);
  assert.ok(slow instanceof JwksUnavailable);
  assert.match(slow.message, /did not answer in 200 ms/);
  for (const [answer, why] of [
    [(res: ServerResponse) => res.writeHead(500).end(), /answered 500/],
    [(res: ServerResponse) => res.end("x".repeat(5000)), /over 4096 bytes/],
    [(res: ServerResponse) => res.end("<html>"), /not JSON/],
    [(res: ServerResponse) => res.end('{"kty":"RSA"}'), /no "keys" list/],
  ] as const) {
    state.answer = answer;
    const e = await new JwksCache({ maxBytes: 4096 }).key({ jwksUri: uri }, "k1").catch((x: unknown) => x);
    assert.ok(e instanceof JwksUnavailable, String(e));
    assert.match(e.message, why);
  }
  // Keys held, then the issuer fails: the held copy answers, and is not asked for again at once.
  state.answer = (res) => res.end(JSON.stringify(jwks(k1)));
  await cache.key({ jwksUri: uri }, "k1");
  const hits = state.hits;
  state.answer = (res) => res.writeHead(503).end();
  now = 5_000;
  assert.equal((await cache.key({ jwksUri: uri }, "k1"))?.kty, "RSA");
  assert.equal((await cache.key({ jwksUri: uri }, "k1"))?.kty, "RSA");
  assert.equal(state.hits, hits + 1);
  const unreachable = await new JwksCache()
    .key({ jwksUri: "http://127.0.0.1:1/jwks.json" }, "k1")
    .catch((e: unknown) => e);
  assert.ok(unreachable instanceof JwksUnavailable);
});

test("a JWKS file is read the same way; a missing one is unavailable", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-jwks-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "jwks.json");
  writeFileSync(file, JSON.stringify(jwks(k1)));
  let now = 0;
  const cache = new JwksCache({ refetchGapMs: 1000, now: () => now });
  assert.equal((await cache.key({ jwksFile: file }, "k1"))?.kty, "RSA");
  writeFileSync(file, JSON.stringify(jwks(k1, k2)));
  now = 1000;
  assert.equal((await cache.key({ jwksFile: file }, "k2"))?.kty, "EC");
  const missing = await new JwksCache()
    .key({ jwksFile: join(dir, "none.json") }, "k1")
    .catch((e: unknown) => e);
  assert.ok(missing instanceof JwksUnavailable);
  assert.match(missing.message, /cannot be read \(ENOENT\)/);
  const folder = await new JwksCache().key({ jwksFile: dir }, "k1").catch((e: unknown) => e);
  assert.match(String(folder), /not a file/);
});

test("only public signing keys with a kid are kept", () => {
  const full = { ...k1.jwk, d: "private", p: "p", q: "q" };
  const keys = parseJwks(
    JSON.stringify({
      keys: [full, { ...k2.jwk, use: "enc" }, { kty: "RSA", n: "x", e: "AQAB" }, "junk", null],
    }),
  );
  assert.deepEqual([...keys.keys()], ["k1"]);
  assert.equal("d" in keys.get("k1")!, false);
  assert.equal("p" in keys.get("k1")!, false);
});

test("with neither a URL nor a file, the keys are where the issuer's OpenID configuration says", async (t) => {
  const paths: string[] = [];
  let jwksUri = "";
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    if (req.url === "/realms/shop/.well-known/openid-configuration")
      res.end(JSON.stringify({ issuer: "x", jwks_uri: jwksUri }));
    else if (req.url === "/realms/shop/certs") res.end(JSON.stringify(jwks(k1)));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  jwksUri = `${base}/realms/shop/certs`;
  const cache = new JwksCache();
  // A trailing slash on the issuer is not doubled.
  assert.equal((await cache.key({ issuer: `${base}/realms/shop/` }, "k1"))?.kty, "RSA");
  assert.deepEqual(paths, ["/realms/shop/.well-known/openid-configuration", "/realms/shop/certs"]);
  // A configuration without an http(s) jwks_uri is the API's problem, said as such.
  jwksUri = "file:///etc/passwd";
  await assert.rejects(
    new JwksCache().key({ issuer: `${base}/realms/shop` }, "k1"),
    (e: Error) => e instanceof JwksUnavailable && /no http or https jwks_uri/.test(e.message),
  );
  await assert.rejects(
    new JwksCache().key({ issuer: `${base}/nowhere` }, "k1"),
    (e: Error) => e instanceof JwksUnavailable && /answered 404/.test(e.message),
  );
});
