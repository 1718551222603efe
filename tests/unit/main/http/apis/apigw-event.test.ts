// API Gateway format 2.0 in both directions: the event a request becomes, and the answer a task's result becomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildHttpApiEvent,
  clfTime,
  httpApiResponse,
  internalServerError,
  notFound,
  type ApiHttpRequest,
  type ApiRequestContext,
} from "../../../../../main/http/apis/apigw-event.ts";

const NOW = Date.parse("2020-03-12T19:03:58.390Z");

const ctx = (over: Partial<ApiRequestContext> = {}): ApiRequestContext => ({
  accountId: "123456789012",
  apiId: "api0001",
  routeKey: "POST /orders/{id}",
  pathParameters: { id: "42" },
  requestId: "req-1",
  now: NOW,
  ...over,
});

const request = (over: Partial<ApiHttpRequest> = {}): ApiHttpRequest => ({
  method: "POST",
  rawPath: "/orders/42",
  rawQueryString: "",
  headers: { host: "api0001.localhost:7111", "user-agent": "curl/8.5.0", "content-type": "application/json" },
  body: Buffer.from('{"qty":3}'),
  sourceIp: "127.0.0.1",
  ...over,
});

test("a JSON POST becomes a complete format 2.0 event", () => {
  const e = buildHttpApiEvent(
    request({ rawQueryString: "expand=lines&expand=notes&debug" }),
    ctx({ domainName: "orders.localhost" }),
  );
  assert.deepEqual(e, {
    version: "2.0",
    routeKey: "POST /orders/{id}",
    rawPath: "/orders/42",
    rawQueryString: "expand=lines&expand=notes&debug",
    headers: {
      host: "api0001.localhost:7111",
      "user-agent": "curl/8.5.0",
      "content-type": "application/json",
    },
    queryStringParameters: { expand: "lines,notes", debug: "" },
    pathParameters: { id: "42" },
    requestContext: {
      accountId: "123456789012",
      apiId: "api0001",
      domainName: "orders.localhost",
      domainPrefix: "orders",
      http: {
        method: "POST",
        path: "/orders/42",
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "curl/8.5.0",
      },
      requestId: "req-1",
      routeKey: "POST /orders/{id}",
      stage: "$default",
      time: "12/Mar/2020:19:03:58 +0000",
      timeEpoch: NOW,
    },
    body: '{"qty":3}',
    isBase64Encoded: false,
  });
  // What a handler receives is JSON: the event must survive the trip.
  assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
});

test("empty parts are left out, as in AWS: no cookies, query, path parameters or body", () => {
  const e = buildHttpApiEvent(
    request({ method: "get", headers: { host: "localhost:7111" }, body: null }),
    ctx({ routeKey: "$default", pathParameters: {} }),
  );
  for (const field of ["cookies", "queryStringParameters", "pathParameters", "body"])
    assert.equal(field in e, false, field);
  assert.equal(e.isBase64Encoded, false);
  assert.equal(e.requestContext.http.method, "GET");
  assert.equal(e.requestContext.http.userAgent, "");
  // Without a domain name, the Host header's, without its port.
  assert.equal(e.requestContext.domainName, "localhost");
  assert.equal(buildHttpApiEvent(request({ body: Buffer.alloc(0) }), ctx()).body, undefined);
  assert.equal(buildHttpApiEvent(request({ headers: {} }), ctx()).requestContext.domainName, "localhost");
});

test("headers are lower-cased and repeated ones joined with commas", () => {
  const e = buildHttpApiEvent(
    request({ headers: { "X-Trace": "a", accept: ["text/html", "application/json"], "x-empty": undefined } }),
    ctx(),
  );
  assert.deepEqual(e.headers, { "x-trace": "a", accept: "text/html,application/json" });
});

