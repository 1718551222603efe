// The Node.js runtime's response streaming: what a streamified handler's writes become, piece by piece.
import { test } from "node:test";
import assert from "node:assert/strict";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import {
  HttpResponseStream,
  ResponseStream,
  installAwsLambdaGlobal,
  streamifyResponse,
  streamingOf,
} from "../../../vm-images/agent/response-stream.ts";
import {
  HTTP_INTEGRATION_CONTENT_TYPE,
  MAX_STREAMED_RESPONSE_BYTES,
  STREAM_CHUNK_BYTES,
} from "../../../main/vm/protocol.ts";

/** A stream over a sink that records what would go to the host. */
function recorded(opts: { slowMs?: number } = {}) {
  const sent: { data: Buffer; contentType: string | undefined }[] = [];
  const stream = new ResponseStream((data, contentType) => {
    sent.push({ data: Buffer.from(data), contentType });
    if (opts.slowMs) return new Promise((r) => setTimeout(r, opts.slowMs));
  });
  return { stream, sent, bytes: () => Buffer.concat(sent.map((s) => s.data)) };
}

const ended = (s: ResponseStream) => new Promise<void>((r) => s.end(r));

test("writes go out in order, the first naming the content type; big writes are cut to the chunk size", async () => {
  const { stream, sent, bytes } = recorded();
  stream.setContentType("text/plain; charset=utf-8");
  stream.write("hello ");
  stream.write(Buffer.alloc(STREAM_CHUNK_BYTES * 2 + 10, 0x61));
  await ended(stream);
  assert.equal(sent[0]!.contentType, "text/plain; charset=utf-8");
  assert.ok(sent.slice(1).every((s) => s.contentType === undefined));
  assert.ok(sent.every((s) => s.data.length <= STREAM_CHUNK_BYTES));
  assert.deepEqual(
    sent.map((s) => s.data.length),
    [6, STREAM_CHUNK_BYTES, STREAM_CHUNK_BYTES, 10],
  );
  assert.equal(bytes().toString().slice(0, 7), "hello a");
  assert.equal(stream.bytes, 6 + STREAM_CHUNK_BYTES * 2 + 10);
});

test("without a content type it is application/octet-stream; none can be set after the first write", async () => {
  const { stream, sent } = recorded();
  stream.write("x");
  assert.throws(() => stream.setContentType("text/plain"), /before the first write/);
  await ended(stream);
  assert.equal(sent[0]!.contentType, "application/octet-stream");
  assert.throws(() => new ResponseStream(() => {}).setContentType("bad\nvalue"), TypeError);
  assert.throws(() => new ResponseStream(() => {}).setContentType("x".repeat(300)), TypeError);
});

test("HttpResponseStream.from: its content type, then the JSON prelude, eight NUL bytes and the body", async () => {
  const { stream, sent, bytes } = recorded();
  const prelude = { statusCode: 201, headers: { "x-a": "1" }, cookies: ["c=1"] };
  const http = HttpResponseStream.from(stream, prelude);
  assert.equal(http, stream);
  http.write("body ");
  http.write("more");
  await ended(http);
  assert.equal(sent[0]!.contentType, HTTP_INTEGRATION_CONTENT_TYPE);
  const json = Buffer.from(JSON.stringify(prelude));
  assert.deepEqual(bytes(), Buffer.concat([json, Buffer.alloc(8), Buffer.from("body more")]));
});

test("a prelude with no body still goes out when the stream ends", async () => {
  const { stream, bytes } = recorded();
  HttpResponseStream.from(stream, { statusCode: 204 });
  await ended(stream);
  assert.deepEqual(bytes(), Buffer.concat([Buffer.from('{"statusCode":204}'), Buffer.alloc(8)]));
});

test("a slow sink holds the writer back: write() reports a full buffer and drain follows", async () => {
  const { stream, sent } = recorded({ slowMs: 20 });
  let full = false;
  for (let i = 0; i < 40 && !full; i++) full = !stream.write(Buffer.alloc(1024));
  assert.equal(full, true);
  assert.ok(sent.length < 40);
  await new Promise((r) => stream.once("drain", r));
  await ended(stream);
});

test("pipeline into the stream works, as handlers commonly write it", async () => {
  const { stream, bytes } = recorded();
  await pipeline(Readable.from(["a", "b", "c"]), stream);
  assert.equal(bytes().toString(), "abc");
});

test("past the streamed-response limit nothing more is sent and the stream says it was too large", async () => {
  const { stream } = recorded();
  const mib = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 21; i++) stream.write(mib);
  await ended(stream);
  assert.equal(stream.tooLarge, true);
  assert.ok(stream.bytes <= MAX_STREAMED_RESPONSE_BYTES);
});

test("streamifyResponse marks a handler with AWS's symbols; the global carries it and HttpResponseStream", () => {
  const plain = async () => "x";
  assert.equal(streamingOf(plain), null);
  const h = streamifyResponse(async () => {}, { highWaterMark: 4096 });
  assert.deepEqual(streamingOf(h), { highWaterMark: 4096 });
  assert.equal(
    (h as unknown as Record<symbol, unknown>)[Symbol.for("aws.lambda.runtime.handler.streaming")],
    "response",
  );
  installAwsLambdaGlobal();
  const g = (
    globalThis as unknown as { awslambda: { streamifyResponse: unknown; HttpResponseStream: unknown } }
  ).awslambda;
  assert.equal(g.streamifyResponse, streamifyResponse);
  assert.equal(g.HttpResponseStream, HttpResponseStream);
});
