// How the native API answers a failure: the status from the one table, the error body, Retry-After when it applies.
import type { FastifyReply } from "fastify";
import { nativeErrorResponse } from "../../operations/error-status.ts";

export function sendNativeError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = nativeErrorResponse(err);
  const retry = (err as { retryAfterS?: number } | null)?.retryAfterS;
  if (retry !== undefined) reply.header("retry-after", String(retry));
  return reply.code(status).header("content-type", "application/json").send(JSON.stringify(body));
}
