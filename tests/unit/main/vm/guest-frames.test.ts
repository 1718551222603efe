// What the host accepts from a guest: frames are checked, measurements clamped and text cut, never cast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseControlFrame, parseSandboxFrame } from "../../../../main/vm/guest-frames.ts";
import { MAX_LOG_LINE_CHARS, STREAM_CHUNK_BYTES } from "../../../../main/vm/protocol.ts";

test("a result's measurements are clamped to finite, non-negative numbers", () => {
  const f = parseSandboxFrame({
    t: "result",
    id: "i",
    ok: true,
    payload: "1",
    durationMs: -5,
    maxRssKb: Infinity,
  });
  assert.deepEqual(f, { t: "result", id: "i", ok: true, payload: "1", durationMs: 0, maxRssKb: 0 });
  const g = parseSandboxFrame({
    t: "result",
    id: "i",
    ok: true,
    payload: "1",
    durationMs: 1e300,
    maxRssKb: "x",
  });
  assert.equal(g?.t === "result" && g.durationMs, 2 ** 48);
  assert.equal(g?.t === "result" && g.maxRssKb, 0);
});

test("a log line longer than the host keeps is cut to the cap", () => {
  const f = parseSandboxFrame({
    t: "log",
    id: "i",
    stream: "stdout",
    line: "z".repeat(MAX_LOG_LINE_CHARS + 10),
  });
  assert.equal(f?.t === "log" && f.line.length, MAX_LOG_LINE_CHARS);
});

test("frames no runtime sends are refused", () => {
  for (const bad of [
    null,
    "result",
    { t: "result", id: "i", ok: true, payload: 42, durationMs: 1, maxRssKb: 1 },
    { t: "result", id: "i", ok: false, error: "boom", durationMs: 1, maxRssKb: 1 },
    { t: "log", id: "i", stream: "stdin", line: "x" },
    { t: "invoke", id: "i", requestId: "r", payload: "{}", timeoutMs: 1 },
  ]) {
    assert.equal(parseSandboxFrame(bad), null, JSON.stringify(bad));
  }
});

test("a handler's error keeps its shape, with its trace bounded", () => {
  const f = parseSandboxFrame({
    t: "result",
    id: "i",
    ok: false,
    error: { errorType: "E", errorMessage: "m", trace: [...Array(500).fill("at x"), 7] },
    durationMs: 1,
    maxRssKb: 1,
  });
  assert.ok(f?.t === "result" && !f.ok);
  assert.equal(f.error.trace.length, 100);
});

test("control frames are checked the same way", () => {
  assert.deepEqual(parseControlFrame({ t: "pong", id: 1, uptimeMs: -1 }), { t: "pong", id: 1, uptimeMs: 0 });
  assert.equal(parseControlFrame({ t: "pong", id: "1", uptimeMs: 1 }), null);
  assert.equal(parseControlFrame({ t: "sandbox-up", slot: -1, initMs: 1, pid: 2 }), null);
  assert.equal(parseControlFrame({ t: "nonsense" }), null);
  const out = parseControlFrame({ t: "sandbox-output", slot: 1, stream: "stderr", line: "q".repeat(1e6) });
  assert.equal(out?.t === "sandbox-output" && out.line.length, MAX_LOG_LINE_CHARS);
});

test("a chunk of a streamed response: base64 of at most one chunk's bytes, with a content type fit for HTTP", () => {
  const data = Buffer.alloc(STREAM_CHUNK_BYTES, 7).toString("base64");
  assert.deepEqual(parseSandboxFrame({ t: "chunk", id: "i", data, contentType: "text/plain" }), {
    t: "chunk",
    id: "i",
    data,
    contentType: "text/plain",
  });
  assert.deepEqual(parseSandboxFrame({ t: "chunk", id: "i", data: "" }), { t: "chunk", id: "i", data: "" });
  for (const bad of [
    { t: "chunk", id: "i", data: Buffer.alloc(STREAM_CHUNK_BYTES + 3).toString("base64") },
    { t: "chunk", id: "i", data: "not base64!" },
    { t: "chunk", id: "i", data: 42 },
    { t: "chunk", id: "i", data: "", contentType: "text/plain\r\nx-injected: 1" },
    { t: "chunk", id: "i", data: "", contentType: "t".repeat(257) },
    { t: "chunk", id: "i", data: "", contentType: "" },
    { t: "chunk", id: "x".repeat(129), data: "" },
  ]) {
    assert.equal(parseSandboxFrame(bad), null, JSON.stringify(bad).slice(0, 120));
  }
});

test("a result says whether it streamed, and with what content type; a plain result stays as it was", () => {
  const streamed = parseSandboxFrame({
    t: "result",
    id: "i",
    ok: true,
    payload: "",
    streamed: true,
    contentType: "text/event-stream",
    durationMs: 1,
    maxRssKb: 1,
  });
  assert.ok(streamed?.t === "result" && streamed.ok);
  assert.equal(streamed.streamed, true);
  assert.equal(streamed.contentType, "text/event-stream");
  const plain = parseSandboxFrame({
    t: "result",
    id: "i",
    ok: true,
    payload: "1",
    durationMs: 1,
    maxRssKb: 1,
  });
  assert.deepEqual(Object.keys(plain!).sort(), ["durationMs", "id", "maxRssKb", "ok", "payload", "t"]);
  assert.equal(
    parseSandboxFrame({
      t: "result",
      id: "i",
      ok: true,
      payload: "",
      streamed: "yes",
      durationMs: 1,
      maxRssKb: 1,
    }),
    null,
  );
});
