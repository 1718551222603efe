// REQUEST authorizers: the 2.0 event their task gets, their answers read back, IAM policies evaluated against the
// route's ARN, and answers cached by identity for their TTL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildHttpApiEvent } from "../../../../../main/http/apis/apigw-event.ts";
import { AuthorizerCache } from "../../../../../main/http/apis/authorizer-cache.ts";
import { identityValues } from "../../../../../main/http/apis/identity-sources.ts";
import {
  answerAllows,
  buildAuthorizerEvent,
  policyAllows,
  readAuthorizerAnswer,
  routeArn,
  wildcardMatch,
  type PolicyStatement,
} from "../../../../../main/http/apis/lambda-authorizer.ts";

const ARN = "arn:aws:execute-api:local:123456789012:api_0011223344556677/$default/GET/orders/7";

test("the authorizer event is API Gateway's 2.0 REQUEST event: the route's, without body, with the identity", () => {
  const route = buildHttpApiEvent(
    {
      method: "post",
      rawPath: "/orders/7",
      rawQueryString: "a=1&a=2",
      headers: { host: "localhost:7878", "x-api-key": "k1", cookie: "s=1; t=2" },
      body: Buffer.from('{"secret":"body"}'),
      sourceIp: "127.0.0.1",
    },
    {
      accountId: "123456789012",
      apiId: "api_0011223344556677",
      routeKey: "POST /orders/{id}",
      pathParameters: { id: "7" },
      requestId: "rid-1",
      now: Date.parse("2026-12-01T12:00:00Z"),
    },
  );
  const arn = routeArn("123456789012", "api_0011223344556677", "post", "/orders/7");
  assert.equal(arn, "arn:aws:execute-api:local:123456789012:api_0011223344556677/$default/POST/orders/7");
  const event = buildAuthorizerEvent(route, arn, ["k1"]);
  assert.deepEqual(Object.keys(event), [
    "version",
    "type",
    "routeArn",
    "identitySource",
    "routeKey",
    "rawPath",
    "rawQueryString",
    "cookies",
    "headers",
    "queryStringParameters",
    "requestContext",
    "pathParameters",
  ]);
  assert.equal(event.version, "2.0");
  assert.equal(event.type, "REQUEST");
  assert.equal(event.routeArn, arn);
  assert.deepEqual(event.identitySource, ["k1"]);
  assert.equal(event.routeKey, "POST /orders/{id}");
  assert.deepEqual(event.cookies, ["s=1", "t=2"]);
  assert.equal(event.headers["x-api-key"], "k1");
  assert.deepEqual(event.queryStringParameters, { a: "1,2" });
  assert.deepEqual(event.pathParameters, { id: "7" });
  assert.equal(event.requestContext.requestId, "rid-1");
  assert.equal(event.requestContext.http.method, "POST");
  // No body reaches an authorizer.
  assert.equal("body" in event, false);
  assert.equal("isBase64Encoded" in event, false);
});

test("identity sources: headers in any case, query values decoded, a missing or empty one fails the whole set", () => {
  const req = {
    headers: { "x-api-key": "k1", "x-empty": " ", multi: ["a", "b"] },
    query: { t: "q 1", e: "" },
  };
  assert.deepEqual(identityValues(["$request.header.X-Api-Key", "$request.querystring.t"], req), [
    "k1",
    "q 1",
  ]);
  assert.deepEqual(identityValues(["$request.header.multi"], req), ["a,b"]);
  assert.equal(identityValues(["$request.header.X-Api-Key", "$request.header.x-other"], req), null);
  assert.equal(identityValues(["$request.header.x-empty"], req), null);
  assert.equal(identityValues(["$request.querystring.e"], req), null);
  assert.equal(identityValues(["$request.querystring.t"], { headers: {}, query: undefined }), null);
  assert.equal(identityValues(["$request.querystring.constructor"], req), null);
  assert.deepEqual(identityValues([], req), []);
});