test("cookies move from the Cookie header to the cookies field", () => {
  const one = buildHttpApiEvent(request({ headers: { cookie: "session=abc; theme=dark;  lang=fr" } }), ctx());
  assert.deepEqual(one.cookies, ["session=abc", "theme=dark", "lang=fr"]);
  assert.equal("cookie" in one.headers, false);
  const many = buildHttpApiEvent(request({ headers: { cookie: ["a=1; b=2", "c=3"] } }), ctx());
  assert.deepEqual(many.cookies, ["a=1", "b=2", "c=3"]);
  assert.equal("cookies" in buildHttpApiEvent(request({ headers: { cookie: " ; " } }), ctx()), false);
});

test("query parameters are decoded (+ is a space), repeated names joined, odd names kept as data", () => {
  const e = buildHttpApiEvent(
    request({
      rawQueryString: "q=caf%C3%A9+au+lait&tag=a&tag=b%2Cc&&constructor=x&__proto__=y&bad=%E0%A4%A",
    }),
    ctx(),
  );
  assert.deepEqual(
    { ...e.queryStringParameters },
    {
      q: "café au lait",
      tag: "a,b,c",
      constructor: "x",
      ["__proto__"]: "y",
      bad: "%E0%A4%A",
    },
  );
  assert.equal(Object.getPrototypeOf(e.queryStringParameters), Object.prototype);
  assert.match(JSON.stringify(e.queryStringParameters), /"__proto__":"y"/);
  assert.equal(
    e.rawQueryString,
    "q=caf%C3%A9+au+lait&tag=a&tag=b%2Cc&&constructor=x&__proto__=y&bad=%E0%A4%A",
  );
});

test("text bodies arrive as text; binary ones, form posts and invalid UTF-8 as base64", () => {
  const body = (contentType: string | undefined, bytes: Buffer) =>
    buildHttpApiEvent(
      request({ headers: contentType === undefined ? {} : { "content-type": contentType }, body: bytes }),
      ctx(),
    );
  for (const type of [
    "text/plain; charset=utf-8",
    "application/json",
    "application/vnd.api+json",
    "text/csv",
    "application/xml",
    undefined,
  ]) {
    const e = body(type, Buffer.from("héllo"));
    assert.deepEqual([e.body, e.isBase64Encoded], ["héllo", false], String(type));
  }
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
  for (const type of [
    "image/png",
    "application/octet-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
  ]) {
    const e = body(type, png);
    assert.equal(e.isBase64Encoded, true, type);
    assert.deepEqual(Buffer.from(e.body!, "base64"), png);
  }
  // Claimed text that is not UTF-8 keeps every byte too.
  const latin1 = Buffer.from("caf\xe9", "latin1");
  const e = body("text/plain", latin1);
  assert.equal(e.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(e.body!, "base64"), latin1);
});

test("the request time is in access-log form, in UTC", () => {
  assert.equal(clfTime(Date.parse("2024-01-02T03:04:05.678Z")), "02/Jan/2024:03:04:05 +0000");
  assert.equal(clfTime(Date.parse("2023-12-31T23:59:59Z")), "31/Dec/2023:23:59:59 +0000");
});

const text = (r: { body: Buffer }) => r.body.toString("utf8");

test("a result with a statusCode says everything itself", () => {
  const r = httpApiResponse(
    JSON.stringify({
      statusCode: 201,
      headers: { "Content-Type": "application/json", "X-Count": 3, "X-Flag": true },
      body: '{"id":"42"}',
    }),
  );
  assert.equal(r.status, 201);
  assert.deepEqual(r.headers, { "content-type": "application/json", "x-count": "3", "x-flag": "true" });
  assert.equal(text(r), '{"id":"42"}');
  assert.equal(r.problem, undefined);
});

