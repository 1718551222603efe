// Frame codec: round trips, split delivery, and recovery from garbage on the stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, FrameDecoder, frameType, MAX_FRAME_BYTES } from "../../../../main/vm/protocol.ts";

test("frames survive being delivered one byte at a time", () => {
  const frames = [
    { t: "ping", id: 1 } as const,
    { t: "log", id: "inv-1", stream: "stdout", line: "héllo ✓" } as const,
  ];
  const bytes = Buffer.concat(frames.map((f) => encodeFrame(f)));
  const dec = new FrameDecoder();
  const out: unknown[] = [];
  for (const b of bytes) out.push(...dec.push(Buffer.from([b])));
  assert.deepEqual(out, frames);
  assert.equal(dec.discarded, 0);
});

test("garbage before and between frames is skipped and counted", () => {
  const a = encodeFrame({ t: "ping", id: 7 });
  const b = encodeFrame({ t: "stats", id: 8 });
  const junk = Buffer.from("console.log from a task\nHx");
  const dec = new FrameDecoder();
  const out = dec.push(Buffer.concat([junk, a, junk, b]));
  assert.deepEqual(out, [
    { t: "ping", id: 7 },
    { t: "stats", id: 8 },
  ]);
  assert.equal(dec.discarded, junk.length * 2);
});

test("a header announcing an absurd length does not make the decoder wait forever", () => {
  const bad = Buffer.from([0x48, 0x46, 1, 0, 0xff, 0xff, 0xff, 0xff]);
  const dec = new FrameDecoder();
  const out = dec.push(Buffer.concat([bad, encodeFrame({ t: "ping", id: 1 })]));
  assert.deepEqual(out, [{ t: "ping", id: 1 }]);
  assert.ok(MAX_FRAME_BYTES < 0xffffffff);
});

test("reset drops a half-received frame", () => {
  const f = encodeFrame({ t: "ping", id: 3 });
  const dec = new FrameDecoder();
  assert.deepEqual(dec.push(f.subarray(0, 5)), []);
  dec.reset();
  assert.deepEqual(dec.push(encodeFrame({ t: "ping", id: 4 })), [{ t: "ping", id: 4 }]);
});

test("frameType names only objects with a string tag", () => {
  assert.equal(frameType({ t: "ready" }), "ready");
  assert.equal(frameType({ t: 3 }), null);
  assert.equal(frameType(null), null);
  assert.equal(frameType("ready"), null);
});

test("a large frame in many small chunks is reassembled in linear time", () => {
  const line = "x".repeat(24 * 1024 * 1024);
  const bytes = encodeFrame({ t: "log", id: "inv-1", stream: "stdout", line });
  const dec = new FrameDecoder();
  const out: unknown[] = [];
  const started = performance.now();
  // 64 KiB chunks, as a unix socket delivers them: joining per chunk took seconds here.
  for (let at = 0; at < bytes.length; at += 65536) out.push(...dec.push(bytes.subarray(at, at + 65536)));
  const ms = performance.now() - started;
  assert.equal(out.length, 1);
  assert.equal((out[0] as { line: string }).line.length, line.length);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});

test("a header declaring more than the channel's limit is refused at once and the stream goes on", () => {
  const refused: number[] = [];
  const dec = new FrameDecoder({ maxFrameBytes: 1024, onOversize: (n) => refused.push(n) });
  const big = encodeFrame({ t: "log", id: "a", stream: "stdout", line: "y".repeat(4096) });
  // Only the header and a little of the body: the decoder must not wait for (or keep) the rest.
  assert.deepEqual(dec.push(big.subarray(0, 100)), []);
  assert.deepEqual(refused, [big.length - 8]);
  const out = dec.push(Buffer.concat([big.subarray(100), encodeFrame({ t: "ping", id: 2 })]));
  assert.deepEqual(out, [{ t: "ping", id: 2 }]);
});

test("a header split across chunks is still read", () => {
  const bytes = encodeFrame({ t: "ping", id: 3 });
  const dec = new FrameDecoder();
  assert.deepEqual(dec.push(bytes.subarray(0, 3)), []);
  assert.deepEqual(dec.push(bytes.subarray(3, 5)), []);
  assert.deepEqual(dec.push(bytes.subarray(5)), [{ t: "ping", id: 3 }]);
});
