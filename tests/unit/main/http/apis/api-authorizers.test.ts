// Authorizers in the API gateway, on a real store and engine with a stand-in scheduler: JWT and REQUEST authorizers
// decide before the route's task runs, with API Gateway's answers, and what they found reaches the route's event.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { createApi, updateApi, type CreateApiInput } from "../../../../../main/domain/apis/apis.ts";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { mintApiToken } from "../../../../../main/domain/access/tokens.ts";
import { createTask } from "../../../../../main/domain/tasks/tasks.ts";
import type { HttpApiEventV2 } from "../../../../../main/http/apis/apigw-event.ts";
import { registerApiGateway, type AuthorizerProblem } from "../../../../../main/http/apis/api-gateway.ts";
import type { RequestAuthorizerEventV2 } from "../../../../../main/http/apis/lambda-authorizer.ts";
import { AsyncInvocations } from "../../../../../main/invoke/async-invocations.ts";
import { Engine } from "../../../../../main/invoke/engine.ts";
import { InvocationMetrics } from "../../../../../main/invoke/invocation-metrics.ts";
import { Invoker } from "../../../../../main/invoke/invoker.ts";
import type {
  Execution,
  RunOutcome,
  SandboxScheduler,
} from "../../../../../main/invoke/sandbox-scheduler.ts";
import { RemoteConnections } from "../../../../../main/remote/remote-connections.ts";
import { openHearthStore } from "../../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";
import {
  AUDIENCE,
  ISSUER,
  goodClaims,
  jwks,
  signJwt,
  testKey,
  unsignedJwt,
} from "../../../../helpers/jwt-keys.ts";

type Answer = { payload: unknown } | { error: string };

const key = testKey("RS256", "main");