test("simple responses and policy responses are read; anything else is a problem (API Gateway's 500)", () => {
  assert.deepEqual(readAuthorizerAnswer('{"isAuthorized":true,"context":{"user":"ann","n":1}}', true), {
    kind: "simple",
    isAuthorized: true,
    context: { user: "ann", n: 1 },
  });
  assert.deepEqual(readAuthorizerAnswer('{"isAuthorized":false}', true), {
    kind: "simple",
    isAuthorized: false,
    context: {},
  });
  const policy = readAuthorizerAnswer(
    JSON.stringify({
      principalId: "ann",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: ARN }],
      },
      context: { tier: "gold" },
    }),
    false,
  );
  assert.deepEqual(policy, {
    kind: "policy",
    statements: [{ effect: "Allow", actions: ["execute-api:Invoke"], resources: [ARN] }],
    context: { tier: "gold" },
  });
  for (const [payload, simple, problem] of [
    ["not json", true, /not JSON/],
    ["null", true, /must be an object/],
    ['"yes"', true, /must be an object/],
    ['{"isAuthorized":"true"}', true, /isAuthorized/],
    ['{"isAuthorized":true,"context":[1]}', true, /context/],
    // A simple answer given where a policy is expected is not read as one.
    ['{"isAuthorized":true}', false, /policyDocument/],
    ['{"policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}}', false, /Effect/],
    ['{"policyDocument":{"Statement":[{"Effect":"Allow","Resource":"*"}]}}', false, /Action/],
    ['{"policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":7}]}}', false, /Resource/],
  ] as const) {
    const r = readAuthorizerAnswer(payload, simple);
    assert.ok("problem" in r, `${payload} was read`);
    assert.match(r.problem, problem);
  }
});

test("policies: an Allow covering the route's ARN allows, a covering Deny always wins, wildcards as IAM's", () => {
  const allow = (
    resource: string | string[],
    action: string | string[] = "execute-api:Invoke",
  ): PolicyStatement => ({
    effect: "Allow",
    actions: typeof action === "string" ? [action] : action,
    resources: typeof resource === "string" ? [resource] : resource,
  });
  const deny = (resource: string): PolicyStatement => ({ ...allow(resource), effect: "Deny" });
  assert.equal(policyAllows([allow(ARN)], ARN), true);
  assert.equal(policyAllows([allow("*")], ARN), true);
  assert.equal(
    policyAllows([allow("arn:aws:execute-api:local:123456789012:api_0011223344556677/*")], ARN),
    true,
  );
  assert.equal(policyAllows([allow("arn:aws:execute-api:*:*:*/$default/GET/orders/*")], ARN), true);
  assert.equal(policyAllows([allow("arn:aws:execute-api:*:*:*/$default/GET/orders/?")], ARN), true);
  assert.equal(policyAllows([allow("arn:aws:execute-api:*:*:*/$default/GET/orders/??")], ARN), false);
  assert.equal(policyAllows([allow("arn:aws:execute-api:*:*:*/$default/POST/*")], ARN), false);
  assert.equal(policyAllows([allow(["x", ARN])], ARN), true);
  assert.equal(policyAllows([allow(ARN, "execute-api:*")], ARN), true);
  assert.equal(policyAllows([allow(ARN, "EXECUTE-API:invoke")], ARN), true);
  assert.equal(policyAllows([allow(ARN, "*")], ARN), true);
  assert.equal(policyAllows([allow(ARN, "execute-api:ManageConnections")], ARN), false);
  // Nothing said is a refusal; a Deny wins over any Allow, in any order.
  assert.equal(policyAllows([], ARN), false);
  assert.equal(policyAllows([allow("*"), deny(ARN)], ARN), false);
  assert.equal(policyAllows([deny("*/POST/*"), allow("*")], ARN), true);
  // Pattern characters other than * and ? are literal.
  assert.equal(wildcardMatch("a.c", "abc"), false);
  assert.equal(wildcardMatch("a(b)+", "a(b)+"), true);
  assert.equal(answerAllows({ kind: "simple", isAuthorized: true, context: {} }, ARN), true);
  assert.equal(answerAllows({ kind: "policy", statements: [deny("*")], context: {} }, ARN), false);
});

test("the answer cache keeps an answer for its TTL, by definition and identity, in a bounded map", () => {
  let now = 1_000_000;
  const cache = new AuthorizerCache<string>(3, () => now);
  const def = { api: "api_1", authorizer: { id: "aut_1", resultTtlSeconds: 300 } };
  const k1 = AuthorizerCache.key(def, ["alice"]);
  assert.notEqual(k1, AuthorizerCache.key(def, ["bob"]));
  // A changed definition is another key: editing an authorizer drops its answers.
  assert.notEqual(
    k1,
    AuthorizerCache.key({ ...def, authorizer: { id: "aut_1", resultTtlSeconds: 60 } }, ["alice"]),
  );
  // Values are kept apart: ["a,b"] is not ["a", "b"].
  assert.notEqual(AuthorizerCache.key(def, ["a,b"]), AuthorizerCache.key(def, ["a", "b"]));
  cache.set(k1, "allow", 300);
  now += 299_999;
  assert.equal(cache.get(k1), "allow");
  now += 1;
  assert.equal(cache.get(k1), undefined);
  assert.equal(cache.size, 0);
  cache.set("zero", "x", 0);
  assert.equal(cache.get("zero"), undefined);
  for (const k of ["a", "b", "c", "d"]) cache.set(k, k, 60);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.get("d"), "d");
});
