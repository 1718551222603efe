// Lambda's InvokeWithResponseStream answer: a streaming handler's response as PayloadChunk events while it is written,
// then InvokeComplete, in AWS's event-stream encoding. Lambda-invoke.ts authenticates and resolves the call first.
import type { ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import type { Host } from "../../host.ts";
import type { InvocationAnswer, SyncInvocation } from "../../invoke/invoker.ts";
import { STALL_DEADLINE_MS } from "../native/event-stream.ts";
import { lambdaErrorResponse } from "../error-status.ts";
import {
  EVENT_STREAM_CONTENT_TYPE,
  invokeCompleteEvent,
  payloadChunkEvent,
  type InvokeComplete,
} from "./event-stream-encoder.ts";
import { initFailure, logTail } from "./lambda-invoke-answer.ts";

/** A resolved-to-be Lambda call: who, what, its event as the caller sent it, and what it asked for. */
export type StreamedCall = Pick<
  SyncInvocation,
  "mode" | "caller" | "target" | "words" | "keepLines" | "clientContext"
> & {
  payload: string;
  requestId: string;
};

/** How a call ended, as InvokeComplete says it: nothing when the handler succeeded. */
function completion(a: InvocationAnswer): InvokeComplete {
  return {
    ...(a.ok
      ? {}
      : { ErrorCode: a.error?.errorType ?? "Unhandled", ErrorDetails: a.error?.errorMessage ?? "" }),
    ...(a.lines ? { LogResult: logTail(a) } : {}),
  };
}

/**
 * Runs the call and streams its answer. The status line goes out with the first chunk (or the end), so a call
 * refused before anything ran (not found, forbidden, throttled) still throws for Invoke's error answer.
 */
export async function answerWithResponseStream(
  app: Host,
  reply: FastifyReply,
  call: StreamedCall,
): Promise<void> {
  let res: ServerResponse | null = null;
  const open = (version: string): ServerResponse => {
    reply.hijack();
    const r = reply.raw;
    r.writeHead(200, {
      "content-type": EVENT_STREAM_CONTENT_TYPE,
      "x-amzn-requestid": call.requestId,
      "x-amz-executed-version": version,
      "cache-control": "no-store",
    });
    res = r;
    return r;
  };
  let answer: InvocationAnswer;
  try {
    answer = await app.invoker.invoke({
      ...call,
      onChunk: (chunk) => {
        const r = res ?? open(chunk.functionVersion);
        // A caller that went away misses the rest; the handler runs on, as Lambda's does.
        if (gone(r) || r.write(payloadChunkEvent(chunk.data))) return;
        // The reader is behind: hold the sandbox's channel until it catches up (or leaves).
        return new Promise<void>((resolve) => {
          const done = (): void => {
            r.off("drain", done);
            r.off("close", done);
            resolve();
          };
          r.on("drain", done);
          r.on("close", done);
        });
      },
    });
  } catch (err) {
    const init = initFailure(err);
    if (res === null && init === null) throw err;
    // A failed init is the function's error (Invoke answers it with 200 too); anything after the stream opened
    // can only be told in its last event. With nothing run to say which version answered, the one named is.
    const q = call.target.qualifier;
    const r = res ?? open(q !== undefined && /^\d+$/.test(q) ? q : "$LATEST");
    const error = init
      ? { ErrorCode: init.errorType, ErrorDetails: init.errorMessage }
      : {
          ErrorCode: lambdaErrorResponse(err).headers["x-amzn-errortype"]!,
          ErrorDetails: (err as Error).message,
        };
    finish(r, invokeCompleteEvent(error));
    return;
  }
  const r: ServerResponse = res ?? open(answer.servedVersion);
  // A handler that does not stream (or a remote alias's owner, who answers whole) arrives as one chunk.
  if (!answer.streamed && answer.ok && !gone(r)) {
    r.write(payloadChunkEvent(answer.body ?? Buffer.from(answer.payload ?? "null", "utf8")));
  }
  finish(r, invokeCompleteEvent(completion(answer)));
}

/** Ends the answer; a client that leaves it unread is closed after STALL_DEADLINE_MS, as event streams are. */
function finish(r: ServerResponse, last: Buffer): void {
  if (gone(r)) return;
  r.end(last);
  if (r.writableLength === 0) return;
  const stall = setTimeout(() => r.destroy(), STALL_DEADLINE_MS);
  stall.unref();
  r.once("finish", () => clearTimeout(stall));
}

function gone(r: ServerResponse): boolean {
  return r.destroyed || r.writableEnded;
}
