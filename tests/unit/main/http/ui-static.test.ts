// The window's files on the local port: a fixed list under a strict CSP, revalidated by ETag, nothing else served.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { registerUi, UI_CSP } from "../../../../main/http/ui-static.ts";

function serverWith(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-ui-static-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  const server = Fastify();
  registerUi(server, dir);
  return { server, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test("/ is index.html with the CSP, no-cache and the other protective headers", async (t) => {
  const { server, done } = serverWith({ "index.html": "<!doctype html>hi", "app.js": "1", "app.css": "a{}" });
  t.after(done);
  const res = await server.inject({ method: "GET", url: "/" });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(res.headers["content-security-policy"], UI_CSP);
  assert.match(UI_CSP, /default-src 'none'/);
  assert.match(UI_CSP, /connect-src 'self'/);
  assert.doesNotMatch(UI_CSP, /unsafe/);
  assert.equal(res.headers["cache-control"], "no-cache");
  assert.equal(res.headers["x-content-type-options"], "nosniff");
  assert.equal(res.headers["referrer-policy"], "no-referrer");
  assert.equal(res.body, "<!doctype html>hi");
  const js = await server.inject({ method: "GET", url: "/app.js" });
  assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
  const css = await server.inject({ method: "GET", url: "/app.css" });
  assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
});

test("an unchanged file answers 304 to its ETag", async (t) => {
  const { server, done } = serverWith({ "index.html": "same" });
  t.after(done);
  const first = await server.inject({ method: "GET", url: "/" });
  const etag = first.headers.etag as string;
  assert.ok(etag);
  const again = await server.inject({ method: "GET", url: "/", headers: { "if-none-match": etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, "");
});

test("only the listed files: no traversal, no other file of the folder", async (t) => {
  const { server, done } = serverWith({ "index.html": "x", "build-meta.json": "{}", "secret.txt": "no" });
  t.after(done);
  for (const url of [
    "/build-meta.json",
    "/secret.txt",
    "/../package.json",
    "/%2e%2e/package.json",
    "/app.js/../secret.txt",
  ]) {
    const res = await server.inject({ method: "GET", url });
    assert.equal(res.statusCode, 404, url);
    assert.ok(res.body !== "no" && res.body !== "{}", url);
  }
});

test("before the window is built, / says how to build it and a bundle file is a plain 404", async (t) => {
  const { server, done } = serverWith({});
  t.after(done);
  const res = await server.inject({ method: "GET", url: "/" });
  assert.equal(res.statusCode, 503);
  assert.match(res.body, /npm run build:ui/);
  assert.equal((await server.inject({ method: "GET", url: "/app.js" })).statusCode, 404);
});
