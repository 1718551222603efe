// Invokes a remote alias on its owner's shared listener, over TLS pinned to the certificate its share link named:
// the certificate's SHA-256 is checked before a single byte of the request (and so of the token) is written.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { z } from "zod";
import type { InvocationEvent, InvocationResult } from "../contract.ts";
import { hostOf, parseEndpoint } from "./pinned-tls.ts";
import type { RemoteConnections } from "./remote-connections.ts";
import { RemoteInvokeError } from "./remote-error.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TOTAL_TIMEOUT_MS,
  endAtDeadline,
  errorSchema,
  failAsUnreachable,
  protocolError,
  readBody,
  refusal,
} from "./remote-exchange.ts";
import { readServerSentEvents } from "./sse-reader.ts";

/** Where a remote alias leads and what it carries: the opened token never leaves this module but on the wire. */
export interface RemoteTarget {
  /** `https://host:port`, optionally with a path prefix. */
  endpoint: string;
  /** `sha256:<64 lowercase hex>`. */
  fingerprint: string;
  token: string;
}

export interface RemoteInvokeOptions {
  /** The event, as JSON text. */
  payload: string;
  /**
   * Given: the call streams, and `start` and each `log` event reach this as they arrive (the owner's live logs of
   * this invocation); the result is still what the call resolves to, and an error event is what it throws.
   */
  onEvent?: (event: Extract<InvocationEvent, { type: "start" | "log" }>) => void;
  connectTimeoutMs?: number;
  /** How long the call may stay silent; a sync call is silent while the task runs (900 s at most). */
  idleTimeoutMs?: number;
  /** How long the whole call may take, however busy the owner keeps it (keep-alives reset only the idle timer). */
  totalTimeoutMs?: number;
  /** Bytes one streamed answer may carry before the call fails. */
  maxStreamBytes?: number;
  /** Events one streamed answer may carry to `onEvent`; later log lines are not passed on (one line says so). */
  maxStreamEvents?: number;
}

/** Far more than the owner's log of one call shows (it drops lines past 1 MiB queued for a slow reader). */
export const MAX_STREAM_BYTES = 64 * 1024 * 1024;
export const MAX_STREAM_EVENTS = 100_000;

const invocationResultSchema = z.object({
  requestId: z.string(),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z
    .object({
      errorType: z.string(),
      errorMessage: z.string(),
      trace: z.array(z.string()).optional(),
    })
    .optional(),
  version: z.string(),
  servedVersion: z.string(),
  durationMs: z.number(),
  maxMemoryUsedMb: z.number(),
  coldStart: z.boolean(),
  initDurationMs: z.number().optional(),
});

const eventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("start"), requestId: z.string() }),
  z.object({
    type: z.literal("log"),
    t: z.string(),
    stream: z.enum(["stdout", "stderr"]),
    line: z.string(),
  }),
  z.object({ type: z.literal("result"), result: invocationResultSchema }),
  z.object({ type: z.literal("error"), error: errorSchema }),
]);

async function failedAnswer(res: IncomingMessage, origin: string): Promise<RemoteInvokeError> {
  const status = res.statusCode ?? 0;
  const text = await readBody(res, origin);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return protocolError(origin, `HTTP ${status} with a body that is not JSON`);
  }
  const parsed = z.object({ error: errorSchema }).safeParse(body);
  if (!parsed.success) return protocolError(origin, `HTTP ${status} without a Hearth error body`);
  const retry = res.headers["retry-after"];
  return refusal(origin, parsed.data.error, status, typeof retry === "string" ? retry : undefined);
}

async function syncAnswer(res: IncomingMessage, origin: string): Promise<InvocationResult> {
  const text = await readBody(res, origin);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw protocolError(origin, "the result is not JSON");
  }
  const parsed = invocationResultSchema.safeParse(body);
  if (!parsed.success) throw protocolError(origin, "the answer is not an invocation result");
  return parsed.data as InvocationResult;
}

/** The body's chunks, failing the call once they add up past `max` bytes. */
async function* capped(res: IncomingMessage, origin: string, max: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      throw new RemoteInvokeError(
        "REMOTE_PROTOCOL_ERROR",
        `${origin} streamed more than ${max} bytes in one call; the call was stopped`,
      );
    }
    yield chunk;
  }
}

