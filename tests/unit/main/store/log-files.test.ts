// Task log files: append, rotate at the cap, keep a bounded number of files, and find records again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogFiles, type LogRecord } from "../../../../main/store/log-files.ts";

const rec = (i: number, over: Partial<LogRecord> = {}): LogRecord => ({
  t: new Date(Date.UTC(2026, 10, 23, 12, 0, i)).toISOString(),
  inv: `inv-${Math.floor(i / 10)}`,
  caller: i % 2 ? "prf_b" : "prf_a",
  kind: "line",
  stream: "stdout",
  line: `line ${i}`,
  ...over,
});

test("records come back in order and filtered by invocation, caller, text and time", async () => {
  const logs = new LogFiles(mkdtempSync(join(tmpdir(), "hearth-logs-")));
  await logs.append(
    "tsk_1",
    Array.from({ length: 30 }, (_, i) => rec(i)),
  );
  assert.deepEqual(
    (await logs.query("tsk_1", { invocation: "inv-1" })).map((r) => r.line),
    Array.from({ length: 10 }, (_, i) => `line ${i + 10}`),
  );
  assert.ok((await logs.query("tsk_1", { caller: "prf_b" })).every((r) => r.caller === "prf_b"));
  assert.deepEqual(
    (await logs.query("tsk_1", { text: "LINE 2" })).map((r) => r.line),
    ["line 2", ...Array.from({ length: 10 }, (_, i) => `line ${20 + i}`)],
  );
  const since = rec(25).t;
  assert.equal((await logs.query("tsk_1", { since })).length, 5);
  assert.deepEqual(
    (await logs.query("tsk_1", { limit: 3 })).map((r) => r.line),
    ["line 27", "line 28", "line 29"],
  );
  assert.deepEqual(await logs.query("tsk_other"), []);
});

test("a file past its cap is rotated, and only the configured number of old files is kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-logs-"));
  const logs = new LogFiles(dir, { maxFileBytes: 2000, keepFiles: 2 });
  for (let i = 0; i < 100; i++) await logs.append("tsk_r", [rec(i, { line: `${"x".repeat(100)} ${i}` })]);
  assert.deepEqual(readdirSync(join(dir, "tsk_r")).sort(), ["1.log", "2.log", "current.log"]);
  const all = await logs.query("tsk_r", { limit: 10_000 });
  // The newest records survive rotation and the oldest are gone; the order stays chronological.
  assert.equal(all.at(-1)!.line, `${"x".repeat(100)} 99`);
  assert.ok(all.length < 100 && all.length > 10, `${all.length} records kept`);
  assert.notEqual(all[0]!.line, `${"x".repeat(100)} 0`);
  const numbers = all.map((r) => Number(r.line!.split(" ")[1]));
  assert.deepEqual(
    numbers,
    [...numbers].sort((a, b) => a - b),
  );
});

test("half a record left by a crash is skipped, and the next record starts on a line of its own", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-logs-"));
  const logs = new LogFiles(dir);
  await logs.append("tsk_c", [rec(1)]);
  appendFileSync(join(dir, "tsk_c", "current.log"), '{"t":"2026-11-23T12:00:0');
  writeFileSync(join(dir, "unrelated"), "x");
  const fresh = new LogFiles(dir);
  await fresh.append("tsk_c", [rec(2)]);
  assert.deepEqual(
    (await fresh.query("tsk_c")).map((r) => r.line),
    ["line 1", "line 2"],
  );
});

test("task ids that could leave the log folder are refused", async () => {
  const logs = new LogFiles(mkdtempSync(join(tmpdir(), "hearth-logs-")));
  await assert.rejects(logs.append("../etc", [rec(1)]), /INVALID_INPUT/);
  await assert.rejects(logs.query("a/b"), /INVALID_INPUT/);
});

test("all tasks' logs together stay within their bound: the oldest files go first, the newest stays", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-logs-"));
  const maxTotalBytes = 64 * 1024;
  const logs = new LogFiles(dir, { maxFileBytes: 8 * 1024, keepFiles: 4, maxTotalBytes });
  const line = "y".repeat(400);
  // About 1.2 MB over twenty tasks: far past the bound.
  for (let round = 0; round < 150; round++) {
    for (let task = 0; task < 20; task++) {
      await logs.append(`tsk_${task}`, [
        rec(round, { inv: `inv-${task}-${round}`, line: `${line} ${round}` }),
      ]);
    }
  }
  const total = await logs.totalBytes();
  assert.ok(total <= maxTotalBytes, `${total} bytes kept, over the ${maxTotalBytes} bound`);
  assert.ok(total > maxTotalBytes / 2, `only ${total} bytes kept: too much went`);
  // The last task written still has its newest record.
  const newest = await logs.query("tsk_19", { limit: 1 });
  assert.equal(newest[0]?.line, `${line} 149`);
  // A fresh process counts what is on disk and keeps the bound too.
  const again = new LogFiles(dir, { maxFileBytes: 8 * 1024, keepFiles: 4, maxTotalBytes });
  for (let i = 0; i < 50; i++) await again.append("tsk_new", [rec(i, { line })]);
  assert.ok((await again.totalBytes()) <= maxTotalBytes);
  assert.equal((await again.query("tsk_new", { limit: 1 }))[0]?.line, line);
});
