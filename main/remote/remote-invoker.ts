// Invokes a remote alias on its owner's shared listener, over TLS pinned to the certificate its share link named:
// the certificate's SHA-256 is checked before a single byte of the request (and so of the token) is written.
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { z } from "zod";
import type { InvocationEvent, InvocationResult } from "../contract.ts";
import { certificateFingerprint } from "../store/tls-identity.ts";
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

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 960_000;
/** A task runs 900 s at most; a minute more covers a cold start and the queue before it on the owner's side. */
export const DEFAULT_TOTAL_TIMEOUT_MS = 960_000;
/** Far more than the owner's log of one call shows (it drops lines past 1 MiB queued for a slow reader). */
export const MAX_STREAM_BYTES = 64 * 1024 * 1024;
export const MAX_STREAM_EVENTS = 100_000;
/** An idle verified connection is kept this long (the listener keeps its own for 65 s, so it closes them first). */
export const IDLE_CONNECTION_MS = 15_000;
/** Endpoints (with their pins) whose connections are kept; the least recently used goes beyond this. */
const MAX_KEPT_ENDPOINTS = 64;
/** Lambda's synchronous response limit is 6 MB; an answer far past it is not Hearth's. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * A failed remote call. `code` is this side's (REMOTE_UNREACHABLE, REMOTE_FINGERPRINT_MISMATCH,
 * REMOTE_PROTOCOL_ERROR) or the owner's own code passed through (TOKEN_INVALID for a revoked, expired or foreign
 * token, SANDBOX_TIMEOUT, …), with a message that says which side said it.
 */
export class RemoteInvokeError extends Error {
  readonly detail: string;
  declare readonly status?: number;
  declare readonly retryAfterS?: number;

  constructor(
    readonly code: string,
    detail: string,
    extra: { status?: number; retryAfterS?: number } = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "RemoteInvokeError";
    this.detail = detail;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterS !== undefined) this.retryAfterS = extra.retryAfterS;
  }
}

const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

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
});

const errorSchema = z.object({
  code: z.string().regex(CODE_PATTERN),
  message: z.string(),
  field: z.string().optional(),
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

function hostOf(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || 443) };
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RemoteInvokeError("REMOTE_UNREACHABLE", `"${endpoint.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== "https:") {
    throw new RemoteInvokeError(
      "REMOTE_UNREACHABLE",
      `${url.origin} is not https: a shared listener speaks only TLS`,
    );
  }
  return url;
}

/**
 * Opens a TLS connection to the endpoint and checks the certificate it shows against `fingerprint`. The chain is
 * not checked (the certificate is self-signed): the pin is the whole of the trust, so any other certificate is
 * refused, and the socket is closed before anything is written on it.
 */
export function connectPinned(
  endpoint: string,
  fingerprint: string,
  timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<TLSSocket> {
  const url = parseEndpoint(endpoint);
  const { host, port } = hostOf(url);
  const pinned = fingerprint.toLowerCase();
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = tlsConnect({
      host,
      port,
      // SNI carries names only; Node warns when it is handed an address.
      ...(isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
    });
    const fail = (err: RemoteInvokeError): void => {
      socket.destroy();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new RemoteInvokeError(
            "REMOTE_UNREACHABLE",
            `${url.origin} did not complete a TLS handshake within ${Math.round(timeoutMs / 1000)} s`,
          ),
        ),
      timeoutMs,
    );
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (settled) return;
      fail(
        new RemoteInvokeError(
          "REMOTE_UNREACHABLE",
          `could not reach the owner's Hearth at ${url.origin} (${err.code ?? err.message}); is sharing on there?`,
        ),
      );
    });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate()?.raw;
      const seen = raw ? certificateFingerprint(raw) : "no certificate";
      if (seen !== pinned) {
        fail(
          new RemoteInvokeError(
            "REMOTE_FINGERPRINT_MISMATCH",
            `${url.origin} showed a certificate with fingerprint ${seen}, not the pinned ${pinned}; nothing was ` +
              "sent. The owner may have a new certificate (ask for a new link), or something is in between.",
          ),
        );
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

/**
 * Connections to one endpoint under one pin, kept open between calls so a busy remote alias pays the TLS handshake
 * once: every new connection is verified by connectPinned before the agent writes on it, and a call still carries its
 * token each time (a revoked token is refused on the next call whatever the connection). Idle sockets are unref'd.
 */
const agents = new Map<string, Agent>();

function pinnedAgent(endpoint: string, fingerprint: string, connectTimeoutMs: number | undefined): Agent {
  const key = `${endpoint}\n${fingerprint.toLowerCase()}`;
  const kept = agents.get(key);
  if (kept) {
    agents.delete(key);
    agents.set(key, kept);
    return kept;
  }
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 16,
    maxFreeSockets: 4,
    timeout: IDLE_CONNECTION_MS,
  });
  agent.createConnection = (_options, done) => {
    connectPinned(endpoint, fingerprint, connectTimeoutMs).then(
      (socket) => done?.(null, socket),
      (err: Error) => done?.(err, undefined as never),
    );
    return undefined;
  };
  agents.set(key, agent);
  if (agents.size > MAX_KEPT_ENDPOINTS) {
    const [oldest, old] = agents.entries().next().value as [string, Agent];
    agents.delete(oldest);
    old.destroy();
  }
  return agent;
}

