// The IPC channels between the Electron window's preload and the main process, and what travels on each.
import type { InvocationEvent, LogRecord, ShareLink, VmView } from "../contract.ts";

/** invoke: `CallEnvelope` → `IpcAnswer` (the operation's output). */
export const CALL_CHANNEL = "hearth:call";
/** invoke: `StreamEnvelope` with the invocation's input → `IpcAnswer` once the result or error event was sent. */
export const INVOKE_STREAM_CHANNEL = "hearth:invoke-stream";
/** invoke: `StreamEnvelope` with a live-logs query → `IpcAnswer` once the tail is open. */
export const LIVE_LOGS_OPEN_CHANNEL = "hearth:live-logs:open";
/** send: `{ streamId }`: stops a live tail. */
export const LIVE_LOGS_CLOSE_CHANNEL = "hearth:live-logs:close";
/** invoke: `StreamEnvelope` with `{}` → `IpcAnswer` once the pool's change feed is open (VmView per change). */
export const POOL_EVENTS_OPEN_CHANNEL = "hearth:pool-events:open";
/** send: `{ streamId }`: stops a pool feed. */
export const POOL_EVENTS_CLOSE_CHANNEL = "hearth:pool-events:close";
/** invoke: nothing → the share links that arrived before the window listened (`ShareLink[]`); later ones are sent. */
export const SHARE_LINKS_TAKE_CHANNEL = "hearth:share-links:take";
/** main → window: one `ShareLink`. */
export const SHARE_LINK_CHANNEL = "hearth:share-link";

/** The per-call channel a stream's events arrive on (main → window); `streamId` is chosen by the preload. */
export function streamChannel(streamId: string): string {
  return `hearth:stream:${streamId}`;
}

/** A stream id: short, and safe inside a channel name. */
export const STREAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface CallEnvelope {
  /** The profile (name or id) the call acts as; the window acts as the machine's owner. */
  profile?: string;
  name: string;
  input?: unknown;
}

export interface StreamEnvelope {
  profile?: string;
  streamId: string;
  input: unknown;
}

export interface IpcError {
  code: string;
  message: string;
  field?: string;
}

/** Errors cross IPC as values: a thrown Error would reach the window as a bare message. */
export type IpcAnswer<T = unknown> = { ok: true; value: T } | { ok: false; error: IpcError };

/** What a stream channel carries. */
export type StreamMessage = InvocationEvent | LogRecord | VmView;
export type { ShareLink };
