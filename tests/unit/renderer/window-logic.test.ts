// The window's pure rules: payload checks, KEY=value text, commands to paste, the key in the URL, route paths, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OWNER_KEY_STORAGE, takeOwnerKey } from "../../../renderer/browser-auth.ts";
import {
  awsInvokeCommand,
  curlInvokeCommand,
  curlRouteCommand,
  shellQuote,
} from "../../../renderer/logic/commands.ts";
import { parseEnvText } from "../../../renderer/logic/env-text.ts";
import { readableError } from "../../../renderer/logic/errors.ts";
import { checkPayload } from "../../../renderer/logic/payload.ts";
import { identityInputs, routePath, routeShape, withIdentity } from "../../../renderer/logic/route-try.ts";

test("a payload mistake is placed by line and column", () => {
  assert.equal(checkPayload('{"a": 1}'), null);
  assert.equal(checkPayload(""), null);
  const p = checkPayload('{\n  "a": 1,\n  }');
  assert.equal(p?.line, 3);
  assert.ok(p!.message.length > 0 && !/position/.test(p!.message), p!.message);
  assert.equal(checkPayload("{")?.line, 1);
});

test("environment text: KEY=value lines, comments skipped, mistakes named by line", () => {
  const r = parseEnvText("A=1\n# note\n\nB = two=2\n1X=3\nnoequals\nA=again");
  assert.deepEqual(r.values, { A: "again", B: " two=2" });
  assert.equal(r.problems.length, 3);
  assert.match(r.problems[0]!, /line 5/);
  assert.match(r.problems[1]!, /line 6/);
  assert.match(r.problems[2]!, /A is set twice/);
});

test("commands quote what the shell would split", () => {
  assert.equal(shellQuote("plain"), "plain");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const curl = curlInvokeCommand("http://127.0.0.1:7878/", "hth_x");
  assert.equal(
    curl,
    "curl -sS -X POST http://127.0.0.1:7878/v1/invoke -H 'Authorization: Bearer hth_x' -H 'content-type: application/json' -d '{}'",
  );
  const aws = awsInvokeCommand(
    "http://127.0.0.1:7878",
    { task: "echo", alias: "prod", ownerAccountId: "111122223333" },
    "HKIA1",
  );
  assert.match(aws, /AWS_ACCESS_KEY_ID=HKIA1 /);
  assert.match(aws, /--function-name arn:aws:lambda:us-east-1:111122223333:function:echo:prod /);
});

test("the owner key moves from the fragment into session storage, and leaves the address", () => {
  const key = `hok_${"a".repeat(43)}`;
  const stored = new Map<string, string>();
  const storage = {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
    removeItem: (k: string) => void stored.delete(k),
  };
  const urls: string[] = [];
  const history = { replaceState: (_d: unknown, _u: string, url?: string) => void urls.push(url ?? "") };
  assert.equal(takeOwnerKey({ hash: `#key=${key}`, pathname: "/", search: "" }, history, storage), key);
  assert.deepEqual(urls, ["/"]);
  assert.equal(stored.get(OWNER_KEY_STORAGE), key);
  // Later loads find it in the session; a malformed key in the URL is dropped from the address, not stored.
  assert.equal(takeOwnerKey({ hash: "", pathname: "/", search: "" }, history, storage), key);
  stored.clear();
  assert.equal(takeOwnerKey({ hash: "#key=nope&x=1", pathname: "/", search: "?a" }, history, storage), null);
  assert.equal(urls.at(-1), "/?a#x=1");
  assert.equal(stored.size, 0);
});

test("a route key's parameters, and the path once filled", () => {
  const s = routeShape("GET /orders/{id}/files/{rest+}");
  assert.equal(s.method, "GET");
  assert.deepEqual(s.params, [
    { name: "id", greedy: false },
    { name: "rest", greedy: true },
  ]);
  assert.equal(
    routePath("/apis/shop", s, { id: "a b", rest: "x/y z" }),
    "/apis/shop/orders/a%20b/files/x/y%20z",
  );
  assert.equal(routeShape("ANY /{proxy+}").method, null);
  assert.equal(routePath("/apis/shop", routeShape("$default"), {}), "/apis/shop/");
});

test("what a route's authorizer reads is asked for, and sent as a header or in the query", () => {
  const api = {
    routes: [{ routeKey: "GET /orders", authorizerId: "a1" }, { routeKey: "GET /open" }],
    authorizers: [{ id: "a1", identitySource: ["$request.header.X-Api-Key", "$request.querystring.tenant"] }],
  };
  const inputs = identityInputs(api, "GET /orders");
  assert.deepEqual(inputs, [
    { kind: "header", name: "X-Api-Key" },
    { kind: "query", name: "tenant" },
  ]);
  assert.deepEqual(identityInputs(api, "GET /open"), []);
  assert.deepEqual(
    withIdentity("/apis/shop/orders", { accept: "x" }, inputs, {
      "header:X-Api-Key": "k 1",
      "query:tenant": "a&b",
    }),
    { path: "/apis/shop/orders?tenant=a%26b", headers: { accept: "x", "x-api-key": "k 1" } },
  );
  // An empty value is not sent: the authorizer sees a caller without it.
  assert.deepEqual(withIdentity("/apis/shop/orders", {}, inputs, { "header:X-Api-Key": "" }), {
    path: "/apis/shop/orders",
    headers: {},
  });
  assert.equal(
    curlRouteCommand("http://127.0.0.1:7878", "GET", "/apis/shop/orders", undefined, { "x-api-key": "k'1" }),
    "curl -sS -X GET http://127.0.0.1:7878/apis/shop/orders -H 'x-api-key: k'\\''1'",
  );
});

test("errors read the same from HTTP, from Electron's bridge, and from a dead host", () => {
  assert.deepEqual(readableError({ status: 404, code: "TASK_NOT_FOUND", detail: "no task", field: "task" }), {
    code: "TASK_NOT_FOUND",
    message: "no task",
    field: "task",
    status: 404,
  });
  assert.deepEqual(readableError(new Error("ALIAS_EXISTS: alias prod exists (field: name)")), {
    code: "ALIAS_EXISTS",
    message: "alias prod exists",
    field: "name",
  });
  assert.equal(readableError(new TypeError("Failed to fetch")).code, "HOST_UNREACHABLE");
  assert.equal(readableError("odd").code, "ERROR");
});
