// The Logs and Monitor views' logic and stores: a call's log as Lambda prints it, its waterfall, the charts' columns,
// and the stores' loading (latest answer wins, a live tail's records, a poll while watched).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InvocationStatsView, InvocationView, LogRecord, StatsFigures } from "../../../main/contract.ts";
import { callerText, lambdaLines, outcomeText } from "../../../renderer/logic/invocation-text.ts";
import { statsColumns } from "../../../renderer/logic/stats-series.ts";
import { waterfall } from "../../../renderer/logic/timeline.ts";
import { createLogsStore, LOGS_END_SETTLE_MS } from "../../../renderer/stores/logs-store.ts";
import { createMonitorStore } from "../../../renderer/stores/monitor-store.ts";
import type { Timers } from "../../../renderer/stores/timers.ts";
import { fakeApi, tick } from "./fake-api.ts";

function view(id: string, over: Partial<InvocationView> = {}): InvocationView {
  return {
    requestId: id,
    t: "2030-01-01T10:00:00.000Z",
    task: "orders",
    caller: "alice",
    via: { kind: "profile" },
    version: "$LATEST",
    outcome: "ok",
    coldStart: false,
    phases: { queue: 1, handler: 10, transfer: 2, host: 1 },
    totalMs: 14,
    durationMs: 10,
    maxMemoryUsedMb: 45,
    memoryMb: 256,
    concurrency: 1,
    ...over,
  };
}

const rec = (inv: string, kind: LogRecord["kind"], t: string, more: Partial<LogRecord> = {}): LogRecord => ({
  t,
  inv,
  caller: "p1",
  kind,
  ...more,
});

function manualTimers() {
  const every = new Map<number, () => void>();
  const once = new Map<number, () => void>();
  let next = 1;
  const timers: Timers = {
    setInterval: (fn) => (every.set(next, fn), next++),
    clearInterval: (h) => every.delete(h as number),
    setTimeout: (fn) => (once.set(next, fn), next++),
    clearTimeout: (h) => once.delete(h as number),
  };
  return {
    timers,
    fire: () => [...every.values()].forEach((f) => f()),
    settle: () => {
      const due = [...once.values()];
      once.clear();
      due.forEach((f) => f());
    },
    active: () => every.size + once.size,
  };
}

test("a call's log reads as Lambda's: START, its lines, END, and REPORT with Init Duration on a cold start", () => {
  const lines = lambdaLines([
    rec("r1", "start", "a", { version: "3" }),
    rec("r1", "line", "b", { stream: "stderr", line: "oops" }),
    rec("r1", "end", "c", {
      ok: true,
      durationMs: 12.345,
      memoryMb: 256,
      maxMemoryUsedMb: 45,
      initMs: 120.5,
    }),
  ]);
  assert.deepEqual(
    lines.map((l) => l.text),
    [
      "START RequestId: r1 Version: 3",
      "oops",
      "END RequestId: r1",
      "REPORT RequestId: r1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 45 MB\tInit Duration: 120.50 ms",
    ],
  );
  assert.equal(lines[1]!.stream, "stderr");
});

test("who called and how it ended, as the group's header says it", () => {
  assert.equal(callerText(view("a")), "alice");
  assert.equal(callerText(view("a", { via: { kind: "token", label: "ci" } })), "token ci");
  assert.equal(callerText(view("a", { via: { kind: "remote" } })), "remote");
  assert.equal(callerText(view("a", { via: { kind: "api", label: "shop" } })), "API shop");
  assert.equal(outcomeText(view("a", { outcome: "error", errorType: "TypeError" })), "error TypeError");
  assert.equal(outcomeText(view("a", { outcome: "throttle" })), "throttled");
});

test("the waterfall places each phase after the ones before it, sized by its share of the total", () => {
  const w = waterfall(
    view("a", {
      coldStart: true,
      vmTake: "restored",
      phases: { queue: 10, vm: 40, load: 20, init: 10, handler: 15, transfer: 3, host: 2 },
      totalMs: 100,
    }),
  );
  assert.deepEqual(
    w.rows.map((r) => [r.phase, r.label, r.offsetPct, r.widthPct]),
    [
      ["queue", "Queue", 0, 10],
      ["vm", "VM (restored)", 10, 40],
      ["load", "Load", 50, 20],
      ["init", "Init", 70, 10],
      ["handler", "Handler", 80, 15],
      ["transfer", "Transfer", 95, 3],
      ["host", "Host", 98, 2],
    ],
  );
  // A warm call has no VM, load or init rows.
  assert.deepEqual(
    waterfall(view("b")).rows.map((r) => r.phase),
    ["queue", "handler", "transfer", "host"],
  );
});

const figures = (over: Partial<StatsFigures> = {}): StatsFigures => ({
  invocations: 0,
  errors: 0,
  throttles: 0,
  coldStarts: 0,
  duration: null,
  maxMemoryUsedMb: 0,
  memoryMb: 0,
  concurrency: 0,
  ...over,
});

function stats(n: number): InvocationStatsView {
  return {
    since: 0,
    until: n * 10_000,
    periodMs: 10_000,
    totals: figures({ invocations: n, memoryMb: 256, maxMemoryUsedMb: 50 }),
    buckets: Array.from({ length: n }, (_, i) => ({
      t: i * 10_000,
      ...(i % 2 === 0
        ? figures()
        : figures({
            invocations: 2,
            errors: 1,
            duration: { p50: 5, p95: 9, p99: 9, max: 9, avg: 6 },
            maxMemoryUsedMb: 50,
            memoryMb: 256,
            concurrency: 2,
          })),
    })),
  };
}