/** Closes every kept connection (the host does this on shutdown; tests, between cases). */
export function closeRemoteConnections(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

async function readBody(res: IncomingMessage, origin: string): Promise<string> {
  return (await readBytes(res, origin)).toString("utf8");
}

async function readBytes(res: IncomingMessage, origin: string): Promise<Buffer> {
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

function protocolError(origin: string, what: string): RemoteInvokeError {
  return new RemoteInvokeError(
    "REMOTE_PROTOCOL_ERROR",
    `${origin} did not answer as a Hearth shared listener: ${what}`,
  );
}

/** The owner's refusal, its code passed through and its message marked as the owner's. */
function refusal(
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
 * token as a Bearer, sync or (with `onEvent`) streamed, on a kept pinned connection or a new one verified first.
 */
export async function invokeRemote(target: RemoteTarget, o: RemoteInvokeOptions): Promise<InvocationResult> {
  const url = parseEndpoint(target.endpoint);
  const origin = url.origin;
  const agent = pinnedAgent(target.endpoint, target.fingerprint, o.connectTimeoutMs);
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

/** A request to a remote API's route, as the teammate's port received it. */
export interface RemoteApiRequest {
  method: string;
  /** The route's path and query under the API (`/orders/7?x=1`), or "" for the API's root. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  idleTimeoutMs?: number;
  totalTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface RemoteApiAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Headers about one connection, or about credentials: never carried from one side to the other. */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "authorization",
  "cookie",
  "set-cookie",
  "x-hearth-profile",
]);

function endToEnd<T>(headers: Record<string, T | undefined>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_HEADERS.has(k.toLowerCase())) out[k.toLowerCase()] = v;
  }
  return out;
}

/**
 * Calls one route of a shared token API on its owner's listener (`target.endpoint` is the API's address there),
 * with the token as the Bearer, on the same pinned connections as remote aliases. The owner's answer comes back
 * whole (status, end-to-end headers, body); the owner's refusals of the token come back as RemoteInvokeError.
 */
export async function callRemoteApi(target: RemoteTarget, r: RemoteApiRequest): Promise<RemoteApiAnswer> {
  const url = parseEndpoint(target.endpoint);
  const origin = url.origin;
  const agent = pinnedAgent(target.endpoint, target.fingerprint, r.connectTimeoutMs);
  const { host, port } = hostOf(url);
  const body = r.body ?? Buffer.alloc(0);
  const path = `${url.pathname.replace(/\/+$/, "")}${r.path.startsWith("/") || r.path === "" || r.path.startsWith("?") ? "" : "/"}${r.path}`;
  let clearDeadline = (): void => undefined;
  return new Promise<RemoteApiAnswer>((resolve, reject) => {
    const req = httpRequest({
      host,
      port,
      method: r.method,
      path,
      headers: {
        ...endToEnd(r.headers),
        authorization: `Bearer ${target.token}`,
        ...(body.length || !["GET", "HEAD"].includes(r.method) ? { "content-length": body.length } : {}),
      },
      agent,
    });
    failAsUnreachable(req, origin, r.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, reject);
    const deadline = endAtDeadline(req, origin, r.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, reject);
    clearDeadline = deadline.clear;
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const tokenRefused =
        (status === 401 || status === 403 || status === 429) &&
        String(res.headers["content-type"] ?? "").startsWith("application/json");
      const answer = readBytes(res, origin).then(async (bytes): Promise<RemoteApiAnswer> => {
        if (tokenRefused) {
          const text = bytes.toString("utf8");
          // Hearth's own refusal of the token (revoked, expired, rate limited) keeps its code; a route's own
          // 401/403/429 is the API's answer and passes through like any other.
          const parsed = z.object({ error: errorSchema }).safeParse(safeJson(text));
          if (parsed.success) {
            const retry = res.headers["retry-after"];
            throw refusal(origin, parsed.data.error, status, typeof retry === "string" ? retry : undefined);
          }
        }
        return {
          status,
          headers: endToEnd(res.headers as Record<string, string | string[] | undefined>),
          body: bytes,
        };
      });
      answer.then(resolve, (err: unknown) => {
        res.destroy();
        reject(err);
      });
    });
    req.end(body);
  }).finally(() => clearDeadline());
}

/**
 * Ends the call at `totalMs` whatever the owner keeps sending: the caller hears why first, then the connection (and
 * any answer being read on it) is destroyed.
 */
function endAtDeadline(
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A call that goes quiet for `idleMs`, or whose connection fails, ends as REMOTE_UNREACHABLE naming the owner. */
function failAsUnreachable(
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
