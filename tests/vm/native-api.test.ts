// The native API (/v1) on a real server with real VMs: the owner key, access keys and tokens; import, invoke
// (sync, async, streamed), aliases shared across profiles, logs, and bad input of every kind storing nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import yazl from "yazl";
import { HearthApiError, HearthClient } from "../../main/client/http-client.ts";
import type { CreatedProfile, InvocationEvent, InvocationResult, LogRecord } from "../../main/contract.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import { importTaskFolder } from "../../main/store/task-import.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-native-api-"));
let host: Host;
let server: FastifyInstance;
let url = "";
let ownerKey = "";
let alice: CreatedProfile;
let bob: CreatedProfile;

const owner = (profile?: string) =>
  new HearthClient(url, { kind: "owner", key: ownerKey, ...(profile ? { profile } : {}) });
const asAlice = () => owner("alice");
const asBob = () =>
  new HearthClient(url, {
    kind: "access-key",
    accessKeyId: bob.credentials.accessKeyId,
    secretAccessKey: bob.credentials.secretAccessKey,
  });

async function zipBase64(fixture: string): Promise<string> {
  return (await zipFolder(fixtureDir(fixture))).zip.toString("base64");
}

/** A fixture folder's files the way the window sends a dropped folder: `name/…` paths, base64. */
function folderFiles(fixture: string): { path: string; base64: string }[] {
  const dir = fixtureDir(fixture);
  return readdirSync(dir).map((f) => ({
    path: `${fixture}/${f}`,
    base64: readFileSync(join(dir, f)).toString("base64"),
  }));
}

async function rejects(
  p: Promise<unknown>,
  status: number,
  code: string,
  field?: string,
): Promise<HearthApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HearthApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    assert.ok(err.detail.length > 10, `a message a user can act on: ${err.detail}`);
    return err;
  }
  assert.fail(`expected ${code}`);
}

