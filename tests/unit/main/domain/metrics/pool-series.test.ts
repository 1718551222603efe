// The pool's samples reduced for charts: the most memory and the mean CPU per period, starts counted per hour.
import { test } from "node:test";
import assert from "node:assert/strict";
import { poolHistoryView, type PoolSamplePoint } from "../../../../../main/domain/metrics/pool-series.ts";

const s = (t: number, over: Partial<PoolSamplePoint> = {}): PoolSamplePoint => ({
  t,
  kind: "vm",
  vm: "hearth-a",
  profile: "prf_1",
  pssKb: 100 * 1024,
  guestUsedKb: 60 * 1024,
  cpuPct: 10,
  sandboxes: 1,
  calls: 0,
  ...over,
});

test("samples become one point per period per VM, starts are counted per hour", () => {
  const h = 3_600_000;
  const view = poolHistoryView(
    [
      s(0, { pssKb: 100 * 1024, cpuPct: 10, calls: 1 }),
      s(5_000, { pssKb: 150 * 1024, cpuPct: 30, calls: 4, sandboxes: 2 }),
      s(10_000, { pssKb: undefined, cpuPct: undefined, calls: 5 }),
      s(0, { vm: "hearth-b", profile: "prf_2" }),
      { t: 100, kind: "start", vm: "hearth-a", profile: "prf_1", origin: "restore", readyMs: 800 },
      { t: h + 1, kind: "start", vm: "hearth-b", profile: "prf_2", origin: "boot" },
      { t: h + 2, kind: "start", vm: "hearth-c", profile: "prf_2", origin: "restore" },
      s(3 * h), // outside the range
    ],
    { since: 0, until: 2 * h, periodMs: 10_000, profileName: (id) => (id === "prf_1" ? "alice" : "bob") },
  );
  assert.deepEqual(
    view.vms.map((v) => [v.vm, v.profile]),
    [
      ["hearth-a", "alice"],
      ["hearth-b", "bob"],
    ],
  );
  assert.deepEqual(view.vms[0]!.points, [
    { t: 0, pssMb: 150, guestUsedMb: 60, cpuPct: 20, sandboxes: 2, calls: 4 },
    { t: 10_000, pssMb: null, guestUsedMb: 60, cpuPct: null, sandboxes: 1, calls: 5 },
  ]);
  assert.deepEqual(view.starts, [
    { t: 0, boots: 0, restores: 1 },
    { t: h, boots: 1, restores: 1 },
  ]);
  assert.equal(view.startList.length, 3);
  assert.equal(view.startList[0]!.readyMs, 800);
});
