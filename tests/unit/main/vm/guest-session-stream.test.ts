// A streaming handler's chunks on the host: passed on as they come to a caller that takes them, joined for one that
// does not, and the sandbox's port held while the taker is behind.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { GuestSession, type ResponseChunk } from "../../../../main/vm/guest-session.ts";
import {
  CONTROL_PORT,
  MAX_RESULT_BYTES,
  MAX_STREAMED_RESPONSE_BYTES,
  STREAM_CHUNK_BYTES,
  sandboxPortName,
  type SandboxSpec,
} from "../../../../main/vm/protocol.ts";
import { FakeDriver, type FakeDriverOptions } from "../../../helpers/fake-driver.ts";

const SPEC: SandboxSpec = {
  runtime: "nodejs",
  handler: "index.handler",
  functionName: "streamer",
  functionVersion: "7",
  memoryMb: 128,
  timeoutMs: 5000,
  env: {},
};

async function sessionWith(t: TestContext, o: FakeDriverOptions): Promise<GuestSession> {
  const driver = new FakeDriver(o);
  const name = await driver.create(
    `<domain><name>stream-test</name><target type='virtio' name='${CONTROL_PORT}'/><target type='virtio' name='${sandboxPortName(1)}'/></domain>`,
  );
  const session = new GuestSession(await driver.channelSockets(name));
  t.after(async () => {
    session.close();
    await driver.close();
  });
  await session.connect(2000);
  await session.load(1, SPEC, Buffer.from("zip"), "0".repeat(64));
  return session;
}

test("a caller with onChunk gets each chunk with its content type and version as it comes, then an empty payload", async (t) => {
  const session = await sessionWith(t, { invokeChunks: ["one ", "two ", "three"], chunkDelayMs: 30 });
  const got: (ResponseChunk & { at: number })[] = [];
  const t0 = performance.now();
  const outcome = await session.invoke(1, "{}", {
    onChunk: (c) => void got.push({ ...c, at: performance.now() - t0 }),
  });
  const doneAt = performance.now() - t0;
  assert.deepEqual(
    got.map((c) => [c.data.toString(), c.contentType, c.functionVersion]),
    [
      ["one ", "text/plain", "7"],
      ["two ", "text/plain", "7"],
      ["three", "text/plain", "7"],
    ],
  );
  assert.ok(got[0]!.at < doneAt - 40, `first chunk at ${got[0]!.at} ms, done at ${doneAt} ms`);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.payload, "");
  assert.deepEqual(outcome.streamed, { contentType: "text/plain", bytes: 13 });
  assert.equal(outcome.body, undefined);
});

test("a caller without onChunk gets the chunks joined as its payload, as Lambda's Invoke does", async (t) => {
  const session = await sessionWith(t, { invokeChunks: ['{"a":', "1}"] });
  const outcome = await session.invoke(1, "{}");
  assert.equal(outcome.ok, true);
  assert.equal(outcome.payload, '{"a":1}');
  assert.deepEqual(outcome.body, Buffer.from('{"a":1}'));
  assert.deepEqual(outcome.streamed, { contentType: "text/plain", bytes: 7 });
});

test("a handler that does not stream answers as before, with nothing about streams", async (t) => {
  const session = await sessionWith(t, {});
  const outcome = await session.invoke(1, '{"x":1}', { onChunk: () => assert.fail("no chunk expected") });
  assert.equal(outcome.ok, true);
  assert.equal(JSON.parse(outcome.payload!).got, '{"x":1}');
  assert.equal("streamed" in outcome, false);
  assert.equal("body" in outcome, false);
});

test("while onChunk is still taking a chunk the port is held: nothing after it arrives until it is taken", async (t) => {
  const session = await sessionWith(t, { invokeChunks: ["a", "b", "c"], chunkDelayMs: 10 });
  const seen: string[] = [];
  const t0 = performance.now();
  const outcome = await session.invoke(1, "{}", {
    onChunk: (c) => {
      seen.push(c.data.toString());
      if (seen.length === 1) return new Promise((r) => setTimeout(r, 300));
    },
  });
  const took = performance.now() - t0;
  assert.deepEqual(seen, ["a", "b", "c"]);
  assert.equal(outcome.ok, true);
  assert.ok(took >= 290, `the result came ${took.toFixed(0)} ms in, before the first chunk was taken`);
});

test("joined for a caller without onChunk, a response past Invoke's 6 MB fails as Lambda's does", async (t) => {
  const piece = "a".repeat(STREAM_CHUNK_BYTES);
  const count = Math.ceil(MAX_RESULT_BYTES / STREAM_CHUNK_BYTES) + 1;
  const session = await sessionWith(t, { invokeChunks: Array<string>(count).fill(piece) });
  const joined = await session.invoke(1, "{}");
  assert.equal(joined.ok, false);
  assert.equal(joined.error?.errorType, "Function.ResponseSizeTooLarge");
  assert.equal(joined.payload, undefined);
  // A caller taking the chunks is not bound by Invoke's limit.
  let taken = 0;
  const streamed = await session.invoke(1, "{}", { onChunk: (c) => void (taken += c.data.length) });
  assert.equal(streamed.ok, true);
  assert.equal(taken, count * STREAM_CHUNK_BYTES);
});

test("chunks past the 20 MiB a runtime may stream (task code writing frames itself) fail the call", async (t) => {
  const piece = "a".repeat(STREAM_CHUNK_BYTES);
  const count = MAX_STREAMED_RESPONSE_BYTES / STREAM_CHUNK_BYTES + 1;
  const session = await sessionWith(t, { invokeChunks: Array<string>(count).fill(piece) });
  let taken = 0;
  const outcome = await session.invoke(1, "{}", { onChunk: (c) => void (taken += c.data.length) });
  assert.equal(outcome.ok, false);
  assert.equal(outcome.error?.errorType, "Function.ResponseSizeTooLarge");
  assert.equal(taken, MAX_STREAMED_RESPONSE_BYTES);
});
