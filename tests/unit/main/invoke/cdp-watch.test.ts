// The tunnel's reader of DevTools messages: methods are found through an HTTP upgrade, in masked and unmasked
// frames, split anywhere across chunks, in fragmented messages and after plain HTTP exchanges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CdpWatch } from "../../../../main/invoke/cdp-watch.ts";

function frame(text: string, o: { mask?: boolean; opcode?: number; fin?: boolean } = {}): Buffer {
  const payload = Buffer.from(text, "utf8");
  const len = payload.length;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (o.opcode ?? 1)];
  const maskBit = o.mask ? 0x80 : 0;
  if (len < 126) head.push(maskBit | len);
  else if (len < 65536) head.push(maskBit | 126, len >> 8, len & 0xff);
  else {
    head.push(maskBit | 127);
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(...b);
  }
  if (!o.mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

const UPGRADE_RESPONSE =
  "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n";
const UPGRADE_REQUEST =
  "GET /abc HTTP/1.1\r\nHost: 127.0.0.1:9229\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n";

function feedBytewise(w: CdpWatch, data: Buffer): void {
  for (let i = 0; i < data.length; i++) w.push(data.subarray(i, i + 1));
}

test("the inspector's pause and resume are read from its frames, however the bytes are split", () => {
  const seen: string[] = [];
  const w = new CdpWatch(true, (m) => seen.push(m));
  const big = JSON.stringify({ method: "Debugger.scriptParsed", params: { source: "x".repeat(70_000) } });
  const stream = Buffer.concat([
    Buffer.from(UPGRADE_RESPONSE),
    frame(JSON.stringify({ id: 1, result: {} })),
    frame(big),
    frame(JSON.stringify({ method: "Debugger.paused", params: { callFrames: [] } })),
    frame("", { opcode: 9 }),
    frame(JSON.stringify({ method: "Debugger.resumed", params: {} })),
  ]);
  feedBytewise(w, stream);
  assert.deepEqual(seen, ["Debugger.scriptParsed", "Debugger.paused", "Debugger.resumed"]);
  const whole: string[] = [];
  new CdpWatch(true, (m) => whole.push(m)).push(stream);
  assert.deepEqual(whole, seen);
});

test("a client's masked commands are read, ids first, fragmented or not", () => {
  const seen: string[] = [];
  const w = new CdpWatch(false, (m) => seen.push(m));
  const text = JSON.stringify({ id: 7, method: "Runtime.runIfWaitingForDebugger" });
  w.push(
    Buffer.concat([
      Buffer.from(UPGRADE_REQUEST),
      frame(JSON.stringify({ id: 1, method: "Debugger.enable" }), { mask: true }),
      frame(text.slice(0, 10), { mask: true, fin: false }),
      frame(text.slice(10), { mask: true, opcode: 0 }),
    ]),
  );
  assert.deepEqual(seen, ["Debugger.enable", "Runtime.runIfWaitingForDebugger"]);
});

test("plain HTTP exchanges (the /json list) are skipped, then an upgrade on the same connection is read", () => {
  const seen: string[] = [];
  const w = new CdpWatch(true, (m) => seen.push(m));
  const body = '[{"method":"Debugger.paused"}]';
  w.push(Buffer.from(`HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
  assert.equal(seen.length, 0);
  const other = new CdpWatch(true, (m) => seen.push(m));
  other.push(Buffer.from("garbage without an end of headers".repeat(1000)));
  other.push(Buffer.from(UPGRADE_RESPONSE));
  other.push(frame('{"method":"Debugger.paused"}'));
  assert.equal(seen.length, 0, "a stream that never was HTTP is not read");
});
