// What every call to an owner's shared listener shares: its timeouts, reading its answer within bounds, and the
// owner's refusals turned into errors that say which side refused.
import type { ClientRequest, IncomingMessage } from "node:http";
import { z } from "zod";
import { RemoteInvokeError } from "./remote-error.ts";

export const DEFAULT_IDLE_TIMEOUT_MS = 960_000;
/** A task runs 900 s at most; a minute more covers a cold start and the queue before it on the owner's side. */
export const DEFAULT_TOTAL_TIMEOUT_MS = 960_000;
/** Lambda's synchronous response limit is 6 MB; an answer far past it is not Hearth's. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

/** A Hearth error as the owner's listener sends it. */
export const errorSchema = z.object({
  code: z.string().regex(CODE_PATTERN),
  message: z.string(),
  field: z.string().optional(),
});

export async function readBody(res: IncomingMessage, origin: string): Promise<string> {
  return (await readBytes(res, origin)).toString("utf8");
}

/** The whole answer, failing the call once it grows past what any Hearth answer carries. */
export async function readBytes(res: IncomingMessage, origin: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      res.destroy();
      throw new RemoteInvokeError(
        "REMOTE_PROTOCOL_ERROR",
        `${origin} answered more than ${MAX_ANSWER_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function protocolError(origin: string, what: string): RemoteInvokeError {
  return new RemoteInvokeError(
    "REMOTE_PROTOCOL_ERROR",
    `${origin} did not answer as a Hearth shared listener: ${what}`,
  );
}

/** The owner's refusal, its code passed through and its message marked as the owner's. */
export function refusal(
  origin: string,
  error: z.infer<typeof errorSchema>,
  status?: number,
  retry?: string,
): RemoteInvokeError {
  const detail = error.message.replace(/^[A-Z][A-Z0-9_]*: /, "");
  const retryAfterS = retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined;
  return new RemoteInvokeError(error.code, `the owner's Hearth at ${origin} answered: ${detail}`, {
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  });
}

/**
 * Ends the call at `totalMs` whatever the owner keeps sending: the caller hears why first, then the connection (and
 * any answer being read on it) is destroyed.
 */
export function endAtDeadline(
  req: ClientRequest,
  origin: string,
  totalMs: number,
  reject: (err: RemoteInvokeError) => void,
): { clear: () => void } {
  const timer = setTimeout(() => {
    const err = new RemoteInvokeError(
      "REMOTE_UNREACHABLE",
      `${origin} did not finish the call within ${Math.round(totalMs / 1000)} s; it was stopped`,
    );
    reject(err);
    req.destroy(err);
  }, totalMs);
  return { clear: () => clearTimeout(timer) };
}

/** A call that goes quiet for `idleMs`, or whose connection fails, ends as REMOTE_UNREACHABLE naming the owner. */
export function failAsUnreachable(
  req: ClientRequest,
  origin: string,
  idleMs: number,
  reject: (err: RemoteInvokeError) => void,
): void {
  req.setTimeout(idleMs, () =>
    req.destroy(
      new RemoteInvokeError(
        "REMOTE_UNREACHABLE",
        `${origin} sent nothing for ${Math.round(idleMs / 1000)} s`,
      ),
    ),
  );
  req.on("error", (err: NodeJS.ErrnoException) =>
    reject(
      err instanceof RemoteInvokeError
        ? err
        : new RemoteInvokeError(
            "REMOTE_UNREACHABLE",
            `the connection to ${origin} failed during the call (${err.code ?? err.message})`,
          ),
    ),
  );
}