/** A raw request with the owner key acting as alice. */
function raw(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ownerKey}`,
      "x-hearth-profile": "alice",
      "content-type": "application/json",
      ...headers,
    },
    // A copy as a plain Uint8Array: with the DOM lib (which Electron's types bring in) a Buffer is no BodyInit.
    ...(body !== undefined ? { body: typeof body === "string" ? body : new Uint8Array(body) } : {}),
  });
}

before(async () => {
  host = await Host.start({ dataDir });
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  ownerKey = readFileSync(join(dataDir, OWNER_KEY_FILE), "utf8").trim();
  alice = await owner().call("createProfile", { name: "alice" });
  bob = await owner().call("createProfile", { name: "bob" });
  for (const f of ["echo-node", "slow-logger", "crasher"]) {
    await asAlice().call("importTask", { zipBase64: await zipBase64(f) });
  }
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("authentication", () => {
  test("the owner key file is private to its user", () => {
    assert.equal(statSync(join(dataDir, OWNER_KEY_FILE)).mode & 0o777, 0o600);
    assert.match(ownerKey, /^hok_[A-Za-z0-9_-]{43}$/);
  });

  test("health is public; everything else needs credentials and says which", async () => {
    assert.equal((await new HearthClient(url, null).call("health", {})).ok, true);
    const e = await rejects(new HearthClient(url, null).call("listTasks", {}), 401, "UNAUTHENTICATED");
    assert.match(e.detail, /owner key|access key/);
    await rejects(
      new HearthClient(url, { kind: "owner", key: `hok_${"A".repeat(43)}`, profile: "alice" }).call(
        "listTasks",
        {},
      ),
      401,
      "CREDENTIALS_INVALID",
    );
    await rejects(owner().call("listTasks", {}), 400, "INVALID_INPUT", "X-Hearth-Profile");
    await rejects(owner("nobody").call("listTasks", {}), 404, "PROFILE_NOT_FOUND");
  });

  test("CORS stays closed: no page of another origin may read an answer", async () => {
    const preflight = await fetch(`${url}/v1/tasks`, {
      method: "OPTIONS",
      headers: {
        origin: "http://evil.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization",
      },
    });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    const res = await raw("GET", "/v1/tasks", undefined, { origin: "http://evil.example" });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });

  test("a profile's access key acts as that profile only; profiles are the owner's to create", async () => {
    const mine = await asBob().call("listProfiles", {});
    assert.deepEqual(
      mine.map((p) => p.name),
      ["bob"],
    );
    assert.deepEqual(await asBob().call("listTasks", {}), []);
    await rejects(asBob().call("createProfile", { name: "mallory" }), 403, "FORBIDDEN");
    const wrong = new HearthClient(url, {
      kind: "access-key",
      accessKeyId: bob.credentials.accessKeyId,
      secretAccessKey: "x".repeat(40),
    });
    await rejects(wrong.call("listTasks", {}), 401, "CREDENTIALS_INVALID");
  });
});

describe("tasks and invocations", () => {
  test("an imported task is listed with its configuration and invoked synchronously", async () => {
    const tasks = await asAlice().call("listTasks", {});
    assert.deepEqual(tasks.map((t) => t.name).sort(), ["crasher", "echo", "slow-logger"]);
    const r = await asAlice().call("invoke", { task: "echo", payload: '{"a":1}' });
    assert.equal(r.ok, true);
    assert.deepEqual(r.result, { echo: { a: 1 }, version: "$LATEST" });
    assert.equal(r.servedVersion, "$LATEST");
    assert.match(r.requestId, /^[0-9a-f-]{36}$/);
  });

  test("a handler error is the invocation's result, with Lambda's error shape", async () => {
    const r = await asAlice().call("invoke", { task: "crasher", payload: '{"mode":"throw"}' });
    assert.equal(r.ok, false);
    assert.equal(r.error?.errorType, "Error");
    assert.equal(r.error?.errorMessage, "asked to throw");
  });

  test("a streamed invocation sends each log line as it is printed, then the result", async () => {
    const events: { e: InvocationEvent; at: number }[] = [];
    for await (const e of asAlice().invokeStream({ task: "slow-logger", payload: '{"lines":4}' })) {
      events.push({ e, at: Date.now() });
    }
    assert.deepEqual(
      events.map(({ e }) => e.type),
      ["start", "log", "log", "log", "log", "result"],
    );
    const logs = events.filter(({ e }) => e.type === "log");
    assert.deepEqual(
      logs.map(({ e }) => (e as { line: string }).line),
      ["line 1 of 4", "line 2 of 4", "line 3 of 4", "line 4 of 4"],
    );
    // 200 ms apart in the task: they arrived one by one, not in one batch at the end.
    assert.ok(logs[3]!.at - logs[0]!.at >= 400, `lines spread over ${logs[3]!.at - logs[0]!.at} ms`);
    const result = (events.at(-1)!.e as { result: InvocationResult }).result;
    assert.deepEqual(result.result, { lines: 4 });
  });

  test("an asynchronous invocation is accepted with 202 and runs", async () => {
    const res = await raw("POST", "/v1/invoke?task=echo&mode=async", '{"later":true}');
    assert.equal(res.status, 202);
    const { requestId } = (await res.json()) as { requestId: string };
    let state = "";
    for (let i = 0; i < 100 && state !== "succeeded"; i++) {
      state = (await asAlice().call("getInvocation", { requestId })).state;
      if (state !== "succeeded") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(state, "succeeded");
  });

  test("logs: kept records can be queried and new ones arrive on the live tail", async () => {
    const abort = new AbortController();
    const seen: LogRecord[] = [];
    const tail = (async () => {
      for await (const r of asAlice().liveLogs({ task: "slow-logger" }, abort.signal)) {
        seen.push(r);
        if (r.kind === "end") abort.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const r = await asAlice().call("invoke", { task: "slow-logger", payload: '{"lines":2}' });
    await tail;
    assert.deepEqual(
      seen.map((x) => x.kind),
      ["start", "line", "line", "end"],
    );
    assert.ok(seen.every((x) => x.inv === r.requestId));
    const kept = await asAlice().call("queryLogs", { task: "slow-logger", invocation: r.requestId });
    assert.deepEqual(
      kept.filter((x) => x.kind === "line").map((x) => x.line),
      ["line 1 of 2", "line 2 of 2"],
    );
  });

  test("a folder sent as files (as the window drops one) imports to the folder's code, then runs", async () => {
    const res = await raw("POST", "/v1/tasks/files", JSON.stringify({ files: folderFiles("hello-env") }));
    assert.equal(res.status, 200, await res.clone().text());
    const view = (await res.json()) as { name: string; codeSha256: string; environment: object };
    assert.equal(view.name, "hello-env");
    assert.equal(view.codeSha256, (await importTaskFolder(fixtureDir("hello-env"))).sha256);
    assert.deepEqual(view.environment, { GREETING: "hello" });
    const r = await asAlice().call("invoke", { task: "hello-env", payload: '{"name":"files"}' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.deepEqual(r.result, { greeting: "hello, files", hasApiKey: false });
  });
});

describe("aliases, grants and tokens", () => {
  let tokenSecret = "";
  let tokenId = "";

  test("publish, alias, and a token that invokes its alias and nothing else", async () => {
    const task = await asAlice().call("publishVersion", { task: "echo", description: "first" });
    assert.equal(task.access === "owner" && task.versions.at(-1)?.version, 1);
    const alias = await asAlice().call("createAlias", { task: "echo", name: "live", version: 1 });
    const minted = await asAlice().call("mintToken", { aliasId: alias.id, label: "for carol" });
    tokenSecret = minted.secret;
    tokenId = minted.token.id;
    assert.match(tokenSecret, /^hth_/);
    assert.ok(!JSON.stringify(await asAlice().call("listTokens", {})).includes(tokenSecret));
    const teammate = new HearthClient(url, { kind: "token", token: tokenSecret });
    const r = await teammate.call("invoke", { payload: '{"from":"carol"}' });
    assert.deepEqual(r.result, { echo: { from: "carol" }, version: "1" });
    await rejects(teammate.call("invoke", { task: "crasher" }), 401, "TOKEN_INVALID");
    await rejects(teammate.call("listTasks", {}), 403, "FORBIDDEN");
    await rejects(teammate.call("listProfiles", {}), 403, "FORBIDDEN");
  });

  test("a revoked token and an expired token are refused alike", async () => {
    const alias = (await asAlice().call("listAliases", { task: "echo" }))[0]!;
    const short = await asAlice().call("mintToken", { aliasId: alias.id, expiresInS: 1 });
    await new HearthClient(url, { kind: "token", token: short.secret }).call("invoke", {});
    await new Promise((r) => setTimeout(r, 1100));
    await rejects(
      new HearthClient(url, { kind: "token", token: short.secret }).call("invoke", {}),
      401,
      "TOKEN_INVALID",
    );
    await asAlice().call("revokeToken", { tokenId });
    await rejects(
      new HearthClient(url, { kind: "token", token: tokenSecret }).call("invoke", {}),
      401,
      "TOKEN_INVALID",
    );
  });

  test("a cross-profile alias: bob invokes alice's task with his own secret, never seeing her code", async () => {
    await asAlice().call("createGrant", { task: "echo", grantee: "bob", allowedEnvironment: ["API_KEY"] });
    const shared = (await asBob().call("listTasks", {})).find((t) => t.name === "echo")!;
    assert.equal(shared.access, "grantee");
    assert.ok(!("codeSha256" in shared) && !("environment" in shared) && !("handler" in shared));
    await rejects(asBob().call("getTask", { task: "echo" }), 404, "TASK_NOT_FOUND");
    const alias = await asBob().call("createSharedAlias", {
      ownerAccountId: alice.profile.accountId,
      task: "echo",
      name: "mine",
      version: 1,
      secrets: { API_KEY: "bob-secret" },
    });
    assert.deepEqual(alias.customization?.secretNames, ["API_KEY"]);
    assert.ok(!JSON.stringify(alias).includes("bob-secret"));
    const r = await asBob().call("invoke", {
      task: "echo",
      qualifier: "mine",
      ownerAccountId: alice.profile.accountId,
      payload: "{}",
    });
    assert.equal(r.ok, true);
    // Bob reads the log of his own invocation of the shared task, and nothing of alice's.
    const records = await asBob().call("queryLogs", {
      task: "echo",
      ownerAccountId: alice.profile.accountId,
    });
    assert.ok(records.length > 0);
    assert.ok(records.every((x) => x.caller === bob.profile.id));
  });
});

describe("APIs built from tasks", () => {
  test("a public API routes to a task and passes path parameters in an API Gateway v2 event", async () => {
    const api = await asAlice().call("createApi", {
      name: "shop",
      access: "public",
      routes: [
        { routeKey: "GET /orders/{id}", target: { task: "echo" } },
        { routeKey: "POST /orders", target: { task: "echo", qualifier: "live" } },
      ],
    });
    assert.equal(api.path, "/apis/shop");
    const res = await fetch(`${url}/apis/shop/orders/42?expand=1`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { echo: Record<string, unknown>; version: string };
    assert.equal(body.version, "$LATEST");
    assert.equal(body.echo.version, "2.0");
    assert.equal(body.echo.routeKey, "GET /orders/{id}");
    assert.deepEqual(body.echo.pathParameters, { id: "42" });
    assert.deepEqual(body.echo.queryStringParameters, { expand: "1" });
    const posted = await fetch(`${url}/apis/shop/orders`, { method: "POST", body: '{"n":1}' });
    assert.equal(((await posted.json()) as { version: string }).version, "1");
    assert.equal((await fetch(`${url}/apis/shop/nothing`)).status, 404);
  });

  test("a token API mixes profiles through aliases and answers only with its token", async () => {
    const api = await asBob().call("createApi", {
      name: "bobs",
      routes: [
        {
          routeKey: "ANY /{proxy+}",
          target: { task: "echo", qualifier: "mine", ownerAccountId: alice.profile.accountId },
        },
      ],
    });
    assert.equal((await fetch(`${url}/apis/bobs/x`)).status, 401);
    const { secret } = await asBob().call("mintApiToken", { apiId: api.id });
    const res = await fetch(`${url}/apis/bobs/any/path`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { echo: { pathParameters: Record<string, string> } };
    assert.deepEqual(body.echo.pathParameters, { proxy: "any/path" });
    // An API token invokes nothing on the native API.
    await rejects(
      new HearthClient(url, { kind: "token", token: secret }).call("invoke", {}),
      401,
      "TOKEN_INVALID",
    );
    // A route to a task bob may not invoke is refused when the API is built.
    await rejects(
      asBob().call("createApi", {
        name: "steal",
        routes: [{ routeKey: "GET /", target: { task: "crasher", ownerAccountId: alice.profile.accountId } }],
      }),
      403,
      "FORBIDDEN",
    );
  });
});

describe("bad input is refused with the field named, and nothing is stored", () => {
  let before = "";
  const snapshot = () => JSON.stringify(host.store.documents.state);

  test("snapshot", () => {
    before = snapshot();
  });

  test("malformed JSON, wrong types, unknown fields", async () => {
    let res = await raw("POST", "/v1/tasks/echo/aliases", "{not json");
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { field: string } }).error.field, "body");
    await rejects(
      asAlice().call("createAlias", { task: "echo", name: "x", version: "one" }),
      400,
      "INVALID_INPUT",
      "version",
    );
    await rejects(
      asAlice().call("configureTask", { task: "echo", memoryMb: "big" }),
      400,
      "INVALID_INPUT",
      "memoryMb",
    );
    await rejects(
      asAlice().call("createAlias", { task: "echo", name: "x", version: 1, colour: "red" }),
      400,
      "INVALID_INPUT",
      "colour",
    );
    res = await raw("POST", "/v1/tasks/echo/aliases", "[1,2]");
    assert.equal(res.status, 400);
    await rejects(
      asAlice().call("invoke", { task: "echo", payload: "{oops" }),
      400,
      "INVALID_INPUT",
      "payload",
    );
    await rejects(
      asAlice().call("queryLogs", { task: "echo", limit: "lots" as unknown as number }),
      400,
      "INVALID_INPUT",
      "limit",
    );
  });

  test("oversized bodies get 413 with the limit", async () => {
    const big = JSON.stringify({ x: "a".repeat(7 * 1024 * 1024) });
    const res = await raw("POST", "/v1/invoke?task=echo", big);
    assert.equal(res.status, 413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "PAYLOAD_TOO_LARGE");
    assert.match(body.error.message, /6 MiB/);
    const res2 = await raw(
      "POST",
      "/v1/tasks/echo/versions",
      JSON.stringify({ description: "d".repeat(2 * 1024 * 1024) }),
    );
    assert.equal(res2.status, 413);
  });

  test("names with path traversal, and zips with it, are refused", async () => {
    const res = await raw("GET", "/v1/tasks/..%2F..%2Fetc%2Fpasswd");
    assert.ok(res.status === 400 || res.status === 404, String(res.status));
    await rejects(
      asAlice().call("importTask", {
        zipBase64: await zipBase64("echo-node"),
        manifest: { name: "../evil", runtime: "nodejs", handler: "index.handler" },
      }),
      400,
      "INVALID_INPUT",
      "name",
    );
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('{"name":"evil","runtime":"nodejs","handler":"index.handler"}'), "task.json");
    zip.addBuffer(Buffer.from("x"), "ok.mjs");
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream) chunks.push(c as Buffer);
    // yazl refuses to write "../" itself: rewrite the entry name in the bytes (same length).
    const evil = Buffer.from(
      Buffer.concat(chunks).toString("latin1").replaceAll("ok.mjs", "../x.m"),
      "latin1",
    );
    await rejects(
      asAlice().call("importTask", { zipBase64: evil.toString("base64") }),
      400,
      "IMPORT_UNSAFE_PATH",
    );
    await rejects(asAlice().call("importTask", { zipBase64: "bm90IGEgemlw" }), 400, "IMPORT_INVALID");
    await rejects(
      asAlice().call("importTaskFiles", {
        files: [...folderFiles("echo-node"), { path: "echo-node/../../x.mjs", base64: "eA==" }],
      }),
      400,
      "IMPORT_UNSAFE_PATH",
      "files",
    );
    await rejects(
      asAlice().call("importTaskFiles", { files: [{ path: "x".repeat(1025), base64: "" }] }),
      400,
      "INVALID_INPUT",
      "files.0.path",
    );
    await rejects(asAlice().call("importTaskFiles", { files: folderFiles("echo-node") }), 409, "TASK_EXISTS");
    await rejects(
      asAlice().call("importTask", { zipBase64: await zipBase64("echo-node") }),
      409,
      "TASK_EXISTS",
    );
  });

  test("unknown routes and unknown tasks say what was not found", async () => {
    const res = await raw("GET", "/v1/nothing-here");
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "ROUTE_NOT_FOUND");
    await rejects(asAlice().call("invoke", { task: "nope", payload: "{}" }), 404, "TASK_NOT_FOUND");
  });

  test("nothing of the refused requests was stored", () => {
    assert.equal(snapshot(), before);
  });
});

describe("brute force", () => {
  test("repeated failures from one address are answered 429 with Retry-After; the right key still works", async () => {
    // Earlier tests' refused credentials count too: at most 10 failures a minute are answered at all.
    const guess = (i: number) =>
      fetch(`${url}/v1/invoke`, {
        method: "POST",
        headers: { authorization: `Bearer hth_${String(i).padStart(43, "x")}` },
        body: "{}",
      });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await guess(i)).status);
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(),
    );
    assert.equal(statuses.at(-1), 429);
    assert.equal(statuses.filter((s) => s === 401).length <= 10, true);
    const res = await guess(99);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
    // Guesses hold back guesses: the owner key is checked before the wait, and a bare request is only told to log in.
    assert.equal((await raw("GET", "/v1/tasks")).status, 200);
    assert.equal((await fetch(`${url}/v1/tasks`)).status, 401);
  });
});
