// The numbers of a set of invocations over a time range: totals and per-period buckets (invocations, errors,
// throttles, duration percentiles, cold starts, peak memory, concurrency), as the Monitor view and `hearth stats` show.
import type { InvocationOutcome } from "./invocation-record.ts";

/** What the numbers are computed from: one invocation, reduced to what counts. */
export interface StatsPoint {
  t: number;
  outcome: InvocationOutcome;
  cold: boolean;
  /** The handler's duration; absent when no handler ran (a throttle, a failed init). */
  handler?: number | undefined;
  maxRssKb: number;
  memoryMb: number;
  concurrency: number;
}

export interface DurationFigures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  avg: number;
}

export interface StatsFigures {
  /** Calls that ran (ok or with an error); throttled ones are counted apart, as Lambda counts them. */
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  /** Handler durations in ms, over the calls whose handler ran; null when none did. */
  duration: DurationFigures | null;
  /** The highest peak memory among them, in MB, and the highest limit they ran with. */
  maxMemoryUsedMb: number;
  memoryMb: number;
  /** The most calls of the task running at once. */
  concurrency: number;
}

export interface StatsBucket extends StatsFigures {
  /** The bucket's start, epoch ms. */
  t: number;
}

export interface InvocationStats {
  since: number;
  until: number;
  periodMs: number;
  totals: StatsFigures;
  buckets: StatsBucket[];
}

/** The period a chart over `rangeMs` is drawn in: about 60 to 100 points, on round steps. */
export function defaultPeriodMs(rangeMs: number): number {
  const steps = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400].map(
    (s) => s * 1000,
  );
  return steps.find((s) => rangeMs / s <= 100) ?? 86_400_000;
}

/** The nearest-rank percentile of sorted values: the smallest value with at least p% of them at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function figures(points: readonly StatsPoint[]): StatsFigures {
  let invocations = 0;
  let errors = 0;
  let throttles = 0;
  let coldStarts = 0;
  let maxRssKb = 0;
  let memoryMb = 0;
  let concurrency = 0;
  const durations: number[] = [];
  for (const p of points) {
    if (p.outcome === "throttle") {
      throttles++;
      continue;
    }
    invocations++;
    if (p.outcome === "error") errors++;
    if (p.cold) coldStarts++;
    if (p.handler !== undefined) durations.push(p.handler);
    maxRssKb = Math.max(maxRssKb, p.maxRssKb);
    memoryMb = Math.max(memoryMb, p.memoryMb);
    concurrency = Math.max(concurrency, p.concurrency);
  }
  durations.sort((a, b) => a - b);
  const duration =
    durations.length === 0
      ? null
      : {
          p50: percentile(durations, 50),
          p95: percentile(durations, 95),
          p99: percentile(durations, 99),
          max: durations.at(-1)!,
          avg: round2(durations.reduce((a, b) => a + b, 0) / durations.length),
        };
  return {
    invocations,
    errors,
    throttles,
    coldStarts,
    duration,
    maxMemoryUsedMb: Math.ceil(maxRssKb / 1024),
    memoryMb,
    concurrency,
  };
}

/** Totals over [since, until) and one bucket per period (empty ones included, so a chart shows the gaps). */
export function invocationStats(
  points: readonly StatsPoint[],
  range: { since: number; until: number; periodMs?: number },
): InvocationStats {
  const { since, until } = range;
  const periodMs = range.periodMs ?? defaultPeriodMs(until - since);
  const inRange = points.filter((p) => p.t >= since && p.t < until);
  const n = Math.max(1, Math.ceil((until - since) / periodMs));
  const byBucket: StatsPoint[][] = Array.from({ length: n }, () => []);
  for (const p of inRange) byBucket[Math.min(n - 1, Math.floor((p.t - since) / periodMs))]!.push(p);
  return {
    since,
    until,
    periodMs,
    totals: figures(inRange),
    buckets: byBucket.map((b, i) => ({ t: since + i * periodMs, ...figures(b) })),
  };
}
