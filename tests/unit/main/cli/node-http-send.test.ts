// The CLI's node:http transport: the answer as fetch gives it, and its failures read as fetch's are (unreachable,
// silent for too long), so the CLI's messages and exit statuses stay the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { isAnswerTimeout, isConnectionFailure } from "../../../../main/cli/connection.ts";
import { nodeHttpSend } from "../../../../main/cli/node-http-send.ts";
import { standInServer } from "./hearth-run.ts";

test("a request goes out with its method, headers and body; the answer comes back whole, any status", async (t) => {
  const seen: unknown[] = [];
  const url = await standInServer(t, (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.writeHead(req.method === "DELETE" ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, echo: body, big: "é".repeat(100_000) }));
    });
  });
  const send = nodeHttpSend();
  const r = await send(`${url}/v1/tasks?x=1`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: '{"a":"ü"}',
  });
  assert.equal(r.status, 200);
  const parsed = JSON.parse(r.text) as { echo: string; big: string };
  assert.equal(parsed.echo, '{"a":"ü"}');
  assert.equal(parsed.big.length, 100_000);
  const missing = await send(`${url}/v1/tasks/x`, { method: "DELETE", headers: {} });
  assert.equal(missing.status, 404);
  assert.deepEqual(seen, [
    { method: "POST", url: "/v1/tasks?x=1", auth: "Bearer k", body: '{"a":"ü"}' },
    { method: "DELETE", url: "/v1/tasks/x", auth: undefined, body: "" },
  ]);
});

test("nothing listening is a connection failure, as with fetch", async () => {
  const err = await nodeHttpSend()("http://127.0.0.1:1/v1/health", { method: "GET", headers: {} }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error);
  assert.equal(isConnectionFailure(err), true);
  assert.equal(isAnswerTimeout(err), false);
});

test("a server that accepts and then says nothing is given up after the silence limit, as an answer timeout", async (t) => {
  const silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  t.after(() => silent.close());
  const port = (silent.address() as AddressInfo).port;
  const started = Date.now();
  const err = await nodeHttpSend(300)(`http://127.0.0.1:${port}/v1/health`, {
    method: "GET",
    headers: {},
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(Date.now() - started >= 250);
  assert.ok(err instanceof Error);
  assert.equal(isAnswerTimeout(err), true);
  assert.equal(isConnectionFailure(err), false);
});