async function streamAnswer(
  res: IncomingMessage,
  origin: string,
  onEvent: NonNullable<RemoteInvokeOptions["onEvent"]>,
  o: RemoteInvokeOptions,
): Promise<InvocationResult> {
  const type = String(res.headers["content-type"] ?? "");
  if (!type.startsWith("text/event-stream")) throw protocolError(origin, `a stream of type "${type}"`);
  const maxEvents = o.maxStreamEvents ?? MAX_STREAM_EVENTS;
  let passed = 0;
  let events: AsyncGenerator<{ event: string; data: string }>;
  try {
    events = readServerSentEvents(capped(res, origin, o.maxStreamBytes ?? MAX_STREAM_BYTES));
    for await (const e of events) {
      let data: unknown;
      try {
        data = JSON.parse(e.data);
      } catch {
        throw protocolError(origin, `an event "${e.event.slice(0, 32)}" that is not JSON`);
      }
      const parsed = eventSchema.safeParse(data);
      if (!parsed.success)
        throw protocolError(origin, `an event "${e.event.slice(0, 32)}" of an unknown shape`);
      const event = parsed.data;
      if (event.type === "result") {
        res.destroy();
        return event.result as InvocationResult;
      }
      if (event.type === "error") {
        res.destroy();
        throw refusal(origin, event.error);
      }
      // Past the cap the call still waits for its result (the byte cap and the deadline bound that wait), but
      // nothing more reaches this side's listeners.
      if (passed < maxEvents) onEvent(event);
      else if (passed === maxEvents) {
        onEvent({
          type: "log",
          t: new Date().toISOString(),
          stream: "stderr",
          line: `[hearth] ${origin} sent more than ${maxEvents} events: further log lines are not shown`,
        });
      }
      passed++;
    }
  } catch (err) {
    if (err instanceof RemoteInvokeError) throw err;
    throw new RemoteInvokeError(
      "REMOTE_UNREACHABLE",
      `the stream from ${origin} broke off: ${(err as Error).message}`,
    );
  }
  throw new RemoteInvokeError(
    "REMOTE_UNREACHABLE",
    `the stream from ${origin} ended before the invocation's result`,
  );
}

/**
 * Invokes the alias a remote token names on the owner's shared listener: `POST <endpoint>/v1/invoke` with the
 * token as a Bearer, sync or (with `onEvent`) streamed, on a connection of `connections` (kept, or new and verified
 * first).
 */
export async function invokeRemote(
  connections: RemoteConnections,
  target: RemoteTarget,
  o: RemoteInvokeOptions,
): Promise<InvocationResult> {
  const url = parseEndpoint(target.endpoint);
  const origin = url.origin;
  const agent = connections.agentFor(target.endpoint, target.fingerprint, o.connectTimeoutMs);
  const mode = o.onEvent ? "stream" : "sync";
  const { host, port } = hostOf(url);
  const body = Buffer.from(o.payload, "utf8");
  let clearDeadline = (): void => undefined;
  return new Promise<InvocationResult>((resolve, reject) => {
    const req = httpRequest({
      host,
      port,
      method: "POST",
      path: `${url.pathname.replace(/\/+$/, "")}/v1/invoke?mode=${mode}`,
      headers: {
        authorization: `Bearer ${target.token}`,
        "content-type": "application/json",
        "content-length": body.length,
        accept: mode === "stream" ? "text/event-stream" : "application/json",
      },
      // Its sockets are only ever ones whose certificate matched the pin.
      agent,
    });
    failAsUnreachable(req, origin, o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, reject);
    clearDeadline = endAtDeadline(req, origin, o.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, reject).clear;
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const answer =
        status >= 400
          ? failedAnswer(res, origin).then((err) => Promise.reject(err))
          : status !== 200
            ? Promise.reject(protocolError(origin, `HTTP ${status}`))
            : o.onEvent
              ? streamAnswer(res, origin, o.onEvent, o)
              : syncAnswer(res, origin);
      // A read answer frees the socket for the next call; a stream ends with its socket destroyed.
      answer.then(resolve, (err: unknown) => {
        res.destroy();
        reject(err);
      });
    });
    req.end(body);
  }).finally(() => clearDeadline());
}
