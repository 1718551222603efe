// API authorizers on a real server with real VMs: JWT authorizers with keys from a JWKS URL (a local issuer) and a
// JWKS file, and a REQUEST authorizer task whose answers decide, carry context to the route's task, and are cached.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { HearthClient } from "../../main/client/http-client.ts";
import type { ApiView } from "../../main/contract.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { AUDIENCE, ISSUER, goodClaims, jwks, signJwt, testKey } from "../helpers/jwt-keys.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-api-authorizers-"));
const jwksFile = join(dataDir, "..", `${dataDir.split("/").pop()}-jwks.json`);
let host: Host;
let server: FastifyInstance;
let issuer: Server;
let url = "";
let jwksUri = "";
let issuerUrl = "";
let jwksHits = 0;
let alice: HearthClient;

const uriKey = testKey("RS256", "uri-key");
const fileKey = testKey("ES256", "file-key");

/** The REQUEST authorizer: allows "let-me-in" and keys starting "ok-", denies the rest, says who asked. */
const AUTHORIZER = `let calls = 0;
export const handler = async (event) => {
  calls++;
  const key = event.identitySource[0];
  console.log("authorizer asked for " + key + " (call " + calls + " of this sandbox)");
  return {
    isAuthorized: key === "let-me-in" || key.startsWith("ok-"),
    context: { user: "ann", key, routeArn: event.routeArn, type: event.type, version: event.version },
  };
};
`;
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

type Echo = { echo: { requestContext: { authorizer?: Record<string, unknown> } } };
const nowS = () => Math.floor(Date.now() / 1000);

/** A GET of an API path: the status, the time to the whole answer, its headers and body text. */
async function call(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; ms: number; headers: Headers; text: string; json: () => unknown }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/apis/${path}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    ms: performance.now() - t0,
    headers: res.headers,
    text,
    json: () => JSON.parse(text),
  };
}

/** How many times the authorizer task ran for the API, as the invocation records count them. */
async function authorizerRuns(): Promise<number> {
  const list = await alice.call("listInvocations", { task: "authorize", limit: 5000 });
  return list.filter((i) => i.via.kind === "api").length;
}

before(async () => {
  writeFileSync(jwksFile, JSON.stringify(jwks(fileKey)));
  issuer = createServer((req, res) => {
    jwksHits++;
    // The issuer's OpenID configuration, for an authorizer that names no keys: it points at the same JWKS.
    if (req.url === "/.well-known/openid-configuration")
      return res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ issuer: issuerUrl, jwks_uri: jwksUri }));
    if (req.url !== "/.well-known/jwks.json") return res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks(uriKey)));
  });
  await new Promise<void>((r) => issuer.listen(0, "127.0.0.1", r));
  issuerUrl = `http://127.0.0.1:${(issuer.address() as { port: number }).port}`;
  jwksUri = `${issuerUrl}/.well-known/jwks.json`;
  host = await Host.start({ dataDir });
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const ownerKey = readFileSync(join(dataDir, OWNER_KEY_FILE), "utf8").trim();
  await new HearthClient(url, { kind: "owner", key: ownerKey }).call("createProfile", { name: "alice" });
  alice = new HearthClient(url, { kind: "owner", key: ownerKey, profile: "alice" });
  await alice.call("importTask", {
    zipBase64: (await zipFolder(fixtureDir("echo-node"))).zip.toString("base64"),
  });
  await alice.call("importTaskFiles", {
    files: [
      { path: "index.mjs", base64: b64(AUTHORIZER) },
      {
        path: "task.json",
        base64: b64(
          JSON.stringify({
            name: "authorize",
            runtime: "nodejs",
            handler: "index.handler",
            memoryMb: 128,
            timeoutS: 10,
          }),
        ),
      },
    ],
  });
});

after(async () => {
  await server?.close();
  await host?.close();
  await new Promise<void>((r) => (issuer ? issuer.close(() => r()) : r()));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(jwksFile, { force: true });
});

