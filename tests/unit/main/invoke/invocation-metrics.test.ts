// Invocation metrics: the in-memory index answers the same numbers as the records, survives a restart, and loses
// exactly the rows of a segment that goes when the bound is reached.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvocationRecord } from "../../../../main/domain/metrics/invocation-record.ts";
import { decodeInvocationRecord } from "../../../../main/domain/metrics/invocation-record.ts";
import { InvocationMetrics } from "../../../../main/invoke/invocation-metrics.ts";

const rec = (i: number, over: Partial<InvocationRecord> = {}): InvocationRecord => ({
  id: `req-${i}`,
  t: 1_700_000_000_000 + i * 1000,
  task: i % 2 ? "tsk_a" : "tsk_b",
  owner: "prf_o",
  caller: i % 3 ? "prf_o" : "prf_c",
  via: { kind: "profile" },
  version: "$LATEST",
  served: "$LATEST",
  outcome: i % 5 === 0 ? "error" : "ok",
  cold: i === 1,
  phases: { queue: 0.5, handler: 1 + (i % 10), transfer: 0.3, host: 0.1 },
  total: 2 + (i % 10),
  maxRssKb: 40_000 + i,
  memoryMb: 128,
  concurrency: 1,
  ...over,
});

test("stats and lists by task, alias and caller; a restart reads the same", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-"));
  const m = new InvocationMetrics({ dir, maxBytes: 10 * 1024 * 1024 });
  await m.open();
  for (let i = 0; i < 300; i++) m.record(rec(i, i === 7 ? { alias: "als_x" } : {}));
  const range = { since: 1_700_000_000_000, until: 1_700_000_000_000 + 300_000 };
  const a = m.stats({ task: "tsk_a" }, range);
  assert.equal(a.totals.invocations, 150);
  assert.equal(a.totals.errors, 30); // odd i divisible by 5
  assert.equal(a.totals.coldStarts, 1);
  assert.equal(m.stats({ task: "tsk_a", alias: "als_x" }, range).totals.invocations, 1);
  assert.equal(m.stats({ task: "tsk_a", caller: "prf_c" }, range).totals.invocations, 50);
  assert.equal(m.stats({ tasks: new Set(["tsk_a", "tsk_b"]) }, range).totals.invocations, 300);
  assert.equal(m.stats({ task: "tsk_none" }, range).totals.invocations, 0);
  const latest = await m.list({ task: "tsk_b", limit: 3 });
  assert.deepEqual(
    latest.map((r) => r.id),
    ["req-298", "req-296", "req-294"],
  );
  assert.equal((await m.get("req-7"))?.alias, "als_x");
  await m.close();

  const again = new InvocationMetrics({ dir, maxBytes: 10 * 1024 * 1024 });
  await again.open();
  assert.deepEqual(again.stats({ task: "tsk_a" }, range), a);
});

test("when the bound is passed, the index drops exactly the records that went", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-"));
  const m = new InvocationMetrics({ dir, maxBytes: 128 * 1024, flushMs: 1 });
  await m.open();
  for (let i = 0; i < 3000; i++) {
    m.record(rec(i, { task: "tsk_a" }));
    if (i % 100 === 99) await m.flush();
  }
  await m.flush();
  assert.ok((await m.series.diskBytes()) <= 128 * 1024);
  const onDisk: string[] = [];
  await m.series.scan({}, (r) => void onDisk.push(r.id));
  assert.ok(onDisk.length < 3000 && onDisk.length > 100);
  assert.equal(m.count, onDisk.length);
  const all = m.stats({ task: "tsk_a" }, { since: 0, until: 2e12, periodMs: 86_400_000 * 365 });
  assert.equal(all.totals.invocations, onDisk.length);
});

test("a damaged record is not read back", () => {
  assert.equal(decodeInvocationRecord({ ...rec(1), outcome: "maybe" }), null);
  assert.equal(decodeInvocationRecord({ ...rec(1), phases: { queue: "1", host: 0 } }), null);
  assert.equal(decodeInvocationRecord({ ...rec(1), take: "stolen" }), null);
  assert.ok(decodeInvocationRecord(JSON.parse(JSON.stringify(rec(1)))));
});

test("100k kept calls: stats over 7 days and the newest page answer quickly, and a restart reads them back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-"));
  const m = new InvocationMetrics({ dir, maxBytes: 40 * 1024 * 1024 });
  await m.open();
  const start = 1_700_000_000_000;
  for (let i = 0; i < 100_000; i++) {
    m.record(rec(i, { t: start + i * 6000, id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
  }
  await m.flush();
  const bytes = await m.series.diskBytes();
  const range = { since: start, until: start + 7 * 86_400_000 };
  let t0 = performance.now();
  const s = m.stats({ task: "tsk_a" }, range);
  const statsMs = performance.now() - t0;
  assert.equal(s.totals.invocations, 50_000);
  t0 = performance.now();
  const page = await m.list({ task: "tsk_a", limit: 200 });
  const listMs = performance.now() - t0;
  assert.equal(page.length, 200);
  t0 = performance.now();
  const again = new InvocationMetrics({ dir, maxBytes: 40 * 1024 * 1024 });
  await again.open();
  const openMs = performance.now() - t0;
  assert.equal(again.count, 100_000);
  console.log(
    `100k calls: ${(bytes / 1024 / 1024).toFixed(1)} MB on disk; 7-day stats of 50k in ${statsMs.toFixed(0)} ms, ` +
      `newest 200 in ${listMs.toFixed(0)} ms, read back in ${openMs.toFixed(0)} ms`,
  );
  assert.ok(statsMs < 500, `stats took ${statsMs} ms`);
  assert.ok(listMs < 500, `the newest page took ${listMs} ms`);
});
