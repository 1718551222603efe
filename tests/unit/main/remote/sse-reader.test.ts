// Server-sent events from a byte stream: events split anywhere, any line ending, comments skipped, sizes bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readServerSentEvents } from "../../../../main/remote/sse-reader.ts";

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

test("a CRLF that ends a chunk is one line end, and a blank line after it still ends the event", async () => {
  assert.deepEqual(await read(["data: a\r\n", "\r\n", "data: b\r", "\n\r", "\n"]), [
    { event: "message", data: "a" },
    { event: "message", data: "b" },
  ]);
  assert.deepEqual(await read(["data: a\r\n", "\n"]), [{ event: "message", data: "a" }]);
});

test("a huge event trickled in small chunks, or many events in one chunk, is read in linear time", async () => {
  // The old reader rescanned its whole buffer per chunk: 4 MiB in 16-byte chunks took minutes.
  const big = `data: ${"x".repeat(4 * 1024 * 1024)}\n\n`;
  const chunks: string[] = [];
  for (let i = 0; i < big.length; i += 16) chunks.push(big.slice(i, i + 16));
  let started = Date.now();
  const one = await read(chunks);
  assert.equal(one.length, 1);
  assert.equal(one[0]!.data.length, 4 * 1024 * 1024);
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  const many = "data: 1\n\n".repeat(200_000);
  started = Date.now();
  assert.equal((await read([many])).length, 200_000);
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
});

test("an endless line trickled in, or endless lines without a blank one, are refused at the bound", async () => {
  await assert.rejects(
    read(
      Array.from({ length: 100 }, () => "x"),
      50,
    ),
    /larger than 50 bytes/,
  );
  await assert.rejects(read(["data: 1\n".repeat(20)], 50), /larger than 50 bytes/);
  await assert.rejects(read([": keep\n".repeat(20)], 50), /larger than 50 bytes/);
});