describe("JWT authorizers", () => {
  let api: ApiView;

  test("a token signed by the issuer's key (JWKS URL) reaches the task with its claims", async () => {
    api = await alice.call("createApi", {
      name: "jwt-shop",
      access: "public",
      authorizers: [{ name: "issuer", type: "JWT", jwt: { issuer: ISSUER, audience: [AUDIENCE], jwksUri } }],
      routes: [
        { routeKey: "GET /me", target: { task: "echo" }, authorizerId: "issuer" },
        {
          routeKey: "POST /orders",
          target: { task: "echo" },
          authorizerId: "issuer",
          authorizationScopes: ["orders:write"],
        },
      ],
    });
    assert.deepEqual(
      api.routes.map((r) => r.authorizerId),
      [api.authorizers[0]!.id, api.authorizers[0]!.id],
    );
    const token = signJwt(uriKey, goodClaims(nowS(), { sub: "user-7", scope: "orders:read" }));
    const ok = await call("jwt-shop/me", { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
    const body = ok.json() as Echo;
    const found = body.echo.requestContext.authorizer as {
      jwt: { claims: Record<string, string>; scopes: null };
    };
    assert.equal(found.jwt.claims.sub, "user-7");
    assert.equal(found.jwt.claims.iss, ISSUER);
    // Every claim as a string, a number too, as API Gateway passes them.
    assert.match(found.jwt.claims.exp!, /^\d{10}$/);
    assert.equal(found.jwt.scopes, null);
    assert.equal(jwksHits, 1);
  });

  test("a wrong audience is 401 with API Gateway's WWW-Authenticate; no token is 401; a missing scope is 403", async () => {
    const wrongAud = signJwt(uriKey, goodClaims(nowS(), { aud: "someone-else" }));
    const r = await call("jwt-shop/me", { authorization: `Bearer ${wrongAud}` });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json(), { message: "Unauthorized" });
    assert.equal(
      r.headers.get("www-authenticate"),
      'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
    );
    const none = await call("jwt-shop/me");
    assert.equal(none.status, 401);
    const reader = signJwt(uriKey, goodClaims(nowS(), { scope: "orders:read" }));
    const post = await fetch(`${url}/apis/jwt-shop/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${reader}` },
      body: "{}",
    });
    assert.equal(post.status, 403);
    assert.deepEqual(await post.json(), { message: "Forbidden" });
    assert.match(post.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
    const writer = signJwt(uriKey, goodClaims(nowS(), { scope: "orders:read orders:write" }));
    const posted = await fetch(`${url}/apis/jwt-shop/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${writer}` },
      body: "{}",
    });
    assert.equal(posted.status, 200);
    const echoed = ((await posted.json()) as Echo).echo.requestContext.authorizer as {
      jwt: { scopes: string[] };
    };
    assert.deepEqual(echoed.jwt.scopes, ["orders:read", "orders:write"]);
    // The keys were fetched once for all of these.
    assert.equal(jwksHits, 1);
  });

  test("keys from a JWKS file; a token signed by another key is refused", async () => {
    const updated = await alice.call("updateApi", {
      apiId: api.id,
      authorizers: [
        ...api.authorizers,
        { name: "file", type: "JWT", jwt: { issuer: ISSUER, audience: [AUDIENCE], jwksFile } },
      ],
      routes: [...api.routes, { routeKey: "GET /file", target: { task: "echo" }, authorizerId: "file" }],
    });
    assert.equal(updated.authorizers[1]!.jwt!.jwksFile, jwksFile);
    const ok = await call("jwt-shop/file", {
      authorization: signJwt(fileKey, goodClaims(nowS(), { sub: "from-file" })),
    });
    assert.equal(ok.status, 200);
    const claims = (ok.json() as Echo).echo.requestContext.authorizer as {
      jwt: { claims: { sub: string } };
    };
    assert.equal(claims.jwt.claims.sub, "from-file");
    const forged = await call("jwt-shop/file", {
      authorization: `Bearer ${signJwt(testKey("ES256", "file-key"), goodClaims(nowS()))}`,
    });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get("www-authenticate") ?? "", /signature is invalid/);
  });

  test("with no keys named, they are found through the issuer's OpenID configuration", async () => {
    const updated = await alice.call("updateApi", {
      apiId: api.id,
      authorizers: [
        ...api.authorizers,
        { name: "oidc", type: "JWT", jwt: { issuer: issuerUrl, audience: [AUDIENCE] } },
      ],
      routes: [...api.routes, { routeKey: "GET /oidc", target: { task: "echo" }, authorizerId: "oidc" }],
    });
    assert.deepEqual(updated.authorizers.at(-1)!.jwt, { issuer: issuerUrl, audience: [AUDIENCE] });
    const ok = await call("jwt-shop/oidc", {
      authorization: signJwt(uriKey, goodClaims(nowS(), { iss: issuerUrl, sub: "discovered" })),
    });
    assert.equal(ok.status, 200, ok.text);
    const claims = (ok.json() as Echo).echo.requestContext.authorizer as {
      jwt: { claims: { sub: string } };
    };
    assert.equal(claims.jwt.claims.sub, "discovered");
    // A token of the issuer the API was first given is not this authorizer's.
    const other = await call("jwt-shop/oidc", { authorization: signJwt(uriKey, goodClaims(nowS())) });
    assert.equal(other.status, 401);
  });
});

