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
