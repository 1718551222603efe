// The Monitor's charts' data from one stats answer: columns of the buckets as uPlot takes them (x in seconds, one
// array per series), built in one pass so a refresh costs one loop however many buckets there are.
import type { InvocationStatsView } from "../../main/contract.ts";

/** uPlot's aligned data: the x values, then each series' values (null is a gap). */
export type Columns = [number[], ...(number | null)[][]];

export interface StatsColumns {
  /** invocations, errors, throttles */
  calls: Columns;
  /** p50, p95, p99 */
  duration: Columns;
  coldStarts: Columns;
  /** peak memory, the limit */
  memory: Columns;
  concurrency: Columns;
}

export function statsColumns(stats: InvocationStatsView): StatsColumns {
  const n = stats.buckets.length;
  const x = new Array<number>(n);
  const invocations = new Array<number>(n);
  const errors = new Array<number>(n);
  const throttles = new Array<number>(n);
  const p50 = new Array<number | null>(n);
  const p95 = new Array<number | null>(n);
  const p99 = new Array<number | null>(n);
  const cold = new Array<number>(n);
  const memory = new Array<number | null>(n);
  const limit = new Array<number | null>(n);
  const concurrency = new Array<number>(n);
  // The limit is drawn across the whole range, also where no call ran (a bucket without calls knows none).
  const limitMb = stats.totals.memoryMb > 0 ? stats.totals.memoryMb : null;
  for (let i = 0; i < n; i++) {
    const b = stats.buckets[i]!;
    x[i] = b.t / 1000;
    invocations[i] = b.invocations;
    errors[i] = b.errors;
    throttles[i] = b.throttles;
    // A period without calls has no duration: a gap, not a zero that would read as "fast".
    p50[i] = b.duration?.p50 ?? null;
    p95[i] = b.duration?.p95 ?? null;
    p99[i] = b.duration?.p99 ?? null;
    cold[i] = b.coldStarts;
    memory[i] = b.invocations > 0 ? b.maxMemoryUsedMb : null;
    limit[i] = limitMb;
    concurrency[i] = b.concurrency;
  }
  return {
    calls: [x, invocations, errors, throttles],
    duration: [x, p50, p95, p99],
    coldStarts: [x, cold],
    memory: [x, memory, limit],
    concurrency: [x, concurrency],
  };
}

/** "10 s", "15 min", "2 h": the width of one bucket, for the charts' titles. */
export function periodText(periodMs: number): string {
  const s = Math.round(periodMs / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}
