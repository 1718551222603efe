// What an answer on the window's origin may do: the window's files keep their own policy; everything else (a task's
// page above all) is sandboxed, cannot widen a service worker's scope or clear the origin, and no worker script is
// served at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { ANSWER_CSP, sandboxAnswers } from "../../../../main/http/answer-sandbox.ts";
import { openEventStream } from "../../../../main/http/native/event-stream.ts";
import { registerUi, UI_CSP } from "../../../../main/http/ui-static.ts";
import { codeOf, servedPort } from "./served-port.ts";

const HOSTILE = `<!doctype html><script>navigator.serviceWorker.register("sw.js", { scope: "/" })</script>`;

function server(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-answer-sandbox-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Hearth</title>");
  writeFileSync(join(dir, "app.js"), "1");
  const s = Fastify();
  sandboxAnswers(s);
  registerUi(s, dir);
  // What a task may answer: a page, its own policy, headers that would act on the whole origin.
  s.get("/apis/x/page", async (_req, reply) =>
    reply
      .type("text/html")
      .header("service-worker-allowed", "/")
      .header("clear-site-data", '"*"')
      .header("content-security-policy", "default-src 'self'")
      .send(HOSTILE),
  );
  s.get("/v1/stream", async (_req, reply) => {
    const stream = openEventStream(reply);
    stream.send("line", { text: HOSTILE });
    stream.end();
  });
  t.after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return s;
}

test("the window's files keep their policy and are not sandboxed", async (t) => {
  const s = server(t);
  for (const url of ["/", "/index.html", "/app.js"]) {
    const res = await s.inject({ url });
    assert.equal(res.headers["content-security-policy"], UI_CSP, url);
  }
});

test("a task's page is sandboxed on top of its own policy, and loses the headers that act on the origin", async (t) => {
  const s = server(t);
  const res = await s.inject({ url: "/apis/x/page" });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.headers["content-security-policy"], ["default-src 'self'", ANSWER_CSP]);
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  assert.equal(res.headers["service-worker-allowed"], undefined);
  assert.equal(res.headers["clear-site-data"], undefined);
  // Not found, errors and streamed answers too.
  const missing = await s.inject({ url: "/nowhere" });
  assert.equal(missing.headers["content-security-policy"], ANSWER_CSP);
  await s.listen({ port: 0, host: "127.0.0.1" });
  const streamed = await fetch(`http://127.0.0.1:${(s.server.address() as { port: number }).port}/v1/stream`);
  assert.equal(streamed.headers.get("content-security-policy"), ANSWER_CSP);
  assert.equal(streamed.headers.get("x-content-type-options"), "nosniff");
  await streamed.text();
});

test("no service worker script is served, whatever the path", async (t) => {
  const s = server(t);
  for (const url of ["/apis/x/page", "/app.js", "/"]) {
    const res = await s.inject({ url, headers: { "service-worker": "script" } });
    assert.equal(res.statusCode, 403, url);
    assert.equal(JSON.parse(res.body).error.code, "FORBIDDEN");
  }
});

test("through the real port, a public API's hostile page is sandboxed and its worker script refused", async (t) => {
  const p = await servedPort(t);
  p.answer(() =>
    JSON.stringify({
      statusCode: 200,
      headers: { "content-type": "text/html", "service-worker-allowed": "/" },
      body: HOSTILE,
    }),
  );
  const page = await p.send({ path: "/apis/open/" });
  assert.equal(page.status, 200);
  assert.equal(page.body, HOSTILE);
  assert.equal(page.headers["content-security-policy"], ANSWER_CSP);
  assert.equal(page.headers["service-worker-allowed"], undefined);
  assert.equal(p.runs.length, 1);
  const worker = await p.send({ path: "/apis/open/sw.js", headers: { "service-worker": "script" } });
  assert.equal(worker.status, 403);
  assert.equal(codeOf(worker), "FORBIDDEN");
  assert.equal(p.runs.length, 1, "the task never ran for the worker's script");
  // The native API's JSON is sandboxed too; the window reads it with fetch(), which a policy does not affect.
  const health = await p.send({ path: "/v1/health" });
  assert.equal(health.headers["content-security-policy"], ANSWER_CSP);
});
