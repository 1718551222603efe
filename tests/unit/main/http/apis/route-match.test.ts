// Route matching by API Gateway HTTP API's precedence: which route answers, with which path parameters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isHearthError } from "../../../../../main/domain/model/errors.ts";
import { compileRoutes, matchRoute } from "../../../../../main/http/apis/route-match.ts";
import { parseRouteKey } from "../../../../../main/domain/apis/route-keys.ts";

const pick = (routes: string[], method: string, path: string) =>
  matchRoute(compileRoutes(routes), method, path);
const key = (routes: string[], method: string, path: string) => pick(routes, method, path)?.routeKey ?? null;

test("API Gateway's own example: static, then variable, then greedy with the method, then ANY greedy", () => {
  const routes = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"];
  assert.equal(key(routes, "GET", "/pets/dog/1"), "GET /pets/dog/1");
  assert.equal(key(routes, "GET", "/pets/dog/2"), "GET /pets/dog/{id}");
  assert.equal(key(routes, "GET", "/pets/cat/1"), "GET /pets/{proxy+}");
  assert.equal(key(routes, "POST", "/pets/dog/1"), "ANY /{proxy+}");
  assert.equal(key(routes, "GET", "/"), "$default");
});

test("the order routes are listed in does not change the answer", () => {
  const routes = ["$default", "ANY /{proxy+}", "GET /pets/{proxy+}", "GET /pets/dog/{id}", "GET /pets/dog/1"];
  assert.equal(key(routes, "GET", "/pets/dog/1"), "GET /pets/dog/1");
  assert.equal(key(routes, "GET", "/pets/dog/2"), "GET /pets/dog/{id}");
  assert.equal(key(routes, "GET", "/pets/cat/1"), "GET /pets/{proxy+}");
  assert.equal(key(routes, "DELETE", "/pets/dog/1"), "ANY /{proxy+}");
});

test("a literal segment beats a variable, left to right", () => {
  const routes = ["GET /orders/{id}", "GET /orders/latest", "GET /{kind}/latest", "GET /{kind}/{id}"];
  assert.equal(key(routes, "GET", "/orders/latest"), "GET /orders/latest");
  assert.equal(key(routes, "GET", "/orders/7"), "GET /orders/{id}");
  assert.equal(key(routes, "GET", "/users/latest"), "GET /{kind}/latest");
  assert.equal(key(routes, "GET", "/users/7"), "GET /{kind}/{id}");
});

test("a full match of any shape beats a greedy variable, and a longer greedy prefix beats a shorter one", () => {
  const routes = ["ANY /{a}/{b}/{c}", "GET /pets/{proxy+}", "GET /pets/dog/{proxy+}", "GET /{proxy+}"];
  assert.equal(key(routes, "GET", "/pets/dog/1"), "ANY /{a}/{b}/{c}");
  assert.equal(key(routes, "GET", "/pets/dog/1/2"), "GET /pets/dog/{proxy+}");
  assert.equal(key(routes, "GET", "/pets/cat/1/2"), "GET /pets/{proxy+}");
  assert.equal(key(routes, "GET", "/zoo"), "GET /{proxy+}");
});

test("a named method beats ANY on the same path; ANY takes the methods left over", () => {
  const routes = ["ANY /orders", "GET /orders", "ANY /orders/{id}", "DELETE /orders/{id}"];
  assert.equal(key(routes, "GET", "/orders"), "GET /orders");
  assert.equal(key(routes, "POST", "/orders"), "ANY /orders");
  assert.equal(key(routes, "DELETE", "/orders/1"), "DELETE /orders/{id}");
  assert.equal(key(routes, "PATCH", "/orders/1"), "ANY /orders/{id}");
  assert.equal(key(routes, "get", "/orders"), "GET /orders");
});

test("a more specific path beats a named method: the method decides only between routes of one path", () => {
  assert.equal(key(["GET /pets/{id}", "ANY /pets/dog"], "GET", "/pets/dog"), "ANY /pets/dog");
  assert.equal(key(["GET /{proxy+}", "ANY /pets/{proxy+}"], "GET", "/pets/a"), "ANY /pets/{proxy+}");
});

test("a method matches only itself: HEAD does not take a GET route", () => {
  assert.equal(key(["GET /orders"], "HEAD", "/orders"), null);
  assert.equal(key(["GET /orders", "$default"], "POST", "/orders"), "$default");
});

test("no match is null without $default, and $default takes everything else", () => {
  assert.equal(pick(["GET /orders"], "GET", "/users"), null);
  assert.equal(pick([], "GET", "/"), null);
  assert.deepEqual(pick(["GET /orders", "$default"], "PUT", "/x/y/z"), {
    routeKey: "$default",
    index: 1,
    pathParameters: {},
  });
});

test("the match names its index in the list and its path parameters", () => {
  assert.deepEqual(pick(["POST /orders", "GET /orders/{id}/lines/{line}"], "GET", "/orders/42/lines/3"), {
    routeKey: "GET /orders/{id}/lines/{line}",
    index: 1,
    pathParameters: { id: "42", line: "3" },
  });
});

