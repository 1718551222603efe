// AWS's event-stream binary encoding (application/vnd.amazon.eventstream), which InvokeWithResponseStream answers in.
//
// A message: total length (u32 BE), headers length (u32 BE), CRC32 of those 8 bytes, the headers, the payload, and a
// CRC32 of everything before it. A header: name length (u8), name, value type (7 = string), value length (u16 BE),
// value. AWS SDKs check both CRCs and refuse a message whose sums are wrong.
import { crc32 } from "node:zlib";

export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;
const STRING_TYPE = 7;
/** What the format can carry: a u16 string value, a u8 name, and AWS's 16 MiB bound on a message. */
const MAX_VALUE_BYTES = 0xffff;
const MAX_NAME_BYTES = 0xff;
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** One message with string headers (in the order given) and an opaque payload. */
export function encodeEventStreamMessage(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  let headersLength = 0;
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, "utf8");
    const v = Buffer.from(value, "utf8");
    if (n.length === 0 || n.length > MAX_NAME_BYTES)
      throw new RangeError(`header name "${name}" is 1-255 bytes`);
    if (v.length > MAX_VALUE_BYTES)
      throw new RangeError(`header "${name}" is longer than ${MAX_VALUE_BYTES} bytes`);
    const head = Buffer.allocUnsafe(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(STRING_TYPE, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
    headersLength += head.length + v.length;
  }
  const total = PRELUDE_BYTES + headersLength + payload.length + CRC_BYTES;
  if (total > MAX_MESSAGE_BYTES)
    throw new RangeError(`an event-stream message is at most ${MAX_MESSAGE_BYTES} bytes`);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headersLength, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  let at = PRELUDE_BYTES;
  for (const p of parts) at += p.copy(out, at);
  at += Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(out, at);
  out.writeUInt32BE(crc32(out.subarray(0, at)), at);
  return out;
}

/** One piece of a streamed response, as Lambda sends it. */
export function payloadChunkEvent(data: Uint8Array): Buffer {
  return encodeEventStreamMessage(
    {
      ":event-type": "PayloadChunk",
      ":content-type": "application/octet-stream",
      ":message-type": "event",
    },
    data,
  );
}

/** Lambda's InvokeWithResponseStreamCompleteEvent: how the invocation ended, and its log tail when asked. */
export interface InvokeComplete {
  ErrorCode?: string;
  ErrorDetails?: string;
  LogResult?: string;
}

/** The last event of an InvokeWithResponseStream answer. */
export function invokeCompleteEvent(c: InvokeComplete): Buffer {
  return encodeEventStreamMessage(
    {
      ":event-type": "InvokeComplete",
      ":content-type": "application/json",
      ":message-type": "event",
    },
    Buffer.from(JSON.stringify(c), "utf8"),
  );
}
