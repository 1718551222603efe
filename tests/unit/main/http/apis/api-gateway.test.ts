// The API gateway on a real store and engine, with a stand-in scheduler: what the task receives, what the client gets.
import { RemoteConnections } from "../../../../../main/remote/remote-connections.ts";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { createAlias, deleteAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { createApi, updateApi } from "../../../../../main/domain/apis/apis.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { createGrant } from "../../../../../main/domain/aliases/grants.ts";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken, mintApiToken } from "../../../../../main/domain/access/tokens.ts";
import { publishVersion } from "../../../../../main/domain/tasks/versions.ts";
import type { HttpApiEventV2 } from "../../../../../main/http/apis/apigw-event.ts";
import { MAX_API_BODY_BYTES, registerApiGateway } from "../../../../../main/http/apis/api-gateway.ts";
import { AsyncInvocations } from "../../../../../main/invoke/async-invocations.ts";
import { InvocationMetrics } from "../../../../../main/invoke/invocation-metrics.ts";
import { Engine } from "../../../../../main/invoke/engine.ts";
import { Invoker } from "../../../../../main/invoke/invoker.ts";
import {
  SchedulerError,
  type Execution,
  type RunOutcome,
  type SandboxScheduler,
} from "../../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";

/** What the stand-in task does with an event: answer a payload, fail as a handler, or fail to run at all. */
type Behaviour = (event: HttpApiEventV2, exec: Execution) => { payload: unknown } | { error: string } | Error;

async function gateway(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-api-gateway-"));
  const store = await openHearthStore(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const update = <R>(fn: Parameters<typeof store.documents.update<R>>[0]) => store.documents.update(fn);
  const { profile: owner } = await update((s) => createProfile(s, { name: "owner" }, ctx()));
  const { profile: other } = await update((s) => createProfile(s, { name: "other" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  for (const name of ["orders", "catalog"]) {
    await update((s) =>
      createTask(s, owner.id, { name, runtime: "nodejs", handler: "index.handler", code }, ctx()),
    );
  }
  await update((s) =>
    createTask(s, other.id, { name: "pricing", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  await update((s) => publishVersion(s, other.id, { task: "pricing" }, ctx()));

  const events: { event: HttpApiEventV2; exec: Execution; payload: string }[] = [];
  let behaviour: Behaviour = () => ({ payload: { statusCode: 200, body: "ok" } });
  const scheduler = {
    run: async (exec: Execution, payload: string): Promise<RunOutcome> => {
      const event = JSON.parse(payload) as HttpApiEventV2;
      events.push({ event, exec, payload });
      const b = behaviour(event, exec);
      if (b instanceof Error) throw b;
      const base = {
        requestId: event.requestContext.requestId,
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
      return "error" in b
        ? { ...base, ok: false, error: { errorType: "Error", errorMessage: b.error, trace: [] } }
        : { ...base, ok: true, payload: JSON.stringify(b.payload) };
    },
  } as unknown as SandboxScheduler;
  const metrics = new InvocationMetrics({ dir: join(dir, "metrics"), maxBytes: 1024 * 1024 });
  await metrics.open();
  const engine = new Engine(store, scheduler, systemRandom.float, null, metrics);
  const server = Fastify({ logger: false, bodyLimit: 1024 });
  const invoker = new Invoker({
    store,
    engine,
    async: new AsyncInvocations(engine, { dir: join(dir, "async") }),
    remoteConnections: new RemoteConnections(),
  });
  registerApiGateway(server, { store, invoker });
  t.after(() => server.close());
  await server.ready();
  return {
    store,
    ctx,
    update,
    owner,
    other,
    events,
    engine,
    metrics,
    server,
    behave: (b: Behaviour) => {
      behaviour = b;
    },
  };
}

type World = Awaited<ReturnType<typeof gateway>>;

async function shopApi(g: World, access: "public" | "token" = "public") {
  return g.update((s) =>
    createApi(
      s,
      g.owner.id,
      {
        name: "shop",
        access,
        routes: [
          { routeKey: "GET /orders/{id}", target: { task: "orders" } },
          { routeKey: "POST /orders", target: { task: "orders" } },
          { routeKey: "ANY /catalog/{path+}", target: { task: "catalog" } },
        ],
      },
      g.ctx(),
    ),
  );
}

test("a request becomes a format 2.0 event with path parameters, for the route's task, run as the API's profile", async (t) => {
  const g = await gateway(t);
  const api = await shopApi(g);
  const res = await g.server.inject({
    method: "GET",
    url: "/apis/shop/orders/a%20b?x=1&x=2&y=%C3%BC",
    headers: { host: "localhost:8080", "user-agent": "ua/1", cookie: "a=1; b=2", "x-custom": "v" },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, "ok");
  assert.equal(g.events.length, 1);
  const { event, exec } = g.events[0]!;
  assert.equal(event.version, "2.0");
  assert.equal(event.routeKey, "GET /orders/{id}");
  assert.equal(event.rawPath, "/orders/a%20b");
  assert.equal(event.rawQueryString, "x=1&x=2&y=%C3%BC");
  assert.deepEqual(event.queryStringParameters, { x: "1,2", y: "ü" });
  assert.deepEqual(event.pathParameters, { id: "a b" });
  assert.deepEqual(event.cookies, ["a=1", "b=2"]);
  assert.equal(event.headers["x-custom"], "v");
  assert.equal(event.requestContext.apiId, api.id);
  assert.equal(event.requestContext.accountId, g.owner.accountId);
  assert.equal(event.requestContext.domainName, "localhost");
  assert.equal(event.requestContext.stage, "$default");
  assert.equal(event.requestContext.http.method, "GET");
  assert.equal(event.requestContext.http.path, "/orders/a%20b");
  assert.equal(event.requestContext.http.userAgent, "ua/1");
  assert.equal(event.isBase64Encoded, false);
  assert.equal(event.body, undefined);
  assert.equal(res.headers["apigw-requestid"], event.requestContext.requestId);
  assert.equal(exec.profile, g.owner.id);
  assert.equal(exec.taskKey, g.store.documents.state.tasks.find((x) => x.name === "orders")?.id);

  // A greedy variable keeps its slashes, and routes lead to their own tasks.
  await g.server.inject({ method: "DELETE", url: "/apis/shop/catalog/a/b/c" });
  assert.deepEqual(g.events[1]?.event.pathParameters, { path: "a/b/c" });
  assert.equal(g.events[1]?.event.routeKey, "ANY /catalog/{path+}");
  assert.equal(
    g.events[1]?.exec.taskKey,
    g.store.documents.state.tasks.find((x) => x.name === "catalog")?.id,
  );
});

test("the task's answer becomes status, headers, cookies and body; base64 bodies are decoded", async (t) => {
  const g = await gateway(t);
  await shopApi(g);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe]);
  g.behave(() => ({
    payload: {
      statusCode: 201,
      headers: {
        "Content-Type": "image/png",
        "X-Answer": 42,
        "content-length": "999",
        "Transfer-Encoding": "chunked",
      },
      cookies: ["s=1; HttpOnly", "t=2"],
      body: png.toString("base64"),
      isBase64Encoded: true,
    },
  }));
  const res = await g.server.inject({ method: "POST", url: "/apis/shop/orders", payload: "{}" });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers["content-type"], "image/png");
  assert.equal(res.headers["x-answer"], "42");
  assert.deepEqual(res.headers["set-cookie"], ["s=1; HttpOnly", "t=2"]);
  assert.deepEqual(res.rawPayload, png);
  // The task's framing headers would break the connection: the server's own ones win.
  assert.equal(res.headers["content-length"], String(png.length));
  assert.equal(res.headers["transfer-encoding"], undefined);

  // Anything without a statusCode is a 200 with the JSON as its body; a string goes out unquoted.
  g.behave(() => ({ payload: { hello: "world" } }));
  const json = await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" });
  assert.equal(json.statusCode, 200);
  assert.equal(json.headers["content-type"], "application/json");
  assert.deepEqual(json.json(), { hello: "world" });
  g.behave(() => ({ payload: "plain words" }));
  assert.equal((await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" })).body, "plain words");

  // An answer the gateway cannot use is API Gateway's 500.
  g.behave(() => ({ payload: { statusCode: 99 } }));
  const bad = await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" });
  assert.equal(bad.statusCode, 500);
  assert.deepEqual(bad.json(), { message: "Internal Server Error" });
});

test("request bodies: text arrives as text, binary as base64, and round-trips byte for byte", async (t) => {
  const g = await gateway(t);
  await shopApi(g);
  // The stand-in echoes what it got, as API Gateway's format asks a binary answer to be given.
  g.behave((e) => ({
    payload: {
      statusCode: 200,
      headers: { "content-type": e.headers["content-type"] ?? "none" },
      body: e.body ?? "",
      isBase64Encoded: e.isBase64Encoded,
    },
  }));
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const bin = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { "content-type": "application/octet-stream" },
    payload: bytes,
  });
  assert.equal(bin.statusCode, 200);
  const sent = g.events.at(-1)!.event;
  assert.equal(sent.isBase64Encoded, true);
  assert.equal(sent.body, bytes.toString("base64"));
  assert.deepEqual(bin.rawPayload, bytes);

  const text = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { "content-type": "application/json; charset=utf-8" },
    payload: '{"qty":3,"name":"żółw"}',
  });
  assert.equal(g.events.at(-1)!.event.isBase64Encoded, false);
  assert.equal(g.events.at(-1)!.event.body, '{"qty":3,"name":"żółw"}');
  assert.equal(text.body, '{"qty":3,"name":"żółw"}');

  // A form post is base64 in API Gateway's HTTP APIs, and here too.
  await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: "a=1&b=2",
  });
  assert.equal(g.events.at(-1)!.event.isBase64Encoded, true);
  assert.equal(Buffer.from(g.events.at(-1)!.event.body!, "base64").toString(), "a=1&b=2");

  // No content type at all: still the bytes as sent.
  await g.server.inject({ method: "POST", url: "/apis/shop/orders", payload: Buffer.from("raw") });
  assert.equal(g.events.at(-1)!.event.body, "raw");
});

test("bodies above 6 MiB get 413 and reach no task, whatever the server's own limit", async (t) => {
  const g = await gateway(t);
  await shopApi(g);
  // The server was built with a 1 KiB limit: the gateway's own limit applies under /apis/.
  const ok = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { "content-type": "application/octet-stream" },
    payload: Buffer.alloc(64 * 1024, 1),
  });
  assert.equal(ok.statusCode, 200);
  const before = g.events.length;
  const big = await g.server.inject({
    method: "POST",
    url: "/apis/shop/orders",
    headers: { "content-type": "application/octet-stream" },
    payload: Buffer.alloc(MAX_API_BODY_BYTES + 1, 1),
  });
  assert.equal(big.statusCode, 413);
  assert.deepEqual(big.json(), { message: "Request Entity Too Large" });
  assert.equal(g.events.length, before);
});

test("unknown APIs and unmatched routes get API Gateway's 404", async (t) => {
  const g = await gateway(t);
  await shopApi(g);
  for (const [method, url] of [
    ["GET", "/apis/nope/orders/1"],
    ["GET", "/apis/nope"],
    ["GET", "/apis/shop"],
    ["GET", "/apis/shop/"],
    ["PUT", "/apis/shop/orders/1"],
    ["GET", "/apis/shop/orders"],
    ["GET", "/apis/shop/catalog"],
  ] as const) {
    const res = await g.server.inject({ method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.deepEqual(res.json(), { message: "Not Found" }, `${method} ${url}`);
  }
  assert.equal(g.events.length, 0);
  // A $default route takes what nothing else does, with its own route key.
  await g.update((s) =>
    updateApi(
      s,
      g.owner.id,
      {
        apiId: s.apis[0]!.id,
        routes: [
          { routeKey: "GET /orders/{id}", target: { task: "orders" } },
          { routeKey: "$default", target: { task: "catalog" } },
        ],
      },
      g.ctx(),
    ),
  );
  const fallback = await g.server.inject({ method: "PUT", url: "/apis/shop/whatever?q=1" });
  assert.equal(fallback.statusCode, 200);
  assert.equal(g.events.at(-1)?.event.routeKey, "$default");
  assert.equal(g.events.at(-1)?.event.rawPath, "/whatever");
  // The table follows the edit: POST /orders went away with it.
  const root = await g.server.inject({ method: "GET", url: "/apis/shop" });
  assert.equal(root.statusCode, 200);
  assert.equal(g.events.at(-1)?.event.rawPath, "/");
});

test("a token API wants a bearer token minted for it; the token never reaches the task", async (t) => {
  const g = await gateway(t);
  const api = await shopApi(g, "token");
  const other = await g.update((s) => createApi(s, g.owner.id, { name: "other", routes: [] }, g.ctx()));
  const good = (await g.update((s) => mintApiToken(s, g.owner.id, { apiId: api.id }, g.ctx()))).secret;
  const otherApi = (await g.update((s) => mintApiToken(s, g.owner.id, { apiId: other.id }, g.ctx()))).secret;
  const alias = await g.update((s) =>
    createAlias(s, g.owner.id, { task: "orders", name: "live", version: "$LATEST" }, g.ctx()),
  );
  const aliasToken = (await g.update((s) => mintAliasToken(s, g.owner.id, { aliasId: alias.id }, g.ctx())))
    .secret;
  const wrong = good.slice(0, -1) + (good.endsWith("A") ? "B" : "A");
  const cases: [string, string | undefined][] = [
    ["none", undefined],
    ["empty", ""],
    ["not bearer", `Basic ${good}`],
    ["bare token", good],
    ["wrong", `Bearer ${wrong}`],
    ["another API's", `Bearer ${otherApi}`],
    ["an alias's", `Bearer ${aliasToken}`],
  ];
  for (const [what, authorization] of cases) {
    const res = await g.server.inject({
      method: "GET",
      url: "/apis/shop/orders/1",
      headers: authorization === undefined ? {} : { authorization },
    });
    assert.equal(res.statusCode, 401, what);
    assert.deepEqual(res.json(), { message: "Unauthorized" }, what);
  }
  // Without a token, even an unmatched route says 401: the route list is not disclosed.
  assert.equal((await g.server.inject({ method: "GET", url: "/apis/shop/nothing" })).statusCode, 401);
  assert.equal(g.events.length, 0);

  const res = await g.server.inject({
    method: "GET",
    url: "/apis/shop/orders/1",
    headers: { authorization: `bearer ${good}` },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(g.events.length, 1);
  assert.equal(g.events[0]!.event.headers.authorization, undefined);
  assert.ok(!g.events[0]!.payload.includes(good));

  // Turned public, the API takes anyone, and an Authorization header is the task's business.
  await g.update((s) => updateApi(s, g.owner.id, { apiId: api.id, access: "public" }, g.ctx()));
  const pub = await g.server.inject({
    method: "GET",
    url: "/apis/shop/orders/2",
    headers: { authorization: "Bearer app-level" },
  });
  assert.equal(pub.statusCode, 200);
  assert.equal(g.events.at(-1)!.event.headers.authorization, "Bearer app-level");
});

test("a handler error is API Gateway's 502; an invocation that cannot run gets its code's status", async (t) => {
  const g = await gateway(t);
  await shopApi(g);
  g.behave(() => ({ error: "boom" }));
  const failed = await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" });
  assert.equal(failed.statusCode, 502);
  assert.deepEqual(failed.json(), { message: "Internal Server Error" });
  assert.ok(!failed.body.includes("boom"));

  g.behave(() => new SchedulerError("TOO_MANY_REQUESTS", "profile owner has 10 requests waiting"));
  const throttled = await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" });
  assert.equal(throttled.statusCode, 429);
  assert.equal(throttled.headers["x-hearth-error-code"], "TOO_MANY_REQUESTS");
  assert.match(throttled.json().message, /TOO_MANY_REQUESTS: profile owner has 10 requests waiting/);

  g.behave(() => new TypeError("secret internals at /home/x"));
  const crashed = await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" });
  assert.equal(crashed.statusCode, 500);
  assert.deepEqual(crashed.json(), { message: "Internal Server Error" });
});

test("routes may reach another profile's task through a held alias; a target gone later answers its not-found", async (t) => {
  const g = await gateway(t);
  await g.update((s) =>
    createGrant(s, g.other.id, { task: "pricing", granteeProfileId: g.owner.id }, g.ctx()),
  );
  const prices = await g.update((s) =>
    createCrossProfileAlias(
      s,
      g.owner.id,
      { ownerAccountId: g.other.accountId, task: "pricing", name: "prices", version: 1 },
      g.ctx(),
    ),
  );
  await g.update((s) =>
    createApi(
      s,
      g.owner.id,
      {
        name: "mixed",
        access: "public",
        routes: [
          { routeKey: "GET /orders/{id}", target: { task: "orders" } },
          {
            routeKey: "GET /prices",
            target: { task: "pricing", qualifier: "prices", ownerAccountId: g.other.accountId },
          },
        ],
      },
      g.ctx(),
    ),
  );
  const res = await g.server.inject({ method: "GET", url: "/apis/mixed/prices" });
  assert.equal(res.statusCode, 200);
  const { exec, event } = g.events.at(-1)!;
  assert.equal(exec.taskKey, g.store.documents.state.tasks.find((x) => x.name === "pricing")?.id);
  // The owner's account is the API's, whoever's task answers.
  assert.equal(event.requestContext.accountId, g.owner.accountId);

  await g.update((s) => deleteAlias(s, g.owner.id, { aliasId: prices.id }));
  const before = g.events.length;
  const gone = await g.server.inject({ method: "GET", url: "/apis/mixed/prices" });
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.headers["x-hearth-error-code"], "ALIAS_NOT_FOUND");
  assert.match(gone.json().message, /^route "GET \/prices" cannot reach its target: ALIAS_NOT_FOUND: /);
  assert.equal(g.events.length, before);
  // The API's other routes still answer.
  assert.equal((await g.server.inject({ method: "GET", url: "/apis/mixed/orders/1" })).statusCode, 200);
});

test("calls an API token's rate limit refuses, and calls the scheduler throttles, count as the task's throttles", async (t) => {
  const g = await gateway(t);
  const api = await shopApi(g, "token");
  const { secret } = await g.update((s) =>
    mintApiToken(s, g.owner.id, { apiId: api.id, rateLimitPerMinute: 1 }, g.ctx()),
  );
  const call = () =>
    g.server.inject({
      method: "GET",
      url: "/apis/shop/orders/1",
      headers: { authorization: `Bearer ${secret}` },
    });
  assert.equal((await call()).statusCode, 200);
  assert.equal((await call()).statusCode, 429);
  g.behave(() => new SchedulerError("TOO_MANY_REQUESTS", "too many waiting"));
  await g.update((s) => updateApi(s, g.owner.id, { apiId: api.id, access: "public" }, g.ctx()));
  assert.equal((await g.server.inject({ method: "GET", url: "/apis/shop/orders/1" })).statusCode, 429);
  const orders = g.store.documents.state.tasks.find((x) => x.name === "orders")!;
  const stats = g.metrics.stats({ task: orders.id }, { since: 0, until: Date.now() + 1 });
  assert.equal(stats.totals.invocations, 1);
  assert.equal(stats.totals.throttles, 2);
  const listed = await g.metrics.list({ task: orders.id });
  assert.deepEqual(listed.map((r) => [r.outcome, r.errorType ?? null, r.via.kind, r.via.label]).sort(), [
    ["ok", null, "api", "shop"],
    ["throttle", "TOKEN_RATE_LIMITED", "api", "shop"],
    ["throttle", "TOO_MANY_REQUESTS", "api", "shop"],
  ]);
});
