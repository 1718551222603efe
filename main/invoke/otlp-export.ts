// Sends invocation records to an OpenTelemetry collector as traces (OTLP/HTTP, JSON): one span per call, one per phase.
import { randomBytes } from "node:crypto";
import { HearthError } from "../domain/model/errors.ts";
import type { InvocationPhases, InvocationRecord } from "../domain/metrics/invocation-record.ts";

/** OTLP's JSON form of an attribute value: 64-bit integers travel as decimal strings so JSON keeps them exact. */
export type OtlpAnyValue =
  { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpan {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 INTERNAL, 2 SERVER. */
  kind: 1 | 2;
  /** Epoch nanoseconds as a decimal string: too large for a JSON number to hold exactly. */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: OtlpKeyValue[];
  /** 1 OK, 2 ERROR. */
  status?: { code: 1 | 2; message?: string };
}

export interface OtlpExportOptions {
  endpoint: string;
  headers?: Record<string, string>;
  /** The service.name the collector files the spans under; "hearth" unless set. */
  serviceName?: string;
  /** How long a record may wait for company before it is sent; 1000 unless set. */
  flushMs?: number;
  /** Records per POST; 512 unless set. */
  maxBatch?: number;
  /** Records waiting at most; beyond it the oldest are dropped. 4096 unless set. */
  maxQueue?: number;
  fetch?: typeof fetch;
  log?: (message: string) => void;
}

/** What became of the records handed to an exporter. */
export interface OtlpExportFigures {
  /** Records a collector accepted. */
  exported: number;
  /** Records lost: pushed out of a full queue, in a POST that failed, or handed over after close. */
  dropped: number;
  failedBatches: number;
  lastError?: string;
}

/** The phases in the order they happen, so child spans can be laid end to end. */
const PHASES: readonly (keyof InvocationPhases)[] = [
  "queue",
  "vm",
  "load",
  "init",
  "handler",
  "transfer",
  "host",
];

/** A collector that does not answer must not hold a batch (and the records behind it) for long. */
const POST_TIMEOUT_MS = 10_000;
/** A collector that is down fails every batch; one line a minute says so without flooding the host's log. */
const LOG_EVERY_MS = 60_000;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;

/** The URL spans are POSTed to: the endpoint a user named, with OTLP's default path when it names none. */
export function otlpTracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new HearthError(
      "INVALID_INPUT",
      `The OTLP endpoint "${endpoint}" is not a URL; name one like http://127.0.0.1:4318`,
      "otlpEndpoint",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HearthError(
      "INVALID_INPUT",
      `The OTLP endpoint must be an http: or https: URL, not ${url.protocol}`,
      "otlpEndpoint",
    );
  }
  // Credentials in a URL end up in logs and settings files; a collector's key belongs in a header.
  if (url.username !== "" || url.password !== "") {
    throw new HearthError(
      "INVALID_INPUT",
      "The OTLP endpoint must not hold a user name or password; pass the collector's credentials as a header",
      "otlpEndpoint",
    );
  }
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/v1/traces";
  return url.href;
}