describe("a REQUEST authorizer task", () => {
  test("allows with context the route's task sees, denies with 403, and is not asked without its identity", async () => {
    const api = await alice.call("createApi", {
      name: "keyed",
      access: "public",
      authorizers: [
        {
          name: "keys",
          type: "REQUEST",
          identitySource: ["$request.header.X-Api-Key"],
          target: { task: "authorize" },
          enableSimpleResponses: true,
          resultTtlSeconds: 300,
        },
      ],
      routes: [{ routeKey: "GET /orders/{id}", target: { task: "echo" }, authorizerId: "keys" }],
    });
    const ok = await call("keyed/orders/7", { "x-api-key": "let-me-in" });
    assert.equal(ok.status, 200, ok.text);
    const found = (ok.json() as Echo).echo.requestContext.authorizer;
    assert.deepEqual(found, {
      lambda: {
        user: "ann",
        key: "let-me-in",
        routeArn: `arn:aws:execute-api:local:${host.store.documents.state.profiles.find((p) => p.name === "alice")!.accountId}:${api.id}/$default/GET/orders/7`,
        type: "REQUEST",
        version: "2.0",
      },
    });
    const denied = await call("keyed/orders/7", { "x-api-key": "wrong" });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json(), { message: "Forbidden" });
    const runs = await authorizerRuns();
    const missing = await call("keyed/orders/7");
    assert.equal(missing.status, 401);
    assert.equal(await authorizerRuns(), runs);
  });

  test("two calls with one identity within the TTL ask the authorizer once; allow and deny alike", async () => {
    const before = await authorizerRuns();
    const first = await call("keyed/orders/1", { "x-api-key": "ok-cache-me" });
    const second = await call("keyed/orders/2", { "x-api-key": "ok-cache-me" });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    // The deny for "wrong" is still cached from the test before.
    assert.equal((await call("keyed/orders/3", { "x-api-key": "wrong" })).status, 403);
    assert.equal(await authorizerRuns(), before + 1);
    const logs = await alice.call("queryLogs", { task: "authorize" });
    assert.equal(logs.filter((l) => /authorizer asked for ok-cache-me /.test(l.line ?? "")).length, 1);

    // Figures: a miss runs the (warm) authorizer task and then the route's task; a hit only the route's.
    const misses: number[] = [];
    const hits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const miss = await call("keyed/orders/1", { "x-api-key": `ok-miss-${i}` });
      const hit = await call("keyed/orders/1", { "x-api-key": "ok-cache-me" });
      assert.equal(miss.status, 200);
      assert.equal(hit.status, 200);
      misses.push(miss.ms);
      hits.push(hit.ms);
    }
    assert.equal(await authorizerRuns(), before + 1 + 7);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `authorizer cache (n=7, TCG): miss median ${median(misses).toFixed(1)} ms ` +
        `[${misses.map((m) => m.toFixed(0)).join(", ")}], hit median ${median(hits).toFixed(1)} ms ` +
        `[${hits.map((m) => m.toFixed(0)).join(", ")}]`,
    );
  });
});