test("a structured result without a content type gets API Gateway's text/plain, and may have no body", () => {
  const r = httpApiResponse('{"statusCode":204}');
  assert.equal(r.status, 204);
  assert.equal(r.headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(r.body.length, 0);
});

test("cookies become set-cookie headers, one each, after any the headers set", () => {
  const r = httpApiResponse(
    JSON.stringify({
      statusCode: 200,
      headers: { "set-cookie": "first=1" },
      cookies: ["session=abc; HttpOnly; Path=/", "theme=dark; Max-Age=3600"],
      body: "ok",
    }),
  );
  assert.deepEqual(r.headers["set-cookie"], [
    "first=1",
    "session=abc; HttpOnly; Path=/",
    "theme=dark; Max-Age=3600",
  ]);
});

test("multiValueHeaders are honoured, merged with headers of the same name", () => {
  const r = httpApiResponse(
    JSON.stringify({
      statusCode: 200,
      headers: { Vary: "Accept" },
      multiValueHeaders: { vary: ["Origin"], "X-Ids": [1, 2] },
      body: "",
    }),
  );
  assert.deepEqual(r.headers.vary, ["Accept", "Origin"]);
  assert.deepEqual(r.headers["x-ids"], ["1", "2"]);
});

test("a base64 body is decoded to its bytes", () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10]);
  const r = httpApiResponse(
    JSON.stringify({
      statusCode: 200,
      headers: { "content-type": "image/png" },
      body: png.toString("base64"),
      isBase64Encoded: true,
    }),
  );
  assert.deepEqual(r.body, png);
  // Without the flag the same text is sent as text.
  const plain = httpApiResponse(JSON.stringify({ statusCode: 200, body: png.toString("base64") }));
  assert.equal(text(plain), png.toString("base64"));
});

test("any other JSON is the body of a 200 with content-type application/json", () => {
  for (const payload of ['{"message":"hi"}', "[1,2,3]", "42", "true", "null", '{"status":500}']) {
    const r = httpApiResponse(payload);
    assert.equal(r.status, 200, payload);
    assert.deepEqual(r.headers, { "content-type": "application/json" });
    assert.equal(text(r), payload);
  }
});

test("a string result is sent as it is, unquoted, with a 200", () => {
  const r = httpApiResponse(JSON.stringify("Hello from Lambda!"));
  assert.equal(r.status, 200);
  assert.equal(text(r), "Hello from Lambda!");
  assert.equal(r.headers["content-type"], "application/json");
});

test("a result API Gateway could not use is its 500, with the reason kept for the log", () => {
  const cases: [unknown, RegExp][] = [
    [{ statusCode: "200", body: "x" }, /statusCode must be a whole number/],
    [{ statusCode: 99 }, /statusCode/],
    [{ statusCode: 600 }, /statusCode/],
    [{ statusCode: 200.5 }, /statusCode/],
    [{ statusCode: null }, /statusCode/],
    [{ statusCode: 200, body: { nested: true } }, /body must be a string, not object/],
    [{ statusCode: 200, headers: ["x"] }, /headers must be an object/],
    [{ statusCode: 200, headers: { a: { b: 1 } } }, /header "a"/],
    [{ statusCode: 200, multiValueHeaders: { a: "x" } }, /multiValueHeaders "a"/],
    [{ statusCode: 200, cookies: "a=1" }, /cookies must be an array/],
    [{ statusCode: 200, headers: { "x-evil": "a\r\nset-cookie: stolen=1" } }, /line break/],
    [{ statusCode: 200, headers: { "bad name": "x" } }, /not a header name/],
  ];
  for (const [result, why] of cases) {
    const r = httpApiResponse(JSON.stringify(result));
    assert.equal(r.status, 500, JSON.stringify(result));
    assert.equal(text(r), '{"message":"Internal Server Error"}');
    assert.match(r.problem ?? "", why);
  }
  assert.match(httpApiResponse("not json").problem ?? "", /not JSON/);
});

test("the fixed answers match API Gateway's", () => {
  assert.deepEqual(notFound(), {
    status: 404,
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"message":"Not Found"}'),
  });
  assert.equal(internalServerError().status, 500);
  assert.equal("problem" in internalServerError(), false);
});