/** Epoch milliseconds (with a fraction) as nanoseconds; the whole milliseconds go through BigInt, past 2^53. */
function epochNanos(ms: number): bigint {
  if (!Number.isFinite(ms)) return 0n;
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function durationNanos(ms: number): bigint {
  return Number.isFinite(ms) && ms > 0 ? BigInt(Math.round(ms * 1e6)) : 0n;
}

function str(key: string, value: string): OtlpKeyValue {
  return { key, value: { stringValue: value } };
}

function int(key: string, value: number): OtlpKeyValue {
  return { key, value: { intValue: String(Number.isFinite(value) ? Math.round(value) : 0) } };
}

/** The spans of one invocation: the call as a SERVER span, and its phases as INTERNAL spans laid end to end. */
export function invocationSpans(
  rec: InvocationRecord,
  names: { task: string; alias?: string },
  ids: { traceId: string; spanId: () => string },
): OtlpSpan[] {
  const start = epochNanos(rec.t);
  const rootId = ids.spanId();
  const attributes: OtlpKeyValue[] = [
    str("faas.invocation_id", rec.id),
    str("faas.name", names.task),
    str("faas.version", rec.served ?? rec.version),
    { key: "faas.coldstart", value: { boolValue: rec.cold } },
    int("faas.max_memory", rec.memoryMb * 1024 * 1024),
    str("hearth.outcome", rec.outcome),
    str("hearth.caller.kind", rec.via.kind),
  ];
  if (rec.via.label !== undefined) attributes.push(str("hearth.caller.label", rec.via.label));
  if (rec.vm !== undefined) attributes.push(str("hearth.vm", rec.vm));
  if (rec.take !== undefined) attributes.push(str("hearth.vm_take", rec.take));
  attributes.push(int("hearth.concurrency", rec.concurrency));
  attributes.push(int("hearth.max_memory_used_mb", Math.ceil(rec.maxRssKb / 1024)));
  if (rec.errorType !== undefined) attributes.push(str("hearth.error_type", rec.errorType));

  const spans: OtlpSpan[] = [
    {
      traceId: ids.traceId,
      spanId: rootId,
      name: names.alias ? `${names.task}:${names.alias}` : names.task,
      kind: 2,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + durationNanos(rec.total)).toString(),
      attributes,
      status: rec.outcome === "ok" ? { code: 1 } : { code: 2, message: rec.errorType ?? rec.outcome },
    },
  ];
  // Boundaries come from the running sum rounded once each, so rounding never opens a gap or an overlap
  // between phases, and phases that add up to the total end exactly where the call does.
  let elapsed = 0;
  let from = start;
  for (const phase of PHASES) {
    const ms = rec.phases[phase];
    if (ms === undefined) continue;
    elapsed += Number.isFinite(ms) && ms > 0 ? ms : 0;
    const to = start + durationNanos(elapsed);
    spans.push({
      traceId: ids.traceId,
      spanId: ids.spanId(),
      parentSpanId: rootId,
      name: phase === "vm" && rec.take !== undefined ? `vm (${rec.take})` : phase,
      kind: 1,
      startTimeUnixNano: from.toString(),
      endTimeUnixNano: to.toString(),
    });
    from = to;
  }
  return spans;
}

interface Queued {
  rec: InvocationRecord;
  names: { task: string; alias?: string };
}

function positiveInteger(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new HearthError("INVALID_INPUT", `${field} must be a whole number of at least 1`, field);
  }
  return value;
}

/**
 * Batches invocation records to a collector. The invoke path only queues a record; encoding and sending happen
 * later, off that path, and a collector that is slow or down costs records, never an invocation.
 */
export class OtlpExporter {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly serviceName: string;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly send: typeof fetch;
  private readonly log: (message: string) => void;

  /** The queue is read from `head`, so dropping the oldest is not a shift of thousands of entries. */
  private queue: Queued[] = [];
  private head = 0;
  /** Records ever queued, and those that have left for good (sent, failed or dropped): what a flush waits on. */
  private queuedTotal = 0;
  private settledTotal = 0;
  private waiters: { upTo: number; resolve: () => void }[] = [];
  private draining = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastLogAt = -Infinity;
  private unlogged = 0;
  private readonly counts: OtlpExportFigures = { exported: 0, dropped: 0, failedBatches: 0 };

  constructor(o: OtlpExportOptions) {
    this.url = otlpTracesUrl(o.endpoint);
    this.headers = {};
    for (const [name, value] of Object.entries(o.headers ?? {})) {
      if (!HEADER_NAME.test(name)) {
        throw new HearthError(
          "INVALID_INPUT",
          `The OTLP header name "${name}" may hold only letters, digits and dashes (at most 64)`,
          "otlpHeaders",
        );
      }
      if (typeof value !== "string" || /[\r\n\0]/.test(value)) {
        throw new HearthError(
          "INVALID_INPUT",
          `The OTLP header ${name} must be one line of text`,
          "otlpHeaders",
        );
      }
      // The body is JSON whatever a user says; two Content-Type headers would be joined into a wrong one.
      if (name.toLowerCase() !== "content-type") this.headers[name] = value;
    }
    this.headers["content-type"] = "application/json";
    this.serviceName = o.serviceName ?? "hearth";
    this.flushMs = o.flushMs ?? 1000;
    if (!Number.isFinite(this.flushMs) || this.flushMs < 0) {
      throw new HearthError(
        "INVALID_INPUT",
        "flushMs must be a number of milliseconds, 0 or more",
        "flushMs",
      );
    }
    this.maxBatch = positiveInteger(o.maxBatch, 512, "maxBatch");
    this.maxQueue = positiveInteger(o.maxQueue, 4096, "maxQueue");
    this.send = o.fetch ?? fetch;
    this.log = o.log ?? ((message) => console.error(message));
  }