async function gateway(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-api-authorizers-"));
  const store = await openHearthStore(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const jwksFile = join(dir, "jwks.json");
  writeFileSync(jwksFile, JSON.stringify(jwks(key)));
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const update = <R>(fn: Parameters<typeof store.documents.update<R>>[0]) => store.documents.update(fn);
  const { profile: owner } = await update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  for (const name of ["orders", "auth"]) {
    await update((s) =>
      createTask(s, owner.id, { name, runtime: "nodejs", handler: "index.handler", code }, ctx()),
    );
  }
  const calls: { task: string; event: unknown; exec: Execution }[] = [];
  let authorizer: (e: RequestAuthorizerEventV2) => Answer = () => ({ payload: { isAuthorized: true } });
  const scheduler = {
    run: async (exec: Execution, payload: string): Promise<RunOutcome> => {
      const event = JSON.parse(payload) as HttpApiEventV2 & RequestAuthorizerEventV2;
      const task = exec.spec.functionName;
      calls.push({ task, event, exec });
      // The route's task answers with the event it got; the authorizer as the test says.
      const answer: Answer = task === "auth" ? authorizer(event) : { payload: event };
      const base = {
        requestId: "r",
        durationMs: 1,
        roundTripMs: 1,
        maxRssKb: 1,
        servedVersion: exec.spec.functionVersion,
        servedConfigKey: exec.configKey,
        vm: "vm",
        coldStart: false,
        queuedMs: 0,
        concurrency: 1,
      };
      return "error" in answer
        ? { ...base, ok: false, error: { errorType: "Error", errorMessage: answer.error, trace: [] } }
        : { ...base, ok: true, payload: JSON.stringify(answer.payload) };
    },
  } as unknown as SandboxScheduler;
  const metrics = new InvocationMetrics({ dir: join(dir, "metrics"), maxBytes: 1024 * 1024 });
  await metrics.open();
  const engine = new Engine(store, scheduler, systemRandom.float, null, metrics);
  const server = Fastify({ logger: false });
  const invoker = new Invoker({
    store,
    engine,
    async: new AsyncInvocations(engine, { dir: join(dir, "async") }),
    remoteConnections: new RemoteConnections(),
  });
  const problems: AuthorizerProblem[] = [];
  registerApiGateway(server, { store, invoker, onAuthorizerProblem: (p) => problems.push(p) });
  t.after(() => server.close());
  await server.ready();
  const api = (input: Partial<CreateApiInput>) =>
    update((s) =>
      createApi(
        s,
        owner.id,
        { name: "shop", access: "public", routes: [], ...input } as CreateApiInput,
        ctx(),
      ),
    );
  const routeCalls = () => calls.filter((c) => c.task === "orders");
  const authCalls = () => calls.filter((c) => c.task === "auth");
  return {
    store,
    update,
    ctx,
    owner,
    server,
    api,
    jwksFile,
    routeCalls,
    authCalls,
    problems,
    authorize: (f: typeof authorizer) => {
      authorizer = f;
    },
  };
}

const nowS = () => Math.floor(Date.now() / 1000);
const jwtApi = (file: string): Partial<CreateApiInput> => ({
  authorizers: [{ name: "jwt", type: "JWT", jwt: { issuer: ISSUER, audience: [AUDIENCE], jwksFile: file } }],
  routes: [
    { routeKey: "GET /orders", target: { task: "orders" }, authorizerId: "jwt" },
    {
      routeKey: "POST /orders",
      target: { task: "orders" },
      authorizerId: "jwt",
      authorizationScopes: ["orders:write"],
    },
    { routeKey: "GET /open", target: { task: "orders" } },
  ],
});

test("JWT: a valid token reaches the task with its claims; none, invalid or short of scopes never does", async (t) => {
  const g = await gateway(t);
  await g.api(jwtApi(g.jwksFile));
  const token = signJwt(key, goodClaims(nowS(), { groups: ["a", "b"], scope: "orders:read" }));
  const ok = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(ok.statusCode, 200, ok.body);
  const event = ok.json() as HttpApiEventV2;
  assert.deepEqual(event.requestContext.authorizer, {
    jwt: {
      claims: {
        iss: ISSUER,
        aud: AUDIENCE,
        sub: "user-1",
        iat: String(goodClaims(nowS()).iat),
        exp: String(goodClaims(nowS()).exp),
        groups: "[a b]",
        scope: "orders:read",
      },
      // The route asks for no scopes.
      scopes: null,
    },
  });
  // The token without "Bearer " works too; the public route needs none.
  assert.equal(
    (await g.server.inject({ url: "/apis/shop/orders", headers: { authorization: token } })).statusCode,
    200,
  );
  assert.equal((await g.server.inject({ url: "/apis/shop/open" })).statusCode, 200);
  const before = g.routeCalls().length;

  const missing = await g.server.inject({ url: "/apis/shop/orders" });
  assert.equal(missing.statusCode, 401);
  assert.deepEqual(missing.json(), { message: "Unauthorized" });
  const expired = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${signJwt(key, goodClaims(nowS(), { exp: nowS() - 3600 }))}` },
  });
  assert.equal(expired.statusCode, 401);
  assert.deepEqual(expired.json(), { message: "Unauthorized" });
  assert.equal(
    expired.headers["www-authenticate"],
    'Bearer scope="" error="invalid_token" error_description="the token has expired"',
  );
  const none = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${unsignedJwt(goodClaims(nowS()), "main")}` },
  });
  assert.equal(none.statusCode, 401);
  assert.match(String(none.headers["www-authenticate"]), /signing method none is invalid/);
  const wrongAud = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${signJwt(key, goodClaims(nowS(), { aud: "else" }))}` },
  });
  assert.equal(wrongAud.statusCode, 401);
  // A valid token without the route's scope: 403, and the body never read.
  const noScope = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${token}` },
    payload: "{}",
  });
  assert.equal(noScope.statusCode, 403);
  assert.deepEqual(noScope.json(), { message: "Forbidden" });
  assert.match(
    String(noScope.headers["www-authenticate"]),
    /scope="orders:write" error="insufficient_scope"/,
  );
  assert.equal(g.routeCalls().length, before, "a refused request reached the task");
  const writer = signJwt(key, goodClaims(nowS(), { scope: "orders:read orders:write" }));
  const wrote = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${writer}` },
    payload: "{}",
  });
  assert.equal(wrote.statusCode, 200);
  // A route with scopes passes the token's scopes on.
  const found = (wrote.json() as HttpApiEventV2).requestContext.authorizer as {
    jwt: { claims: Record<string, string>; scopes: string[] | null };
  };
  assert.deepEqual(found.jwt.scopes, ["orders:read", "orders:write"]);
  assert.equal(found.jwt.claims.scope, "orders:read orders:write");
});

test("JWT keys that cannot be read are the API's fault: 500, not the caller's 401", async (t) => {
  const g = await gateway(t);
  await g.api(jwtApi(join(g.jwksFile, "..", "missing.json")));
  const res = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${signJwt(key, goodClaims(nowS()))}` },
  });
  assert.equal(res.statusCode, 500);
  assert.deepEqual(res.json(), { message: "Internal Server Error" });
  assert.equal(g.routeCalls().length, 0);
});

