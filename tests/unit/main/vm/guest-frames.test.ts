// What the host accepts from a guest: frames are checked, measurements clamped and text cut, never cast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseControlFrame, parseSandboxFrame } from "../../../../main/vm/guest-frames.ts";
import { MAX_LOG_LINE_CHARS } from "../../../../main/vm/protocol.ts";

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
