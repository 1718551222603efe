// What the host accepts from a guest: every frame from an agent or a sandbox's runtime is checked here, not cast.
//
// Task code can write raw frames to its own port (and a broken guest anything at all), so a frame is untrusted
// input: unknown shapes are refused, measurements clamped, and text cut to lengths the host is willing to hold.
import { z } from "zod";
import {
  MAX_CONTENT_TYPE_CHARS,
  MAX_LOG_LINE_CHARS,
  STREAM_CHUNK_BYTES,
  TUNNEL_CHUNK_BYTES,
  type ControlEvent,
  type ControlReply,
  type LambdaError,
  type SandboxFrame,
} from "./protocol.ts";

/** Longest error message the host keeps (Lambda's own errors are far shorter). */
const MAX_ERROR_CHARS = 64 * 1024;
const MAX_TRACE_LINES = 100;
const MAX_TRACE_LINE_CHARS = 4096;
/** Bigger than any real duration, size or count, small enough that sums of them stay exact. */
const MAX_MEASURE = 2 ** 48;

const text = (max: number) => z.string().transform((s) => (s.length > max ? s.slice(0, max) : s));

/** A measurement the guest reports: anything but a finite number (or none at all) becomes 0, the rest in range. */
const measure = z
  .unknown()
  .optional()
  .transform((v) =>
    typeof v === "number" && Number.isFinite(v) ? Math.min(Math.max(v, 0), MAX_MEASURE) : 0,
  );

const slot = z.number().int().min(0).max(1024);
const requestId = z.number().int().min(0);
const tunnelId = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31);

const lambdaError: z.ZodType<LambdaError> = z.object({
  errorType: text(256),
  errorMessage: text(MAX_ERROR_CHARS),
  trace: z
    .array(z.unknown())
    .catch([])
    .transform((lines) =>
      lines
        .slice(0, MAX_TRACE_LINES)
        .filter((l): l is string => typeof l === "string")
        .map((l) => l.slice(0, MAX_TRACE_LINE_CHARS)),
    ),
});

const invocationId = z.string().max(128);
const stream = z.enum(["stdout", "stderr"]);

/** Base64 of at most `bytes` bytes: anything longer or not base64 is a frame no runtime sends. */
const base64Of = (bytes: number) =>
  z
    .string()
    .max(Math.ceil(bytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** A content type as HTTP carries it: printable ASCII, bounded. */
const contentType = z
  .string()
  .min(1)
  .max(MAX_CONTENT_TYPE_CHARS)
  .regex(/^[\x20-\x7e]+$/);

const sandboxFrame = z.union([
  z.object({ t: z.literal("log"), id: invocationId, stream, line: text(MAX_LOG_LINE_CHARS) }),
  z.object({
    t: z.literal("chunk"),
    id: invocationId,
    data: base64Of(STREAM_CHUNK_BYTES),
    contentType: contentType.optional(),
  }),
  z.object({
    t: z.literal("result"),
    id: invocationId,
    ok: z.literal(true),
    payload: z.string(),
    durationMs: measure,
    maxRssKb: measure,
    streamed: z.literal(true).optional(),
    contentType: contentType.optional(),
  }),
  z.object({
    t: z.literal("result"),
    id: invocationId,
    ok: z.literal(false),
    error: lambdaError,
    durationMs: measure,
    maxRssKb: measure,
    ending: z.literal(true).optional(),
  }),
]);

const sandboxStats = z.object({
  slot,
  pid: z.number().int().nullable(),
  state: z.enum(["starting", "up", "restarting", "failed"]),
  rssKb: measure,
  functionName: text(256),
  functionVersion: text(64),
  restarts: measure,
});

const controlFrame = z.union([
  z.object({ t: z.literal("pong"), id: requestId, uptimeMs: measure }),
  z.object({ t: z.literal("synced"), id: requestId, skewMs: z.number().catch(0) }),
  z.object({
    t: z.literal("loaded"),
    id: requestId,
    slot,
    initMs: measure,
    pid: z.number().int(),
    prewarmed: z.boolean().optional(),
  }),
  z.object({ t: z.literal("unloaded"), id: requestId, slot }),
  z.object({ t: z.literal("killed"), id: requestId, slot }),
  z.object({
    t: z.literal("stats"),
    id: requestId,
    uptimeMs: measure,
    memTotalKb: measure,
    memAvailableKb: measure,
    agentRssKb: measure,
    sandboxes: z.array(sandboxStats).max(1024),
  }),
  z.object({ t: z.literal("tunnel-opened"), id: requestId, tunnel: tunnelId }),
  z.object({ t: z.literal("error"), id: requestId, code: text(64), message: text(MAX_ERROR_CHARS) }),
  z.object({
    t: z.literal("ready"),
    id: requestId.optional(),
    protocol: z.number(),
    bootMs: measure,
    agentMs: measure,
    kernel: text(256),
    slots: z.array(slot).max(1024),
    // An agent that names no budget admits by nothing but the VM's memory, as before frames were checked.
    sandboxMemoryMb: z
      .unknown()
      .optional()
      .transform((v) => (v === undefined ? Number.POSITIVE_INFINITY : measure.parse(v))),
    agentStarts: measure,
  }),
  z.object({
    t: z.literal("sandbox-exit"),
    slot,
    reason: z.enum(["exit", "signal", "oom", "timeout", "killed"]),
    exitCode: z.number().int().nullable(),
    signal: text(32).nullable(),
    detail: text(MAX_ERROR_CHARS),
    restarting: z.boolean(),
  }),
  z.object({ t: z.literal("sandbox-up"), slot, initMs: measure, pid: z.number().int() }),
  z.object({ t: z.literal("sandbox-failed"), slot, error: lambdaError }),
  z.object({ t: z.literal("sandbox-output"), slot, stream, line: text(MAX_LOG_LINE_CHARS) }),
  z.object({
    t: z.literal("tunnel-data"),
    tunnel: tunnelId,
    data: base64Of(TUNNEL_CHUNK_BYTES),
  }),
  z.object({ t: z.literal("tunnel-closed"), tunnel: tunnelId }),
]);

/** A frame from a sandbox's port as the host may use it, or null when it is not one a runtime sends. */
export function parseSandboxFrame(value: unknown): SandboxFrame | null {
  const r = sandboxFrame.safeParse(value);
  return r.success ? r.data : null;
}

/** A frame from an agent's control port as the host may use it, or null when it is not one an agent sends. */
export function parseControlFrame(value: unknown): ControlReply | ControlEvent | null {
  const r = controlFrame.safeParse(value);
  return r.success ? r.data : null;
}
