// Stats over invocations: nearest-rank percentiles, throttles apart, buckets with their gaps, time ranges.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  defaultPeriodMs,
  invocationStats,
  percentile,
  type StatsPoint,
} from "../../../../../main/domain/metrics/invocation-stats.ts";
import { parseTimePoint, parseTimeRange } from "../../../../../main/domain/metrics/time-range.ts";

const point = (t: number, over: Partial<StatsPoint> = {}): StatsPoint => ({
  t,
  outcome: "ok",
  cold: false,
  handler: 10,
  maxRssKb: 50 * 1024,
  memoryMb: 128,
  concurrency: 1,
  ...over,
});

test("percentiles are nearest-rank", () => {
  const v = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(v, 50), 50);
  assert.equal(percentile(v, 95), 95);
  assert.equal(percentile(v, 99), 99);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([1, 2, 3], 50), 2);
  assert.equal(percentile([], 50), 0);
});

test("totals count errors, throttles apart, cold starts, peak memory and concurrency", () => {
  const points = [
    point(0, { handler: 5 }),
    point(1000, { handler: 7, cold: true, maxRssKb: 80 * 1024 + 1 }),
    point(2000, { handler: 100, outcome: "error" }),
    point(3000, { outcome: "throttle", handler: undefined, concurrency: 0 }),
    point(4000, { handler: 6, concurrency: 3 }),
    point(60_000, { handler: 1 }), // outside [0, 60 s)
  ];
  const s = invocationStats(points, { since: 0, until: 60_000, periodMs: 10_000 });
  assert.equal(s.totals.invocations, 4);
  assert.equal(s.totals.errors, 1);
  assert.equal(s.totals.throttles, 1);
  assert.equal(s.totals.coldStarts, 1);
  assert.deepEqual(s.totals.duration, { p50: 6, p95: 100, p99: 100, max: 100, avg: 29.5 });
  assert.equal(s.totals.maxMemoryUsedMb, 81);
  assert.equal(s.totals.memoryMb, 128);
  assert.equal(s.totals.concurrency, 3);
  assert.equal(s.buckets.length, 6);
  assert.deepEqual(
    s.buckets.map((b) => [b.t, b.invocations, b.throttles]),
    [
      [0, 4, 1],
      [10_000, 0, 0],
      [20_000, 0, 0],
      [30_000, 0, 0],
      [40_000, 0, 0],
      [50_000, 0, 0],
    ],
  );
  assert.equal(s.buckets[1]!.duration, null);
});

test("the default period gives at most 100 points", () => {
  for (const range of [15 * 60_000, 3_600_000, 86_400_000, 7 * 86_400_000]) {
    const p = defaultPeriodMs(range);
    assert.ok(range / p <= 100 && range / p >= 30, `${range} ms in ${p} ms periods`);
  }
});

test("time points: durations back from now and ISO times, anything else refused with the field", () => {
  const now = Date.UTC(2026, 0, 2);
  assert.equal(parseTimePoint("15m", now, "since"), now - 15 * 60_000);
  assert.equal(parseTimePoint("7d", now, "since"), now - 7 * 86_400_000);
  assert.equal(parseTimePoint("2026-01-01T00:00:00Z", now, "since"), Date.UTC(2026, 0, 1));
  assert.throws(
    () => parseTimePoint("yesterday", now, "since"),
    (e: Error & { field?: string }) => e.field === "since",
  );
  assert.throws(
    () => parseTimePoint("1", now, "until"),
    (e: Error & { field?: string }) => e.field === "until",
  );
  assert.throws(() => parseTimePoint("365d", now, "since"), /90 days/);
  assert.deepEqual(parseTimeRange({}, now), { since: now - 3_600_000, until: now });
  assert.throws(() => parseTimeRange({ since: "1m", until: "1h" }, now), /before until/);
});
