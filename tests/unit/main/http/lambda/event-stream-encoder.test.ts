// The event-stream encoder InvokeWithResponseStream answers with, read back by the AWS SDK's own decoder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventStreamCodec } from "@smithy/core/event-streams";
import {
  encodeEventStreamMessage,
  invokeCompleteEvent,
  payloadChunkEvent,
} from "../../../../../main/http/lambda/event-stream-encoder.ts";

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString("utf8"),
  (text) => new Uint8Array(Buffer.from(text, "utf8")),
);

/** CRC-32 (IEEE, reflected) bit by bit: independent of the zlib the encoder uses. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const headerValues = (headers: Record<string, { type: string; value: unknown }>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, `${v.type}:${String(v.value)}`]));

test("a PayloadChunk decodes with the SDK's codec: Lambda's three headers as strings, the bytes as they were", () => {
  const data = Buffer.from([0, 1, 2, 0xff, 0xfe, ...Buffer.from("héllo")]);
  const m = codec.decode(payloadChunkEvent(data));
  assert.deepEqual(headerValues(m.headers as never), {
    ":event-type": "string:PayloadChunk",
    ":content-type": "string:application/octet-stream",
    ":message-type": "string:event",
  });
  assert.deepEqual(Buffer.from(m.body), data);
});

test("InvokeComplete carries its JSON, and an empty payload chunk is a valid message too", () => {
  const m = codec.decode(
    invokeCompleteEvent({ ErrorCode: "Error", ErrorDetails: "boom", LogResult: "TG9n" }),
  );
  assert.equal((m.headers[":event-type"] as { value: string }).value, "InvokeComplete");
  assert.equal((m.headers[":content-type"] as { value: string }).value, "application/json");
  assert.deepEqual(JSON.parse(Buffer.from(m.body).toString("utf8")), {
    ErrorCode: "Error",
    ErrorDetails: "boom",
    LogResult: "TG9n",
  });
  assert.equal(codec.decode(payloadChunkEvent(Buffer.alloc(0))).body.length, 0);
});

test("lengths and both CRCs are where the format puts them, and equal an independent CRC-32", () => {
  const payload = Buffer.from("x".repeat(1000));
  const msg = encodeEventStreamMessage({ a: "b", ":event-type": "PayloadChunk" }, payload);
  assert.equal(msg.readUInt32BE(0), msg.length);
  const headersLength = msg.readUInt32BE(4);
  assert.equal(headersLength, 1 + 1 + 1 + 2 + 1 + (1 + 11 + 1 + 2 + 12));
  assert.equal(msg.readUInt32BE(8), crc32(msg.subarray(0, 8)));
  assert.equal(msg.readUInt32BE(msg.length - 4), crc32(msg.subarray(0, msg.length - 4)));
  assert.deepEqual(msg.subarray(12 + headersLength, msg.length - 4), payload);
  // The SDK's codec encodes the same message byte for byte.
  const sdk = codec.encode({
    headers: { a: { type: "string", value: "b" }, ":event-type": { type: "string", value: "PayloadChunk" } },
    body: payload,
  });
  assert.deepEqual(Buffer.from(sdk), msg);
});

test("a message with a wrong byte is refused by the SDK's decoder (its CRCs are checked)", () => {
  const msg = payloadChunkEvent(Buffer.from("payload"));
  const body = Buffer.from(msg);
  body.writeUInt8(body.readUInt8(body.length - 6) ^ 1, body.length - 6);
  assert.throws(() => codec.decode(body), /checksum/i);
  const prelude = Buffer.from(msg);
  prelude.writeUInt8(prelude.readUInt8(9) ^ 1, 9);
  assert.throws(() => codec.decode(prelude), /checksum/i);
});

test("values the format cannot carry are refused rather than written wrong", () => {
  assert.throws(() => encodeEventStreamMessage({ big: "v".repeat(0x10000) }, Buffer.alloc(0)), RangeError);
  assert.throws(() => encodeEventStreamMessage({ ["n".repeat(256)]: "v" }, Buffer.alloc(0)), RangeError);
});
