// Every invocation's record (who, what, how it ended, its timeline) kept in a bounded series on disk, with a
// compact in-memory index of the numbers charts need, so stats over 100k calls answer without reading the disk.
import { decodeInvocationRecord, type InvocationRecord } from "../domain/metrics/invocation-record.ts";
import {
  invocationStats,
  type InvocationStats,
  type StatsPoint,
} from "../domain/metrics/invocation-stats.ts";
import type { InvocationOutcome } from "../domain/metrics/invocation-record.ts";
import { SeriesStore } from "../store/series-store.ts";

/** Which invocations a query covers: one task's, optionally through one alias, optionally only one caller's. */
export interface MetricsScope {
  task?: string;
  /** Only calls of these tasks (a profile's whole set); ignored when `task` is given. */
  tasks?: ReadonlySet<string>;
  alias?: string;
  caller?: string;
}

const OUTCOME_CODE: Record<InvocationOutcome, number> = { ok: 0, error: 1, throttle: 2 };
const OUTCOME_OF: InvocationOutcome[] = ["ok", "error", "throttle"];
const COLD = 4;

/** Rows of numbers in typed arrays (about 30 bytes a call), oldest first; the oldest go with their segment. */
class Columns {
  private cap = 1024;
  private start = 0;
  private end = 0;
  t = new Float64Array(this.cap);
  task = new Int32Array(this.cap);
  alias = new Int32Array(this.cap);
  caller = new Int32Array(this.cap);
  flags = new Uint8Array(this.cap);
  handler = new Float32Array(this.cap);
  rssKb = new Uint32Array(this.cap);
  memoryMb = new Uint16Array(this.cap);
  concurrency = new Uint16Array(this.cap);
  private readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  get length(): number {
    return this.end - this.start;
  }

  /** The number a string is kept as (-1 for none); task, alias and profile ids repeat, so each is kept once. */
  intern(s: string | undefined): number {
    if (s === undefined) return -1;
    let n = this.ids.get(s);
    if (n === undefined) {
      n = this.names.length;
      this.names.push(s);
      this.ids.set(s, n);
    }
    return n;
  }

  lookup(s: string): number {
    return this.ids.get(s) ?? -2;
  }

  private grow(): void {
    const live = this.length;
    // Room is made by moving the live rows to the front when half the arrays is dead, else by doubling.
    const cap = live * 2 > this.cap ? this.cap * 2 : this.cap;
    const move = <
      A extends Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array,
    >(
      a: A,
    ): A => {
      const b = new (a.constructor as new (n: number) => A)(cap);
      b.set(a.subarray(this.start, this.end));
      return b;
    };
    this.t = move(this.t);
    this.task = move(this.task);
    this.alias = move(this.alias);
    this.caller = move(this.caller);
    this.flags = move(this.flags);
    this.handler = move(this.handler);
    this.rssKb = move(this.rssKb);
    this.memoryMb = move(this.memoryMb);
    this.concurrency = move(this.concurrency);
    this.cap = cap;
    this.start = 0;
    this.end = live;
  }

  push(r: InvocationRecord): void {
    if (this.end === this.cap) this.grow();
    const i = this.end++;
    this.t[i] = r.t;
    this.task[i] = this.intern(r.task);
    this.alias[i] = this.intern(r.alias);
    this.caller[i] = this.intern(r.caller);
    this.flags[i] = OUTCOME_CODE[r.outcome] | (r.cold ? COLD : 0);
    this.handler[i] = r.phases.handler ?? -1;
    this.rssKb[i] = r.maxRssKb;
    this.memoryMb[i] = Math.min(65_535, r.memoryMb);
    this.concurrency[i] = Math.min(65_535, r.concurrency);
  }

  dropOldest(n: number): void {
    this.start = Math.min(this.end, this.start + n);
  }

  points(scope: MetricsScope, since: number, until: number): StatsPoint[] {
    const task = scope.task !== undefined ? this.lookup(scope.task) : null;
    const tasks = task === null && scope.tasks ? new Set([...scope.tasks].map((s) => this.lookup(s))) : null;
    const alias = scope.alias !== undefined ? this.lookup(scope.alias) : null;
    const caller = scope.caller !== undefined ? this.lookup(scope.caller) : null;
    const out: StatsPoint[] = [];
    for (let i = this.start; i < this.end; i++) {
      const t = this.t[i]!;
      if (t < since || t >= until) continue;
      if (task !== null && this.task[i] !== task) continue;
      if (tasks !== null && !tasks.has(this.task[i]!)) continue;
      if (alias !== null && this.alias[i] !== alias) continue;
      if (caller !== null && this.caller[i] !== caller) continue;
      const f = this.flags[i]!;
      const h = this.handler[i]!;
      out.push({
        t,
        outcome: OUTCOME_OF[f & 3]!,
        cold: (f & COLD) !== 0,
        // Kept as 32-bit floats: rounded back to the hundredths the record holds.
        handler: h < 0 ? undefined : Math.round(h * 100) / 100,
        maxRssKb: this.rssKb[i]!,
        memoryMb: this.memoryMb[i]!,
        concurrency: this.concurrency[i]!,
      });
    }
    return out;
  }
}

