// Splits a streamed response written through awslambda.HttpResponseStream into its HTTP prelude and its body.
//
// Such a response has the content type application/vnd.awslambda.http-integration-response and starts with a JSON
// prelude ({ statusCode, headers, cookies }) ended by eight NUL bytes; everything after is the body, passed on as
// it streams. This is how a function URL reads a streaming handler's answer.
import { z } from "zod";
import { HTTP_INTEGRATION_CONTENT_TYPE, PRELUDE_DELIMITER_BYTES } from "../vm/protocol.ts";

export { HTTP_INTEGRATION_CONTENT_TYPE };

/** Longest prelude read before giving up on finding its end: headers and cookies, not a body. */
export const MAX_PRELUDE_BYTES = 64 * 1024;

export interface HttpIntegrationPrelude {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

/** Whether a streamed response's content type says it starts with a prelude. */
export function isHttpIntegrationResponse(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === HTTP_INTEGRATION_CONTENT_TYPE;
}

/** The handler's prelude was not one a function URL can answer with. */
export class PreludeError extends Error {
  readonly code = "INVALID_PRELUDE";
}

const headerValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const preludeSchema = z.object({
  statusCode: z.number().int().min(100).max(599).optional().default(200),
  headers: z.record(z.string(), headerValue).optional().default({}),
  cookies: z.array(z.string()).optional().default([]),
});

/** Reads a prelude's JSON text (what comes before the NUL bytes), with Lambda's defaults for what it leaves out. */
export function parsePrelude(text: string): HttpIntegrationPrelude {
  let value: unknown;
  try {
    value = text.trim() === "" ? {} : JSON.parse(text);
  } catch {
    throw new PreludeError("the response's HTTP prelude is not JSON");
  }
  const r = preludeSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new PreludeError(
      `the response's HTTP prelude is not valid${at}: ${issue?.message ?? "wrong shape"}`,
    );
  }
  return r.data;
}

/**
 * Feed it the response's chunks as they arrive: the prelude is known once its end has arrived, and every byte
 * after it comes back from `push` as body, at once. Throws PreludeError for a prelude that is not JSON of the
 * right shape or runs past MAX_PRELUDE_BYTES, and from `end` when the response ended inside its prelude.
 */
export class PreludeSplitter {
  prelude: HttpIntegrationPrelude | null = null;
  private head: Buffer[] = [];
  private headBytes = 0;
  /** How many NUL bytes in a row end what has been read of the prelude so far. */
  private zeros = 0;

  /** The body bytes among `chunk` (an empty buffer while the prelude is still arriving). */
  push(chunk: Buffer): Buffer {
    if (this.prelude) return chunk;
    for (let i = 0; i < chunk.length; i++) {
      this.zeros = chunk[i] === 0 ? this.zeros + 1 : 0;
      if (this.zeros === PRELUDE_DELIMITER_BYTES) {
        this.take(chunk.subarray(0, i + 1));
        const all = Buffer.concat(this.head, this.headBytes);
        this.head = [];
        this.prelude = parsePrelude(all.subarray(0, all.length - PRELUDE_DELIMITER_BYTES).toString("utf8"));
        return chunk.subarray(i + 1);
      }
    }
    this.take(chunk);
    return Buffer.alloc(0);
  }

  /** The response ended: its prelude must have been complete. */
  end(): HttpIntegrationPrelude {
    if (!this.prelude) throw new PreludeError("the response ended before its HTTP prelude did");
    return this.prelude;
  }

  private take(bytes: Buffer): void {
    this.headBytes += bytes.length;
    if (this.headBytes > MAX_PRELUDE_BYTES + PRELUDE_DELIMITER_BYTES) {
      throw new PreludeError(`the response's HTTP prelude is longer than ${MAX_PRELUDE_BYTES} bytes`);
    }
    this.head.push(bytes);
  }
}
