// `hearth api`: authorizers from flags (each type's own flags only), routes bound to an authorizer with scopes, the
// listing, and what `authorizer add|rm` and `route set` send to the host.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiView } from "../../../../main/contract.ts";
import {
  authorizerFromFlags,
  formatApi,
  parseAuthorizerType,
  routesWith,
} from "../../../../main/cli/api-commands.ts";
import { tempDir } from "../store/temp-dir.ts";
import { runHearth, sendJson, standInServer } from "./hearth-run.ts";

const shop: ApiView = {
  id: "api_1",
  name: "shop",
  description: "",
  access: "public",
  path: "/apis/shop",
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  authorizers: [
    {
      id: "aut_1",
      name: "cognito",
      type: "JWT",
      identitySource: ["$request.header.Authorization"],
      jwt: { issuer: "https://issuer.test", audience: ["shop"], jwksUri: "https://issuer.test/jwks.json" },
    },
    {
      id: "aut_2",
      name: "keys",
      type: "REQUEST",
      identitySource: ["$request.header.X-Api-Key"],
      target: { task: "check-key" },
      enableSimpleResponses: true,
      resultTtlSeconds: 60,
    },
  ],
  routes: [
    {
      routeKey: "GET /orders",
      target: { task: "orders" },
      authorizerId: "aut_1",
      authorizationScopes: ["read"],
    },
    { routeKey: "POST /orders", target: { task: "orders", qualifier: "live" } },
  ],
};

test("--type is jwt or request in any case; each type takes its own flags and needs its own", () => {
  assert.equal(parseAuthorizerType("jwt"), "JWT");
  assert.equal(parseAuthorizerType("Request"), "REQUEST");
  assert.throws(() => parseAuthorizerType("iam"), /expected "jwt" or "request"/);
  assert.deepEqual(
    authorizerFromFlags({
      name: "a",
      type: "JWT",
      issuer: "https://i",
      audience: ["x", "y"],
      jwksFile: "/etc/jwks.json",
      identitySource: ["$request.header.X-Jwt"],
    }),
    {
      name: "a",
      type: "JWT",
      identitySource: ["$request.header.X-Jwt"],
      jwt: { issuer: "https://i", audience: ["x", "y"], jwksFile: "/etc/jwks.json" },
    },
  );
  assert.deepEqual(
    authorizerFromFlags({
      name: "k",
      type: "REQUEST",
      task: "t",
      alias: "live",
      simpleResponses: true,
      ttl: 0,
    }),
    {
      name: "k",
      type: "REQUEST",
      target: { task: "t", qualifier: "live" },
      enableSimpleResponses: true,
      resultTtlSeconds: 0,
    },
  );
  // Without keys the issuer's OpenID configuration names them (the host checks the issuer is a URL).
  assert.deepEqual(
    authorizerFromFlags({ name: "a", type: "JWT", issuer: "https://i.example", audience: ["x"] }),
    {
      name: "a",
      type: "JWT",
      jwt: { issuer: "https://i.example", audience: ["x"] },
    },
  );
  assert.throws(
    () =>
      authorizerFromFlags({
        name: "a",
        type: "JWT",
        issuer: "i",
        audience: ["x"],
        jwksUri: "https://i.example/k",
        jwksFile: "/k.json",
      }),
    /--jwks-uri/,
  );
  assert.throws(
    () => authorizerFromFlags({ name: "a", type: "JWT", audience: ["x"], jwksUri: "u" }),
    /--issuer/,
  );
  assert.throws(
    () => authorizerFromFlags({ name: "a", type: "JWT", issuer: "i", audience: ["x"], jwksUri: "u", ttl: 5 }),
    /--ttl is not for a JWT authorizer/,
  );
  assert.throws(() => authorizerFromFlags({ name: "k", type: "REQUEST" }), /needs --task/);
  assert.throws(
    () => authorizerFromFlags({ name: "k", type: "REQUEST", task: "t", issuer: "i" }),
    /--issuer is not for a REQUEST authorizer/,
  );
});

