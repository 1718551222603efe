// Lambda's response streaming for Node.js handlers: the `awslambda` global, and the stream a streaming handler writes.
//
// As in AWS's runtime: `awslambda.streamifyResponse(handler)` marks a handler `(event, responseStream, context)`,
// and `awslambda.HttpResponseStream.from(stream, { statusCode, headers, cookies })` makes the stream an HTTP
// response for a function URL (a JSON prelude, eight NUL bytes, then the body).
import { Writable } from "node:stream";
import {
  DEFAULT_STREAM_CONTENT_TYPE,
  HTTP_INTEGRATION_CONTENT_TYPE,
  MAX_CONTENT_TYPE_CHARS,
  MAX_STREAMED_RESPONSE_BYTES,
  PRELUDE_DELIMITER_BYTES,
  STREAM_CHUNK_BYTES,
} from "../../main/vm/protocol.ts";

/** The symbols AWS's runtime marks a streaming handler with; code that sets them itself streams here too. */
export const HANDLER_STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
export const HANDLER_HIGH_WATER_MARK = Symbol.for("aws.lambda.runtime.handler.streaming.highWaterMark");
const STREAM_RESPONSE = "response";

/** What ends the prelude: NUL bytes, which JSON text never holds. */
const PRELUDE_DELIMITER = Buffer.alloc(PRELUDE_DELIMITER_BYTES);

type AnyHandler = (...args: never[]) => unknown;

/** A handler wrapped in streamifyResponse, with the stream's buffer size when it asked for one. */
export function streamingOf(handler: unknown): { highWaterMark?: number } | null {
  if (typeof handler !== "function") return null;
  const marked = handler as unknown as Record<symbol, unknown>;
  if (marked[HANDLER_STREAMING] !== STREAM_RESPONSE) return null;
  const hwm = marked[HANDLER_HIGH_WATER_MARK];
  return typeof hwm === "number" && Number.isInteger(hwm) && hwm > 0 ? { highWaterMark: hwm } : {};
}

/**
 * Where a stream's bytes go: one piece at a time (at most STREAM_CHUNK_BYTES), the first with the response's
 * content type. A promise returned holds the next piece back until it settles (the channel is full).
 */
export type ChunkSink = (data: Buffer, contentType: string | undefined) => void | Promise<void>;

function checkContentType(type: unknown): string {
  if (
    typeof type !== "string" ||
    type.length === 0 ||
    type.length > MAX_CONTENT_TYPE_CHARS ||
    !/^[\x20-\x7e]+$/.test(type)
  ) {
    throw new TypeError(
      `setContentType: a content type is printable ASCII of 1 to ${MAX_CONTENT_TYPE_CHARS} characters`,
    );
  }
  return type;
}

/**
 * The `responseStream` a streaming handler gets: a Writable whose bytes go to the caller as they are written. Past
 * MAX_STREAMED_RESPONSE_BYTES nothing more is sent and `tooLarge` is set: the invocation then fails, as in Lambda.
 */
export class ResponseStream extends Writable {
  private type = DEFAULT_STREAM_CONTENT_TYPE;
  /** A byte has gone out (or is on its way): the content type is fixed from here on. */
  private started = false;
  /** Written before the body's first byte (HttpResponseStream.from). */
  private prelude: Buffer | null = null;
  /** Bytes sent, the prelude included. */
  bytes = 0;
  tooLarge = false;

  constructor(
    private readonly sink: ChunkSink,
    opts: { highWaterMark?: number } = {},
  ) {
    super(opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {});
    // A handler need not listen for errors; a stream nobody listens to would make one fatal to the runtime.
    this.on("error", () => {});
  }

  setContentType(type: string): void {
    if (this.started) throw new Error("setContentType: the content type is set before the first write");
    this.type = checkContentType(type);
  }

  /** The response's content type: what the handler set, else application/octet-stream. */
  get contentType(): string {
    return this.type;
  }

  /** Bytes to send before the body's first byte (or alone, when the body is empty). */
  setPrelude(bytes: Buffer): void {
    if (this.started) throw new Error("HttpResponseStream.from: the stream was already written to");
    this.prelude = bytes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.deliver(chunk).then(() => callback(), callback);
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.prelude) return callback();
    this.deliver(Buffer.alloc(0)).then(() => callback(), callback);
  }

  private async deliver(data: Buffer): Promise<void> {
    if (this.prelude) {
      const prelude = this.prelude;
      this.prelude = null;
      await this.deliver(prelude);
    }
    for (let at = 0; at < data.length; at += STREAM_CHUNK_BYTES) {
      if (this.tooLarge) return;
      const piece = data.subarray(at, at + STREAM_CHUNK_BYTES);
      if (this.bytes + piece.length > MAX_STREAMED_RESPONSE_BYTES) {
        // Lambda cuts the response here and fails the invocation; the rest of the handler's writes go nowhere.
        this.tooLarge = true;
        return;
      }
      this.bytes += piece.length;
      const first = !this.started;
      this.started = true;
      await this.sink(piece, first ? this.type : undefined);
    }
  }
}

/** What a function URL's response says before its body. */
export interface HttpResponsePrelude {
  statusCode?: number;
  headers?: Record<string, string>;
  cookies?: string[];
}

export const HttpResponseStream = {
  /** Makes `stream` an HTTP response: its content type says so, and `prelude` goes out before the first byte. */
  from<S extends Writable>(stream: S, prelude: HttpResponsePrelude = {}): S {
    const bytes = Buffer.concat([Buffer.from(JSON.stringify(prelude ?? {}), "utf8"), PRELUDE_DELIMITER]);
    const target = stream as S & Partial<Pick<ResponseStream, "setContentType" | "setPrelude">>;
    target.setContentType?.(HTTP_INTEGRATION_CONTENT_TYPE);
    if (target.setPrelude) target.setPrelude(bytes);
    else stream.write(bytes);
    return stream;
  },
};

/** Marks a handler `(event, responseStream, context) => Promise` whose response streams (AWS's streamifyResponse). */
export function streamifyResponse<H extends AnyHandler>(handler: H, options?: { highWaterMark?: number }): H {
  const marked = handler as unknown as Record<symbol, unknown>;
  marked[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (options?.highWaterMark !== undefined) marked[HANDLER_HIGH_WATER_MARK] = options.highWaterMark;
  return handler;
}

/** The `awslambda` global AWS's Node.js runtime defines, for handler modules to find when they load. */
export function installAwsLambdaGlobal(): void {
  (globalThis as { awslambda?: unknown }).awslambda = { streamifyResponse, HttpResponseStream };
}
