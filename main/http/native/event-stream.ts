// Server-sent events on a hijacked reply, with what is queued for a slow or stalled client held to a bound.
import type { FastifyReply } from "fastify";

/** Bytes queued on one stream (response and socket buffers) past which droppable events are dropped. */
export const MAX_QUEUED_BYTES = 1024 * 1024;
/**
 * How long a client may leave unread what cannot be dropped (start, result, error past the bound, or an ended
 * stream's last bytes) before the stream is closed.
 */
export const STALL_DEADLINE_MS = 30_000;

export interface EventStreamOptions {
  /**
   * Events that may be dropped when the client does not keep up (log lines); the others (start, result, error) are
   * always queued. Nothing is droppable by default.
   */
  droppable?: (event: string) => boolean;
  /** The event announcing `n` dropped events, written before the next event once the client reads again. */
  dropMarker?: (n: number) => { event: string; data: unknown };
  maxQueuedBytes?: number;
  stallDeadlineMs?: number;
}

export interface EventStream {
  readonly open: boolean;
  /** Settles once the response closed (client gone, stream ended or closed for stalling). */
  readonly closed: Promise<void>;
  send(event: string, data: unknown): void;
  comment(text: string): void;
  end(): void;
}

/**
 * Opens the stream. A client that stops reading costs at most `maxQueuedBytes` plus the events that are never
 * dropped: a stalled socket otherwise keeps every log line a chatty task prints in this process's memory.
 */
export function openEventStream(reply: FastifyReply, o: EventStreamOptions = {}): EventStream {
  const max = o.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  const stallMs = o.stallDeadlineMs ?? STALL_DEADLINE_MS;
  const droppable = o.droppable ?? (() => false);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  let open = true;
  let dropped = 0;
  let stall: NodeJS.Timeout | null = null;
  const closed = new Promise<void>((resolve) => {
    // The response's close, not the request's: a request "closes" as soon as its body has been read.
    res.on("close", () => {
      open = false;
      if (stall) clearTimeout(stall);
      stall = null;
      resolve();
    });
  });
  const over = (): boolean => res.writableLength > max;
  /** Past the bound with events that are never dropped, a client that reads nothing for stallMs is closed. */
  const watchStall = (): void => {
    if (stall || !over()) return;
    stall = setTimeout(() => res.destroy(), stallMs);
    stall.unref();
  };
  const frame = (event: string, data: unknown): string =>
    `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const flushMarker = (): void => {
    if (dropped === 0 || !o.dropMarker) return;
    const m = o.dropMarker(dropped);
    dropped = 0;
    res.write(frame(m.event, m.data));
  };
  res.on("drain", () => {
    if (!open || over()) return;
    if (stall) clearTimeout(stall);
    stall = null;
    flushMarker();
  });
  return {
    get open() {
      return open;
    },
    closed,
    send(event: string, data: unknown): void {
      if (!open) return;
      // Once dropping, keep dropping until the client caught up, so the marker sits where the gap is.
      // Dropping keeps the queue bounded by itself, so a stalled reader of a long task is not closed for it.
      if (droppable(event) && (dropped > 0 || over())) {
        dropped++;
        return;
      }
      flushMarker();
      res.write(frame(event, data));
      if (!droppable(event)) watchStall();
    },
    comment(text: string): void {
      // A keep-alive is for an idle connection; a full queue is not idle.
      if (open && !over()) res.write(`: ${text}\n\n`);
    },
    end(): void {
      if (!open) return;
      flushMarker();
      res.end();
      open = false;
      // An ended response still holds its queue until the client reads it, or until the deadline.
      if (res.writableLength > 0 && !stall) {
        stall = setTimeout(() => res.destroy(), stallMs);
        stall.unref();
      }
    },
  };
}
