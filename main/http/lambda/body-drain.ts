// Reading and discarding the rest of a refused request body, so the answer reaches a client that is still sending
// and the connection stays usable (a client writing into a closed socket sees EPIPE, not the 413).
import type { FastifyReply, FastifyRequest } from "fastify";

/** Bytes read and thrown away at most; a larger body is cut off with the connection, as before. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 30_000;

/** Drains the request's body; true when it ended within the bounds, so the connection may be kept. */
export function drainBody(req: FastifyRequest): Promise<boolean> {
  const raw = req.raw;
  if (raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (kept: boolean) => {
      clearTimeout(timer);
      raw.off("data", onData);
      raw.off("end", onEnd);
      raw.off("error", onFail);
      raw.off("close", onFail);
      resolve(kept);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_DRAIN_BYTES) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(raw.complete);
    const timer = setTimeout(() => finish(false), MAX_DRAIN_MS);
    raw.on("data", onData);
    raw.once("end", onEnd);
    raw.once("error", onFail);
    raw.once("close", onFail);
    raw.resume();
  });
}

/** Sends `send()`'s answer after the body is drained; the connection is kept when the drain finished. */
export async function answerAfterDrain(
  req: FastifyRequest,
  reply: FastifyReply,
  send: () => FastifyReply,
): Promise<FastifyReply> {
  const kept = await drainBody(req);
  if (kept) reply.removeHeader("connection");
  else reply.header("connection", "close");
  return send();
}
