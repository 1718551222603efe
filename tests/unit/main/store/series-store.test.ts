// The bounded series: records survive a restart, the folder never passes its bound, a cut line is dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SeriesStore } from "../../../../main/store/series-store.ts";

interface Rec {
  t: number;
  n: number;
  pad: string;
}
const decode = (v: unknown): Rec | null =>
  typeof v === "object" && v !== null && typeof (v as Rec).t === "number" ? (v as Rec) : null;

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

test("written past its bound, the folder keeps the newest records within the bound", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-series-"));
  const maxBytes = 256 * 1024;
  const s = new SeriesStore<Rec>(dir, { maxBytes, flushMs: 5 }, decode);
  await s.open();
  let evicted = 0;
  s.onEvict = (n) => (evicted += n);
  const pad = "x".repeat(200);
  // About 2.6 MB in all: ten times the bound.
  for (let i = 0; i < 12_000; i++) {
    s.append({ t: 1_000_000 + i, n: i, pad });
    if (i % 1000 === 999) await s.flush();
  }
  await s.flush();
  const bytes = folderBytes(dir);
  assert.ok(bytes <= maxBytes, `the folder holds ${bytes} bytes, over its ${maxBytes}`);
  assert.ok(bytes > maxBytes * 0.7, `the folder holds only ${bytes} bytes: too much went`);
  assert.equal(await s.diskBytes(), bytes);
  const kept: number[] = [];
  await s.scan({}, (r) => void kept.push(r.n));
  assert.equal(kept.at(-1), 11_999, "the newest record is kept");
  assert.equal(kept.length + evicted, 12_000, "every record is either kept or counted as evicted");
  assert.deepEqual(
    kept,
    Array.from({ length: kept.length }, (_, i) => 12_000 - kept.length + i),
    "what is kept is the newest, in order, without gaps",
  );

  // A restart reads back exactly what is kept.
  const again = new SeriesStore<Rec>(dir, { maxBytes, flushMs: 5 }, decode);
  const read = await again.open();
  assert.deepEqual(
    read.map((r) => r.n),
    kept,
  );
});

test("a scan reads a range, newest first when asked, and stops when told", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-series-"));
  const s = new SeriesStore<Rec>(dir, { maxBytes: 1024 * 1024, segmentBytes: 16 * 1024 }, decode);
  await s.open();
  for (let i = 0; i < 500; i++) s.append({ t: i * 10, n: i, pad: "y".repeat(50) });
  await s.flush();
  s.append({ t: 5000, n: 500, pad: "" }); // still queued: scans see it too
  const asc: number[] = [];
  await s.scan({ since: 100, until: 200 }, (r) => void asc.push(r.n));
  assert.deepEqual(asc, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const desc: number[] = [];
  await s.scan({ newestFirst: true }, (r) => {
    desc.push(r.n);
    return desc.length === 3;
  });
  assert.deepEqual(desc, [500, 499, 498]);
  assert.ok(s.segmentCount > 1, "the records span several segments");
});

test("a line cut by a crash is dropped and the file goes on cleanly", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-series-"));
  const s = new SeriesStore<Rec>(dir, { maxBytes: 1024 * 1024 }, decode);
  await s.open();
  s.append({ t: 1, n: 1, pad: "" });
  await s.flush();
  const [file] = readdirSync(dir);
  appendFileSync(join(dir, file!), '{"t":2,"n":2,"pa');
  const again = new SeriesStore<Rec>(dir, { maxBytes: 1024 * 1024 }, decode);
  assert.deepEqual(
    (await again.open()).map((r) => r.n),
    [1],
  );
  again.append({ t: 3, n: 3, pad: "" });
  await again.flush();
  const third = new SeriesStore<Rec>(dir, { maxBytes: 1024 * 1024 }, decode);
  assert.deepEqual(
    (await third.open()).map((r) => r.n),
    [1, 3],
  );
});

test("a bound under 64 KB is refused", () => {
  assert.throws(() => new SeriesStore<Rec>("/nonexistent", { maxBytes: 1000 }, decode), /INVALID_CONFIG/);
});
