// Server-sent events from a byte stream: events split anywhere, any line ending, comments skipped, sizes bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readServerSentEvents } from "../../../../main/invoke/sse-reader.ts";

async function read(chunks: (string | Buffer)[], max?: number) {
  async function* body() {
    for (const c of chunks) yield c;
  }
  const out: { event: string; data: string }[] = [];
  for await (const e of readServerSentEvents(body(), max)) out.push(e);
  return out;
}

test("events split at any byte, with LF, CRLF or CR line ends, read whole; comments and empty ones are skipped", async () => {
  const text =
    'event: log\r\ndata: {"a":1}\r\n\r\n: keep-alive\n\nevent: start\rdata: x\rdata: y\r\rdata: plain\n\n';
  const bytes = Buffer.from(text);
  const oneByOne = [...bytes].map((b) => Buffer.from([b]));
  const expected = [
    { event: "log", data: '{"a":1}' },
    { event: "start", data: "x\ny" },
    { event: "message", data: "plain" },
  ];
  assert.deepEqual(await read([text]), expected);
  assert.deepEqual(await read(oneByOne), expected);
  // A multi-byte character split between chunks survives.
  const e = Buffer.from("data: é\n\n");
  assert.deepEqual(await read([e.subarray(0, 7), e.subarray(7)]), [{ event: "message", data: "é" }]);
});

test("an unfinished last event is dropped, and an endless one is refused", async () => {
  assert.deepEqual(await read(["data: a\n\ndata: cut"]), [{ event: "message", data: "a" }]);
  await assert.rejects(read(["data: ", "x".repeat(100)], 50), /larger than 50 bytes/);
});
