// Reads the DevTools protocol messages passing through an inspector tunnel, one direction at a time, for the few
// methods the host acts on (a pause, a resume, a debugger done with its set-up). The bytes pass on unchanged; this
// only looks: an HTTP exchange (the /json list) is skipped, a WebSocket's frames are unmasked and their message's
// method read from its first bytes.

/** How many bytes of a message are kept to read its method: `{"method":"Debugger.resumed"` and more fit. */
const PREFIX_BYTES = 96;

type Phase = "http" | "frames" | "other";

export class CdpWatch {
  private phase: Phase = "http";
  private head = Buffer.alloc(0);
  /** Header bytes of the frame being read. */
  private header = Buffer.alloc(0);
  /** Payload bytes still to come of the current frame. */
  private left = 0;
  private mask: Buffer | null = null;
  private maskAt = 0;
  private prefix = Buffer.alloc(0);
  /** Whether the current message is text, and whether a prefix of it is still wanted. */
  private text = false;

  /**
   * @param fromServer the direction read: the inspector's answers (an HTTP response first), or a client's requests
   * @param onMethod called with the method of each message that names one
   */
  constructor(
    private readonly fromServer: boolean,
    private readonly onMethod: (method: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.phase === "other") return;
    if (this.phase === "http") {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (this.head.length > 16 * 1024) this.phase = "other";
        return;
      }
      const head = this.head.subarray(0, end).toString("latin1");
      const rest = this.head.subarray(end + 4);
      this.head = Buffer.alloc(0);
      const upgrade = this.fromServer
        ? /^HTTP\/1\.1 101/.test(head)
        : /^GET [^\r\n]+\r\n/i.test(head) && /\r\nupgrade:\s*websocket/i.test(head);
      if (!upgrade) {
        // A plain request or answer (/json/list): the connection may carry another, so look again.
        this.push(rest);
        return;
      }
      this.phase = "frames";
      if (rest.length) this.frames(rest);
      return;
    }
    this.frames(chunk);
  }

  private frames(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left === 0 && !this.readingPayload) {
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + 1)]);
        at++;
        this.tryHeader();
        continue;
      }
      const n = Math.min(this.left, chunk.length - at);
      const part = chunk.subarray(at, at + n);
      at += n;
      this.left -= n;
      if (this.text && this.prefix.length < PREFIX_BYTES) {
        const take = part.subarray(0, PREFIX_BYTES - this.prefix.length);
        const plain = Buffer.from(take);
        if (this.mask) for (let i = 0; i < plain.length; i++) plain[i]! ^= this.mask[(this.maskAt + i) % 4]!;
        this.prefix = Buffer.concat([this.prefix, plain]);
      }
      this.maskAt += n;
      if (this.left === 0) this.endPayload();
    }
  }

  private readingPayload = false;
  private fin = false;

  /** Reads a frame's header once all its bytes are in. */
  private tryHeader(): void {
    const h = this.header;
    if (h.length < 2) return;
    const masked = (h[1]! & 0x80) !== 0;
    const len7 = h[1]! & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const need = 2 + extra + (masked ? 4 : 0);
    if (h.length < need) return;
    let len = len7;
    if (len7 === 126) len = h.readUInt16BE(2);
    else if (len7 === 127) len = Number(h.readBigUInt64BE(2));
    const opcode = h[0]! & 0x0f;
    this.fin = (h[0]! & 0x80) !== 0;
    this.mask = masked ? Buffer.from(h.subarray(2 + extra, need)) : null;
    this.maskAt = 0;
    this.header = Buffer.alloc(0);
    // A text frame starts a message; a continuation goes on with it; control frames are not messages.
    if (opcode === 1) {
      this.text = true;
      this.prefix = Buffer.alloc(0);
    } else if (opcode !== 0) {
      this.text = false;
    }
    this.left = len;
    this.readingPayload = len > 0;
    if (len === 0) this.endPayload();
  }

  private endPayload(): void {
    this.readingPayload = false;
    if (!this.fin || !this.text) return;
    const m = /^\s*\{\s*(?:"id"\s*:\s*\d+\s*,\s*)?"method"\s*:\s*"([A-Za-z.]+)"/.exec(
      this.prefix.toString("utf8"),
    );
    this.text = false;
    this.prefix = Buffer.alloc(0);
    if (m) this.onMethod(m[1]!);
  }
}