const requestApi = (
  o: { simple?: boolean; ttl?: number; sources?: string[] } = {},
): Partial<CreateApiInput> => ({
  authorizers: [
    {
      name: "keys",
      type: "REQUEST",
      identitySource: o.sources ?? ["$request.header.X-Api-Key"],
      target: { task: "auth" },
      enableSimpleResponses: o.simple ?? true,
      ...(o.ttl !== undefined ? { resultTtlSeconds: o.ttl } : {}),
    },
  ],
  routes: [
    { routeKey: "GET /orders/{id}", target: { task: "orders" }, authorizerId: "keys" },
    { routeKey: "DELETE /orders/{id}", target: { task: "orders" }, authorizerId: "keys" },
  ],
});

test("REQUEST: the authorizer task gets the 2.0 event; its context reaches the route; a denial is 403", async (t) => {
  const g = await gateway(t);
  const api = await g.api(requestApi());
  g.authorize((e) => ({
    payload: {
      isAuthorized: e.identitySource[0] === "good",
      context: { user: "ann", key: e.identitySource[0] },
    },
  }));
  const ok = await g.server.inject({ url: "/apis/shop/orders/7?x=1", headers: { "x-api-key": "good" } });
  assert.equal(ok.statusCode, 200, ok.body);
  const routeEvent = ok.json() as HttpApiEventV2;
  assert.deepEqual(routeEvent.requestContext.authorizer, { lambda: { user: "ann", key: "good" } });
  const [call] = g.authCalls();
  const authEvent = call!.event as RequestAuthorizerEventV2;
  assert.equal(authEvent.type, "REQUEST");
  assert.equal(authEvent.version, "2.0");
  assert.deepEqual(authEvent.identitySource, ["good"]);
  assert.equal(authEvent.routeKey, "GET /orders/{id}");
  assert.equal(
    authEvent.routeArn,
    `arn:aws:execute-api:local:${g.owner.accountId}:${api.id}/$default/GET/orders/7`,
  );
  assert.deepEqual(authEvent.pathParameters, { id: "7" });
  assert.deepEqual(authEvent.queryStringParameters, { x: "1" });
  // One request id for the request: the authorizer's event and the route's event share it.
  assert.equal(authEvent.requestContext.requestId, routeEvent.requestContext.requestId);
  assert.equal(ok.headers["apigw-requestid"], routeEvent.requestContext.requestId);
  // Invoked as the API's profile, as an outsider, like the route's task.
  assert.equal(call!.exec.profile, g.owner.id);

  const denied = await g.server.inject({ url: "/apis/shop/orders/7", headers: { "x-api-key": "bad" } });
  assert.equal(denied.statusCode, 403);
  assert.deepEqual(denied.json(), { message: "Forbidden" });
  // Without its identity source, the task is not even asked.
  const asked = g.authCalls().length;
  const missing = await g.server.inject({ url: "/apis/shop/orders/7" });
  assert.equal(missing.statusCode, 401);
  assert.deepEqual(missing.json(), { message: "Unauthorized" });
  assert.equal(g.authCalls().length, asked);
  assert.equal(g.routeCalls().length, 1);
});

test("REQUEST: an answer is cached by identity for its TTL, allow and deny alike; TTL 0 asks every time", async (t) => {
  const g = await gateway(t);
  await g.api(requestApi({ ttl: 300 }));
  g.authorize((e) => ({ payload: { isAuthorized: e.identitySource[0] !== "mallory" } }));
  for (const who of ["ann", "ann", "ann", "mallory", "mallory", "bob"]) {
    const res = await g.server.inject({ url: "/apis/shop/orders/1", headers: { "x-api-key": who } });
    assert.equal(res.statusCode, who === "mallory" ? 403 : 200);
  }
  assert.deepEqual(
    g.authCalls().map((c) => (c.event as RequestAuthorizerEventV2).identitySource[0]),
    ["ann", "mallory", "bob"],
  );
  // Changing the authorizer drops its cached answers.
  const [api] = g.store.documents.state.apis;
  await g.update((s) =>
    updateApi(
      s,
      g.owner.id,
      {
        apiId: api!.id,
        authorizers: [{ ...requestApi({ ttl: 0 }).authorizers![0]!, id: api!.authorizers![0]!.id }],
      },
      g.ctx(),
    ),
  );
  for (let i = 0; i < 2; i++)
    await g.server.inject({ url: "/apis/shop/orders/1", headers: { "x-api-key": "ann" } });
  assert.equal(g.authCalls().length, 5);
});