test("the charts' columns: x in seconds, gaps where no call ran, the memory limit across the whole range", () => {
  const c = statsColumns(stats(4));
  assert.deepEqual(c.calls, [
    [0, 10, 20, 30],
    [0, 2, 0, 2],
    [0, 1, 0, 1],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(c.duration[1], [null, 5, null, 5]);
  assert.deepEqual(c.memory, [
    [0, 10, 20, 30],
    [null, 50, null, 50],
    [256, 256, 256, 256],
  ]);
  // Thousands of buckets take one pass.
  assert.equal(statsColumns(stats(5000)).concurrency[0]!.length, 5000);
});

test("monitor: watching loads now and on every tick; a changed scope drops the old answer", async () => {
  const asked: unknown[] = [];
  let release: (() => void) | null = null;
  const api = fakeApi({
    invocationStats: async (input) => {
      asked.push(input);
      if (input.task === "slow") await new Promise<void>((r) => (release = r));
      return stats(2);
    },
  });
  const t = manualTimers();
  const store = createMonitorStore(api, t.timers, () => 42);
  const stop = store.getState().watch();
  await tick();
  assert.deepEqual(asked, [{ since: "1h" }]);
  assert.equal(store.getState().updatedAt, 42);
  store.getState().choose({ task: { task: "slow" } });
  assert.equal(store.getState().stats, null);
  store
    .getState()
    .choose({ task: { task: "orders", ownerAccountId: "123456789012" }, alias: "prod", range: "15m" });
  await tick();
  release!();
  await tick();
  assert.deepEqual(asked.at(-1), {
    task: "orders",
    ownerAccountId: "123456789012",
    alias: "prod",
    since: "15m",
  });
  assert.equal(store.getState().task?.task, "orders");
  t.fire();
  await tick();
  assert.equal(asked.length, 4);
  stop();
  assert.equal(t.active(), 0);
});

test("logs: calls with their kept records; a request id is looked up whatever its age", async () => {
  const api = fakeApi({
    listInvocations: () => [view("r2", { t: "2030-01-01T10:00:05.000Z" }), view("r1")],
    queryLogs: () => [
      rec("r0", "start", "2030-01-01T09:59:59.500Z"),
      rec("r1", "start", "2030-01-01T10:00:00.001Z"),
      rec("r1", "end", "2030-01-01T10:00:00.020Z", { ok: true }),
      rec("r2", "start", "2030-01-01T10:00:05.001Z"),
    ],
  });
  const store = createLogsStore(api, manualTimers().timers);
  const stop = store.getState().watch();
  await tick();
  assert.deepEqual(api.calls[0], { name: "listInvocations", input: { since: "1h", limit: 200 } });
  assert.deepEqual(api.calls[1], {
    name: "queryLogs",
    input: { task: "orders", since: "2030-01-01T09:59:59.000Z", limit: 10_000 },
  });
  assert.deepEqual(Object.keys(store.getState().records).sort(), ["r1", "r2"]);
  assert.equal(store.getState().records.r1!.length, 2);

  store.getState().showInvocation("r1", { task: "orders" });
  await tick();
  assert.equal(store.getState().timeline, "r1");
  assert.deepEqual(api.calls.at(-2), {
    name: "listInvocations",
    input: { task: "orders", invocation: "r1", limit: 200 },
  });
  assert.deepEqual(api.calls.at(-1), {
    name: "queryLogs",
    input: { task: "orders", invocation: "r1", limit: 10_000 },
  });
  stop();
});

test("logs, live on a task: the tail's records show a running call, its end re-reads the list", async () => {
  let listed: InvocationView[] = [];
  const api = fakeApi({ listInvocations: () => listed, queryLogs: () => [] });
  let onRecord: ((r: LogRecord) => void) | null = null;
  let tails = 0;
  api.liveLogs = (q, fn) => {
    assert.deepEqual(q, { task: "orders" });
    onRecord = fn;
    tails++;
    return () => void (onRecord = null);
  };
  const t = manualTimers();
  const store = createLogsStore(api, t.timers);
  store.getState().setFilter({ task: { task: "orders" } });
  const stop = store.getState().watch();
  store.getState().setLive(true);
  await tick();
  assert.equal(tails, 1);
  onRecord!(rec("r9", "start", "2030-01-01T10:00:00.000Z"));
  onRecord!(rec("r9", "line", "2030-01-01T10:00:00.010Z", { line: "hi" }));
  onRecord!(rec("r9", "line", "2030-01-01T10:00:00.010Z", { line: "hi" }));
  assert.deepEqual(store.getState().running, ["r9"]);
  assert.equal(store.getState().records.r9!.length, 2);
  listed = [view("r9")];
  onRecord!(rec("r9", "end", "2030-01-01T10:00:00.020Z", { ok: true }));
  t.settle();
  await tick(LOGS_END_SETTLE_MS / 50);
  assert.deepEqual(store.getState().running, []);
  assert.deepEqual(
    store.getState().invocations.map((v) => v.requestId),
    ["r9"],
  );
  // What the tail brought stays with the listed call, though the kept log answered nothing yet.
  assert.equal(store.getState().records.r9!.length, 3);
  stop();
  assert.equal(onRecord, null);
  assert.equal(t.active(), 0);
});