test("route set: new routes need --task; existing ones keep what is not given; scopes stay with their authorizer", () => {
  const route = (routes: ApiView["routes"], key: string) => routes.find((r) => r.routeKey === key);
  // Attaching keeps the target.
  const attached = routesWith(shop, "POST /orders", { authorizer: "keys" });
  assert.deepEqual(route(attached, "POST /orders"), {
    routeKey: "POST /orders",
    target: { task: "orders", qualifier: "live" },
    authorizerId: "keys",
  });
  // Another authorizer drops the old one's scopes; the same one keeps them; --scope replaces them.
  assert.deepEqual(
    route(routesWith(shop, "GET /orders", { authorizer: "keys" }), "GET /orders")!.authorizationScopes,
    undefined,
  );
  assert.deepEqual(
    route(routesWith(shop, "GET /orders", { authorizer: "cognito" }), "GET /orders")!.authorizationScopes,
    ["read"],
  );
  assert.deepEqual(route(routesWith(shop, "GET /orders", { task: "v2" }), "GET /orders"), {
    routeKey: "GET /orders",
    target: { task: "v2" },
    authorizerId: "aut_1",
    authorizationScopes: ["read"],
  });
  assert.deepEqual(
    route(routesWith(shop, "GET /orders", { scope: ["write", "admin"] }), "GET /orders")!.authorizationScopes,
    ["write", "admin"],
  );
  assert.deepEqual(route(routesWith(shop, "GET /orders", { authorizer: false }), "GET /orders"), {
    routeKey: "GET /orders",
    target: { task: "orders" },
  });
  const added = routesWith(shop, "GET /new", { task: "n", authorizer: "cognito", scope: ["read"] });
  assert.equal(added.length, 3);
  assert.deepEqual(added[2], {
    routeKey: "GET /new",
    target: { task: "n" },
    authorizerId: "cognito",
    authorizationScopes: ["read"],
  });
  assert.throws(() => routesWith(shop, "GET /new", {}), /give --task to add it/);
  assert.throws(() => routesWith(shop, "GET /orders", { alias: "x" }), /go with --task/);
  assert.throws(
    () => routesWith(shop, "GET /orders", { authorizer: false, scope: ["x"] }),
    /needs an authorizer/,
  );
});

test("the listing shows each route's authorizer and scopes, and each authorizer's settings", () => {
  assert.equal(
    formatApi(shop),
    [
      "shop  public  /apis/shop",
      "  GET /orders → orders  authorizer cognito scopes read",
      "  POST /orders → orders:live",
      "  authorizer cognito  JWT  issuer https://issuer.test  audience shop  keys https://issuer.test/jwks.json  from $request.header.Authorization",
      "  authorizer keys  REQUEST  task check-key  from $request.header.X-Api-Key  cached 60s  simple responses",
    ].join("\n"),
  );
});

test("`api authorizer add|rm` and `api route set` send the API's whole lists back with ids kept", async (t) => {
  const sent: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const url = await standInServer(t, (req, res, u) => {
    if (req.method === "GET" && u.pathname === "/v1/apis") return sendJson(res, [shop]);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      sent.push({ method: req.method ?? "", path: u.pathname, body });
      sendJson(res, shop);
    });
  });
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  const hearth = (...args: string[]) =>
    runHearth([...args, "--url", url, "--token", `hth_${"a".repeat(43)}`], { tty: false, env });
  const add = await hearth(
    "api",
    "authorizer",
    "add",
    "shop",
    "--name",
    "auth0",
    "--type",
    "jwt",
    "--issuer",
    "https://auth0.test/",
    "--audience",
    "a1",
    "--audience",
    "a2",
    "--jwks-uri",
    "https://auth0.test/.well-known/jwks.json",
  );
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /authorizer cognito {2}JWT/);
  const rm = await hearth("api", "authorizer", "rm", "shop", "keys");
  assert.equal(rm.code, 0, rm.stderr);
  const set = await hearth(
    "api",
    "route",
    "set",
    "shop",
    "POST /orders",
    "--authorizer",
    "cognito",
    "--scope",
    "write",
  );
  assert.equal(set.code, 0, set.stderr);
  assert.deepEqual(
    sent.map((s) => [s.method, s.path]),
    [
      ["PATCH", "/v1/apis/api_1"],
      ["PATCH", "/v1/apis/api_1"],
      ["PATCH", "/v1/apis/api_1"],
    ],
  );
  assert.deepEqual(sent[0]!.body.authorizers, [
    ...shop.authorizers,
    {
      name: "auth0",
      type: "JWT",
      jwt: {
        issuer: "https://auth0.test/",
        audience: ["a1", "a2"],
        jwksUri: "https://auth0.test/.well-known/jwks.json",
      },
    },
  ]);
  assert.deepEqual(sent[1]!.body.authorizers, [shop.authorizers[0]]);
  assert.deepEqual((sent[2]!.body.routes as ApiView["routes"])[1], {
    routeKey: "POST /orders",
    target: { task: "orders", qualifier: "live" },
    authorizerId: "cognito",
    authorizationScopes: ["write"],
  });
  // Mistakes are named before anything is sent.
  const unknown = await hearth("api", "authorizer", "rm", "shop", "nobody");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /AUTHORIZER_NOT_FOUND: API shop has no authorizer "nobody"/);
  const usage = await hearth(
    "api",
    "authorizer",
    "add",
    "shop",
    "--name",
    "x",
    "--type",
    "jwt",
    "--issuer",
    "i",
  );
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs --issuer and at least one --audience/);
  const noApi = await hearth("api", "route", "set", "nope", "GET /", "--task", "t");
  assert.equal(noApi.code, 1);
  assert.match(noApi.stderr, /no API named "nope"/);
  assert.equal(sent.length, 3);
});
