// The local port reads no body before it knows who sends it: requests to routes that take megabytes (imports,
// Lambda's CreateFunction, remote APIs, token APIs) are answered on their request line and headers alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { codeOf, servedPort } from "./served-port.ts";

const MiB = 1024 * 1024;

test("without credentials, a large body is refused before it is sent", async (t) => {
  const p = await servedPort(t);
  const cases = [
    { path: "/v1/tasks", declared: 70 * MiB, status: 401, code: "UNAUTHENTICATED" },
    { path: "/v1/tasks/files", declared: 70 * MiB, status: 401, code: "UNAUTHENTICATED" },
    { method: "PUT", path: "/v1/tasks/echo/code", declared: 70 * MiB, status: 401, code: "UNAUTHENTICATED" },
    { path: "/v1/invoke?task=echo", declared: 5 * MiB, status: 401, code: "UNAUTHENTICATED" },
    { path: "/v1/remote-apis/shop/orders", declared: 9 * MiB, status: 401, code: "UNAUTHENTICATED" },
    { path: "/2015-03-31/functions", declared: 60 * MiB, status: 403 },
    { method: "PUT", path: "/2015-03-31/functions/echo/code", declared: 60 * MiB, status: 403 },
    { path: "/2015-03-31/functions/echo/invocations", declared: 5 * MiB, status: 403 },
    { path: "/apis/private/upload", declared: 5 * MiB, status: 401 },
  ];
  for (const c of cases) {
    const a = await p.answeredBeforeBody(c);
    assert.equal(a.status, c.status, `${c.path}: ${a.body}`);
    if (c.code) assert.equal(codeOf(a), c.code, c.path);
  }
  assert.equal(p.runs.length, 0);
});

test("a caller without access to the operation is refused before its body too", async (t) => {
  const p = await servedPort(t);
  // A token may invoke its alias and nothing else: not import 70 MiB.
  const token = await p.answeredBeforeBody({
    path: "/v1/tasks",
    declared: 70 * MiB,
    headers: { authorization: `Bearer ${p.aliasToken}` },
  });
  assert.equal(token.status, 403, token.body);
  assert.equal(codeOf(token), "FORBIDDEN");
  // A wrongly signed Lambda call with a stale date never gets its body read.
  const stale = await p.answeredBeforeBody({
    path: "/2015-03-31/functions",
    declared: 60 * MiB,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${p.carol.credentials.accessKeyId}/20200101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`,
      "x-amz-date": "20200101T000000Z",
    },
  });
  assert.equal(stale.status, 403, stale.body);
  // The owner naming no profile is told so before sending the import.
  const noProfile = await p.answeredBeforeBody({
    path: "/v1/tasks",
    declared: 70 * MiB,
    headers: { authorization: `Bearer ${p.ownerKey}` },
  });
  assert.equal(noProfile.status, 400, noProfile.body);
  assert.equal(codeOf(noProfile), "INVALID_INPUT");
});

test("with credentials, bodies are read and the operations run as before", async (t) => {
  const p = await servedPort(t);
  const invoked = await p.send({
    method: "POST",
    path: "/v1/invoke?task=echo",
    headers: { authorization: `Bearer ${p.ownerKey}`, "x-hearth-profile": "alice" },
    body: '{"hi":1}',
  });
  assert.equal(invoked.status, 200, invoked.body);
  const api = await p.send({
    method: "POST",
    path: "/apis/private/upload",
    headers: { authorization: `Bearer ${p.apiToken}` },
    body: "x".repeat(1000),
  });
  assert.equal(api.status, 200, api.body);
  assert.equal(p.runs.length, 2);
});