test("REQUEST: IAM policy answers are evaluated per route; a failed or unreadable answer is a 500", async (t) => {
  const g = await gateway(t);
  await g.api(requestApi({ simple: false }));
  g.authorize((e) => ({
    payload: {
      principalId: "ann",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Action: "execute-api:Invoke",
            Effect: "Allow",
            Resource: e.routeArn.replace(/\/(GET|DELETE)\/.*$/, "/*"),
          },
          {
            Action: "execute-api:Invoke",
            Effect: "Deny",
            Resource: "arn:aws:execute-api:*:*:*/$default/DELETE/*",
          },
        ],
      },
      context: { tier: "gold" },
    },
  }));
  const get = await g.server.inject({ url: "/apis/shop/orders/1", headers: { "x-api-key": "ann" } });
  assert.equal(get.statusCode, 200);
  assert.deepEqual((get.json() as HttpApiEventV2).requestContext.authorizer, { lambda: { tier: "gold" } });
  // The cached policy meets another route: its Deny wins there, without asking the task again.
  const del = await g.server.inject({
    method: "DELETE",
    url: "/apis/shop/orders/1",
    headers: { "x-api-key": "ann" },
  });
  assert.equal(del.statusCode, 403);
  assert.equal(g.authCalls().length, 1);

  for (const answer of [
    { error: "boom" },
    { payload: { isAuthorized: true } },
    { payload: "yes" },
  ] as Answer[]) {
    g.authorize(() => answer);
    const res = await g.server.inject({
      url: "/apis/shop/orders/1",
      headers: { "x-api-key": `k${Math.random()}` },
    });
    assert.equal(res.statusCode, 500, JSON.stringify(answer));
    assert.deepEqual(res.json(), { message: "Internal Server Error" });
  }
  assert.equal(g.routeCalls().length, 1);
  // The caller heard "Internal Server Error" three times; the API's owner hears why, each time; a 403 is not a
  // problem of the API's.
  assert.deepEqual(
    g.problems.map((p) => [p.api, p.routeKey, p.status]),
    [
      ["shop", "GET /orders/{id}", 500],
      ["shop", "GET /orders/{id}", 500],
      ["shop", "GET /orders/{id}", 500],
    ],
  );
  assert.match(g.problems[0]!.problem, /^authorizer "\w+" failed: Error: boom$/);
  assert.match(g.problems[1]!.problem, /policyDocument|principalId/);
  assert.ok(g.problems[2]!.problem.length > 0);
});

test("a token API keeps its token: an authorizer reading another header runs only after the token is checked", async (t) => {
  const g = await gateway(t);
  const api = await g.api({
    access: "token",
    authorizers: [
      {
        name: "jwt",
        type: "JWT",
        identitySource: ["$request.header.X-Jwt"],
        jwt: { issuer: ISSUER, audience: [AUDIENCE], jwksFile: g.jwksFile },
      },
    ],
    routes: [{ routeKey: "GET /orders", target: { task: "orders" }, authorizerId: "jwt" }],
  });
  const { secret } = await g.update((s) => mintApiToken(s, g.owner.id, { apiId: api.id }, g.ctx()));
  const jwt = signJwt(key, goodClaims(nowS()));
  assert.equal(
    (await g.server.inject({ url: "/apis/shop/orders", headers: { "x-jwt": jwt } })).statusCode,
    401,
  );
  const noJwt = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${secret}` },
  });
  assert.equal(noJwt.statusCode, 401);
  const both = await g.server.inject({
    url: "/apis/shop/orders",
    headers: { authorization: `Bearer ${secret}`, "x-jwt": `Bearer ${jwt}` },
  });
  assert.equal(both.statusCode, 200);
  const event = both.json() as HttpApiEventV2;
  assert.equal(event.headers.authorization, undefined);
  assert.equal(
    (event.requestContext.authorizer as { jwt: { claims: Record<string, string> } }).jwt.claims.sub,
    "user-1",
  );
});