test("path parameters are URL-decoded after the split: %2F stays in one parameter, + stays a plus", () => {
  const routes = ["GET /files/{name}", "GET /search/{term}", "GET /raw/{proxy+}"];
  assert.deepEqual(pick(routes, "GET", "/files/a%2Fb%20c.txt")?.pathParameters, { name: "a/b c.txt" });
  assert.deepEqual(pick(routes, "GET", "/search/1+1%3D2")?.pathParameters, { term: "1+1=2" });
  assert.deepEqual(pick(routes, "GET", "/search/%C3%A9t%C3%A9")?.pathParameters, { term: "été" });
  assert.deepEqual(pick(routes, "GET", "/raw/a/b%20c/d")?.pathParameters, { proxy: "a/b c/d" });
  // A literal segment is compared decoded too.
  assert.equal(key(["GET /caf\u00e9"], "GET", "/caf%C3%A9"), "GET /café");
});

test("broken percent-encoding in the path is an INVALID_INPUT naming the path", () => {
  assert.throws(
    () => pick(["GET /files/{name}"], "GET", "/files/%E0%A4%A"),
    (e: unknown) =>
      isHearthError(e, "INVALID_INPUT") && e.field === "path" && /percent-encoding/.test(e.message),
  );
});

test("a trailing slash on the request is ignored for full matches and kept by a greedy variable", () => {
  assert.deepEqual(pick(["GET /orders/{id}"], "GET", "/orders/7/")?.pathParameters, { id: "7" });
  assert.equal(key(["GET /orders"], "GET", "/orders/"), "GET /orders");
  assert.equal(key(["GET /"], "GET", "/"), "GET /");
  assert.equal(key(["GET /"], "GET", ""), "GET /");
  assert.deepEqual(pick(["ANY /{proxy+}"], "GET", "/a/b/")?.pathParameters, { proxy: "a/b/" });
  // Only one: an empty segment is not a value.
  assert.equal(key(["GET /orders/{id}"], "GET", "/orders//"), null);
  assert.equal(key(["GET /orders/{id}/lines"], "GET", "/orders//lines"), null);
});

test("a greedy variable takes one segment at least", () => {
  const routes = ["ANY /{proxy+}", "GET /pets/{proxy+}"];
  assert.equal(key(routes, "GET", "/"), null);
  assert.equal(key(routes, "GET", "/pets"), "ANY /{proxy+}");
  assert.equal(key(routes, "GET", "/pets/"), "ANY /{proxy+}");
  assert.equal(key(routes, "GET", "/pets/x"), "GET /pets/{proxy+}");
});

test("literal segments are case-sensitive", () => {
  assert.equal(key(["GET /Orders"], "GET", "/orders"), null);
});

function rejects(routeKey: string, message: RegExp) {
  assert.throws(
    () => parseRouteKey(routeKey),
    (e: unknown) => isHearthError(e, "INVALID_INPUT") && e.field === "routeKey" && message.test(e.message),
    `"${routeKey}" should be refused with ${message}`,
  );
}

test("invalid route keys are refused when defined, naming the route", () => {
  assert.throws(() => parseRouteKey("GET orders"), {
    message: 'INVALID_INPUT: route "GET orders" must start with a /',
  });
  rejects("/orders", /must be a method and a path/);
  rejects("get /orders", /has method "get"/);
  rejects("FETCH /orders", /use one of GET, POST/);
  rejects("GET  /orders", /must start with a \//);
  rejects("GET /orders/", /must not end with a \//);
  rejects("GET /orders//lines", /empty segment/);
  rejects("GET /orders/{id}.json", /whole segment/);
  rejects("GET /orders/x{id}", /whole segment/);
  rejects("GET /orders/{}", /has variable "{}"/);
  rejects("GET /orders/{a b}", /has variable/);
  rejects("GET /a/{id}/b/{id}", /\{id\} twice/);
  rejects("GET /{proxy+}/more", /greedy variable \{proxy\+\} before its end/);
  rejects("GET /{__proto__}", /cannot name/);
  rejects("GET /orders?x=1", /segment/);
  rejects("$DEFAULT", /must be a method and a path/);
});

test("valid route keys parse", () => {
  assert.deepEqual(parseRouteKey("ANY /{proxy+}").segments, [{ kind: "greedy", name: "proxy" }]);
  assert.deepEqual(parseRouteKey("GET /").segments, []);
  assert.equal(parseRouteKey("$default").method, null);
  assert.deepEqual(parseRouteKey("PATCH /v1/orders/{order-id}").segments, [
    { kind: "literal", text: "v1" },
    { kind: "literal", text: "orders" },
    { kind: "param", name: "order-id" },
  ]);
});

test("compileRoutes names the bad route's place, and refuses duplicates and indistinguishable routes", () => {
  assert.throws(
    () => compileRoutes(["GET /a", "POST b"]),
    (e: unknown) => isHearthError(e, "INVALID_INPUT") && e.field === "routes.1" && /"POST b"/.test(e.message),
  );
  assert.throws(() => compileRoutes(["GET /a", "GET /a"]), /route "GET \/a" is defined twice/);
  assert.throws(() => compileRoutes(["$default", "$default"]), /defined twice/);
  assert.throws(
    () => compileRoutes(["GET /orders/{id}", "GET /orders/{orderId}"]),
    /route "GET \/orders\/\{orderId\}" matches the same requests as "GET \/orders\/\{id\}"/,
  );
  // A different method or a greedy variable makes a different route.
  assert.doesNotThrow(() => compileRoutes(["GET /o/{id}", "ANY /o/{id}", "GET /o/{p+}", "$default"]));
});