export interface InvocationMetricsOptions {
  dir: string;
  maxBytes: number;
  flushMs?: number;
}

export interface ListQuery extends MetricsScope {
  since?: number;
  until?: number;
  limit?: number;
  /** Only these request ids. */
  ids?: ReadonlySet<string>;
  outcome?: InvocationOutcome;
}

export class InvocationMetrics {
  readonly series: SeriesStore<InvocationRecord>;
  private readonly columns = new Columns();
  private listeners: ((r: InvocationRecord) => void)[] = [];

  constructor(o: InvocationMetricsOptions) {
    this.series = new SeriesStore<InvocationRecord>(
      o.dir,
      {
        maxBytes: o.maxBytes,
        ...(o.flushMs !== undefined ? { flushMs: o.flushMs } : {}),
        onError: (err) => console.error(`hearth: invocation metrics could not be written: ${err.message}`),
      },
      decodeInvocationRecord,
    );
    this.series.onEvict = (n) => this.columns.dropOldest(n);
  }

  /** Records of calls that ended while earlier runs' were still being read: indexed after them. */
  private early: InvocationRecord[] | null = [];
  /** Resolves once what earlier runs recorded is read (queries wait for it; calls never do). */
  ready: Promise<void> = Promise.resolve();

  /** Reads what earlier runs recorded, in the background: a host with 100k kept calls starts without waiting. */
  open(): Promise<void> {
    this.ready = this.series.open().then(
      (old) => {
        for (const r of old) this.columns.push(r);
        for (const r of this.early ?? []) this.columns.push(r);
        this.early = null;
      },
      (err: unknown) => {
        this.early = null;
        throw err;
      },
    );
    return this.ready;
  }

  /** Keeps one invocation's record; on the invoke path, so it only queues and indexes. */
  record(r: InvocationRecord): void {
    if (this.early) this.early.push(r);
    else this.columns.push(r);
    this.series.append(r);
    // Most hosts export nothing: no iterator is made then.
    if (this.listeners.length !== 0) for (const l of this.listeners) l(r);
  }

  /** Follows records as they come (an exporter, a live view); returns the unsubscribe. */
  subscribe(fn: (r: InvocationRecord) => void): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  get count(): number {
    return this.columns.length;
  }

  stats(scope: MetricsScope, range: { since: number; until: number; periodMs?: number }): InvocationStats {
    return invocationStats(this.columns.points(scope, range.since, range.until), range);
  }

  /** Full records matching the query, newest first, at most `limit` (100 by default). */
  async list(q: ListQuery): Promise<InvocationRecord[]> {
    const limit = q.limit ?? 100;
    const out: InvocationRecord[] = [];
    await this.series.scan(
      {
        newestFirst: true,
        ...(q.since !== undefined ? { since: q.since } : {}),
        ...(q.until !== undefined ? { until: q.until } : {}),
      },
      (r) => {
        if (q.task !== undefined && r.task !== q.task) return;
        if (q.task === undefined && q.tasks && !q.tasks.has(r.task)) return;
        if (q.alias !== undefined && r.alias !== q.alias) return;
        if (q.caller !== undefined && r.caller !== q.caller) return;
        if (q.ids && !q.ids.has(r.id)) return;
        if (q.outcome !== undefined && r.outcome !== q.outcome) return;
        out.push(r);
        return out.length >= limit;
      },
    );
    // A record is written when its call ends: newest first by when the call came.
    return out.sort((a, b) => b.t - a.t);
  }

  /** One invocation's record by its request id, newest match. */
  async get(id: string, around?: number): Promise<InvocationRecord | null> {
    const q: ListQuery = { ids: new Set([id]), limit: 1 };
    // A record's time is its start; a call can run for up to 15 minutes past its log's end.
    if (around !== undefined) Object.assign(q, { since: around - 16 * 60_000, until: around + 16 * 60_000 });
    const [hit] = await this.list(q);
    if (hit || around === undefined) return hit ?? null;
    return (await this.list({ ids: q.ids!, limit: 1 }))[0] ?? null;
  }

  flush(): Promise<void> {
    return this.series.flush();
  }

  close(): Promise<void> {
    return this.series.close();
  }
}