  /** A snapshot; `exported + dropped` is every record handed over once a flush has settled. */
  get figures(): Readonly<OtlpExportFigures> {
    return { ...this.counts };
  }

  /** Queues one record for the next batch; called on the invoke path, so it does no encoding and no I/O. */
  export(rec: InvocationRecord, names: { task: string; alias?: string }): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    this.queue.push({ rec, names });
    this.queuedTotal++;
    if (this.queue.length - this.head > this.maxQueue) {
      this.head++;
      this.counts.dropped++;
      this.settledTotal++;
    }
    this.compact();
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.flushMs);
      // Records waiting to be sent are no reason to keep the process alive; close() sends them on the way out.
      this.timer.unref();
    }
  }

  /** Sends every record queued so far; resolves once each has been accepted or given up on. Never rejects. */
  flush(): Promise<void> {
    this.disarm();
    if (this.settledTotal >= this.queuedTotal) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ upTo: this.queuedTotal, resolve }));
    if (!this.draining) void this.drain();
    return done;
  }

  /** Stops the timer and sends what is left; records handed over afterwards are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    await this.flush();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * One batch at a time, taken from the queue only when it is sent: records that arrive while a collector is
   * slow wait in the bounded queue, not in a pile of promises.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > this.head) {
        const batch = this.queue.slice(this.head, this.head + this.maxBatch);
        this.head += batch.length;
        this.compact();
        await this.post(batch);
        this.settledTotal += batch.length;
        this.wake();
      }
    } finally {
      this.draining = false;
      this.wake();
    }
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.settledTotal < w.upTo) return true;
      w.resolve();
      return false;
    });
  }

  private async post(batch: Queued[]): Promise<void> {
    let error: string;
    try {
      const res = await this.send(this.url, {
        method: "POST",
        headers: this.headers,
        body: JSON.stringify(this.body(batch)),
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
      // Reading the answer lets the connection be reused; what it says beyond its status is of no use here.
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) {
        this.counts.exported += batch.length;
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    this.counts.failedBatches++;
    this.counts.dropped += batch.length;
    this.counts.lastError = error;
    this.report(error, batch.length);
  }

  private body(batch: Queued[]): unknown {
    // One draw of random bytes per batch: a call to randomBytes per id costs more than encoding the spans.
    // A record needs 16 bytes for its trace and 8 for each of its spans: the root and at most one per phase.
    const pool = randomBytes(batch.length * (16 + 8 * (1 + PHASES.length)));
    let used = 0;
    const hex = (bytes: number): string => {
      used += bytes;
      return pool.toString("hex", used - bytes, used);
    };
    const spanId = (): string => hex(8);
    const spans: OtlpSpan[] = [];
    for (const { rec, names } of batch) {
      spans.push(...invocationSpans(rec, names, { traceId: hex(16), spanId }));
    }
    return {
      resourceSpans: [
        {
          resource: { attributes: [str("service.name", this.serviceName)] },
          scopeSpans: [{ scope: { name: "hearth" }, spans }],
        },
      ],
    };
  }

  private report(error: string, records: number): void {
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) {
      this.unlogged++;
      return;
    }
    const earlier = this.unlogged > 0 ? ` (${this.unlogged} more failed batches since the last report)` : "";
    this.lastLogAt = now;
    this.unlogged = 0;
    const where = new URL(this.url);
    try {
      this.log(
        `hearth: OTLP export to ${where.origin}${where.pathname} failed: ${error}; ${records} invocation records dropped${earlier}`,
      );
    } catch {
      // A broken log sink is no reason to lose the exporter.
    }
  }
}
