// The benchmark report assembler: small result files in, one markdown report with the peers' ratios out.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Machine } from "../../../bench/machine.ts";
import {
  accelsOf,
  assembleReport,
  cliSection,
  memorySection,
  targetRows,
} from "../../../bench/report-format.ts";

const machine: Machine = {
  cores: 2,
  cpu: "Test CPU",
  memoryMiB: 4096,
  accel: "tcg",
  node: "v20.0.0",
  qemu: "7.2.0",
  libvirt: "9.0.0",
  date: "2026-01-01T00:00:00.000Z",
  loadavg: [0.5, 0.4, 0.3],
};

const peers = {
  date: "2026-01-01T00:00:00.000Z",
  machine: { accel: "tcg", load: { start: [1, 1, 1] } },
  versions: { "@aws-sdk/client-lambda": "3.0.0" },
  settings: { invokes: 100, concurrency: 8 },
  results: [
    {
      target: "floor",
      label: "floor",
      sequential: { p50: 0.5, p90: 0.7, p99: 1.5, perSecond: 1800, failed: 0 },
      concurrent: { perSecond: 2600, failed: 0 },
    },
    { target: "peer", label: "serverless-offline", error: "spawn failed\nstack" },
    {
      target: "hearth",
      label: "hearth (tcg)",
      sequential: { p50: 3.5, p90: 5, p99: 12, perSecond: 250, failed: 1 },
      concurrent: { perSecond: 600, failed: 2 },
    },
  ],
  ratios: [
    { name: "Hearth/floor", p50: 7, p99: 8, throughput: 0.23 },
    { name: "Hearth/peer", p50: null, p99: null, throughput: null },
  ],
};

const summary = (median: number, n = 5) => ({
  n,
  median,
  min: median - 1,
  max: median + 1,
  p50: median,
  p99: median + 1,
});

test("the report carries the machine, each bench's table and both peer ratios; missing benches say so", () => {
  const pool = {
    date: "2026-01-01T01:00:00.000Z",
    machine: { accel: "tcg", loadavg: [2, 1, 1] },
    durationS: 170,
    boot: { readyMs: summary(6000) },
    restore: { origins: ["restore"], readyMs: summary(1300), restoreCallMs: summary(800) },
    template: { bootMs: 7000, saveMs: 1700 },
    replaceKilled: { detectMs: summary(20, 3), replaceMs: summary(3000, 3) },
    memory: { idleQemuRssMiB: summary(250, 8) },
    sustain: {
      sustained: 6,
      stopReason: "time cap",
      invokeBoundMs: 500,
      steps: [{ n: 6, qemuRssTotalMiB: 1900, hostAvailableMiB: 1000, load1: 3, worstInvokeMs: 40 }],
    },
  };
  const { markdown, json } = assembleReport(
    {
      peers: { data: peers, date: peers.date },
      pool: { data: pool, date: pool.date },
      cold: { error: "bad JSON" },
    },
    machine,
    [{ name: "pool", seconds: 171, exitCode: 0 }],
  );
  assert.match(markdown, /^# Hearth benchmarks/);
  assert.match(
    markdown,
    /Machine: 2 cores, Test CPU, 4096 MiB, accel tcg, Node v20\.0\.0, QEMU 7\.2\.0, libvirt 9\.0\.0/,
  );
  assert.match(markdown, /\| pool \| 171 \| 0 \|/);
  assert.match(markdown, /\| Hearth\/floor \| 7\.00× \| 8\.00× \| 0\.23× \|/);
  assert.match(markdown, /\| Hearth\/peer \| n\/a \| n\/a \| n\/a \|/);
  assert.match(markdown, /\| serverless-offline \| did not run: spawn failed \|/);
  assert.match(markdown, /\| hearth \(tcg\) \| 3\.50 \| 5\.00 \| 12\.00 \| 250 \| 600 \| 3 \|/);
  assert.match(markdown, /\| boot → agent ready \| 5 \| 6000 \| 5999 \| 6001 \|/);
  assert.match(markdown, /\| QEMU killed → a replacement is ready \| 3 \| 3000 \|/);
  assert.match(markdown, /VMs sustained: \*\*6\*\*/);
  assert.match(markdown, /Not run: no bench-results\/deploy\.json/);
  assert.match(markdown, /Could not be read: bad JSON/);
  assert.deepEqual(json.ratios, peers.ratios);
  assert.equal(json.benches.pool?.data, pool);
  assert.equal(json.benches.cold?.error, "bad JSON");
  assert.equal(json.benches.deploy?.data, undefined);
});

test("a result with unexpected shapes renders dashes instead of failing", () => {
  const { markdown } = assembleReport(
    {
      deploy: { data: { modes: [{ mode: "dynamic", phases: { before: { n: "x" } } }] } },
      engine: { data: [] },
    },
    machine,
  );
  assert.match(markdown, /\| dynamic \| before \| – \| – \|/);
  assert.match(markdown, /engine, in-process, sequential \| – \|/);
});

test("every acceleration the results name is collected", () => {
  assert.deepEqual(
    accelsOf({
      peers: { data: { machine: { accel: "tcg" } } },
      pool: { data: { machine: { accel: "kvm" } } },
      cold: {},
    }),
    ["kvm", "tcg"],
  );
  assert.deepEqual(accelsOf({ peers: { data: { machine: { accel: "unknown (hearth did not run)" } } } }), []);
});

test("the CLI section sets each median against its target and names a run that did not finish", () => {
  const summary = (median: number) => ({ n: 20, median, min: median - 5, max: median + 40 });
  const md = cliSection({
    node: summary(60),
    version: summary(120),
    invoke: summary(310),
    errors: { run: "hearth task ls: run 1: exited 4" },
  }).join("\n");
  assert.match(md, /\| `hearth --version` \| 20 \| 120 \(115–160\) \| ≤ 150 \| met \|/);
  assert.match(md, /\| `hearth invoke echo` of a warm task \| 20 \| 310 \(305–350\) \| ≤ 300 \| missed \|/);
  assert.match(md, /\| `hearth task ls` \| – \| – \| ≤ 250 \| not run \|/);
  assert.match(md, /Node's own start \(`node -e 0`\), the floor under each: 60 \(55–100\) ms/);
  assert.match(md, /- run did not finish: hearth task ls: run 1: exited 4/);
});

test("the memory section computes each target's verdict from the measured numbers", () => {
  const md = memorySection({
    guestMiB: 1024,
    idle: [
      { profiles: 1, vms: 2, squeezed: 2, perVmPssMiB: [180, 220], totalPssMiB: 400, idleSeconds: 40 },
      {
        profiles: 10,
        vms: 20,
        squeezed: 19,
        perVmPssMiB: [150, 160, 170],
        totalPssMiB: 1900,
        idleSeconds: 90,
      },
    ],
    fromZeroMs: { n: 3, median: 1400, min: 1300, max: 1700 },
    targets: {
      idleVmPssMiB: { measured: 220 },
      tenProfilesPssMiB: { measured: 1900 },
    },
  }).join("\n");
  assert.match(md, /\| 1 \| 2 \| 2\/2 \| 180 \| 180–220 \| 400 \| 40 \|/);
  assert.match(md, /\| 10 \| 20 \| 19\/20 \| 160 \| 150–170 \| 1900 \| 90 \|/);
  assert.match(md, /an idle VM's QEMU PSS \(the largest measured\) \| 220 MiB \| ≤ 200 MiB \| not met \|/);
  assert.match(md, /ten idle profiles, QEMU PSS in all \| 1900 MiB \| ≤ 2048 MiB \| met \|/);
  assert.match(md, /next call after scaling to zero \(median\) \| – ms \| ≤ 1500 ms \| not run \|/);
  assert.match(md, /1400 \(1300–1700\) ms over 3 runs/);
});

test("each target's verdict comes from the measured numbers of the benches it needs, across benches", () => {
  const result = (target: string, p50: number, perSecond: number) => ({
    target,
    label: target,
    sequential: { p50, p90: p50, p99: p50 * 2, perSecond: 1000 / p50, failed: 0 },
    concurrent: { perSecond, failed: 0 },
  });
  const peersRun = {
    settings: { concurrency: 8 },
    results: [result("floor", 0.8, 1800), result("peer", 1.6, 650), result("hearth", 1.9, 700)],
    targets: { warmup: { ratio: 1.7 } },
  };
  const deploy = {
    settings: { concurrency: 8 },
    modes: [
      {
        mode: "dynamic",
        target: { newShareAfter3s: 0.995, n: 900, p99MoveOverSteady: 2.4 },
        phases: { during: { failed: 0 }, after: { failed: 0 } },
      },
      { mode: "naive", phases: {} },
    ],
  };
  const byName = (rows: ReturnType<typeof targetRows>, start: string) => {
    const r = rows.find((x) => x.target.startsWith(start));
    assert.ok(r, `a row "${start}"`);
    return r;
  };
  // Only peers: the host's share needs the engine's in-process p50 and is not run; memory and deploy are not run.
  let rows = targetRows({ peers: { data: peersRun } });
  assert.equal(byName(rows, "req/s at c=8").met, true);
  assert.equal(byName(rows, "req/s at c=8").measured?.toFixed(3), (700 / 650).toFixed(3));
  assert.equal(byName(rows, "sequential p50, Hearth").met, false);
  assert.equal(byName(rows, "warm-up").met, false);
  assert.equal(byName(rows, "host's share").met, null);
  assert.equal(byName(rows, "an idle VM's").met, null);
  assert.equal(byName(rows, "deploy at c=8: new version").met, null);
  // With the engine (in-process p50 1.0 ms): 1.9 − 1.0 = 0.9 ms ≤ 0.8 + 0.3 ms.
  rows = targetRows({
    peers: { data: peersRun },
    engine: { data: { warm: { p50: 1.0 } } },
    deploy: { data: deploy },
    memory: {
      data: { targets: { idleVmPssMiB: { measured: 190 }, tenProfilesPssMiB: { measured: 2100 } } },
    },
  });
  assert.equal(byName(rows, "host's share").met, true);
  assert.equal(byName(rows, "host's share").measured?.toFixed(2), "0.90");
  assert.equal(byName(rows, "deploy at c=8: new version").met, true);
  assert.equal(byName(rows, "deploy at c=8: p99").met, false);
  assert.equal(byName(rows, "deploy at c=8: failed").met, true);
  assert.equal(byName(rows, "an idle VM's").met, true);
  assert.equal(byName(rows, "ten idle profiles").met, false);
  assert.equal(byName(rows, "next call after scaling").met, null);
  const { markdown, json } = assembleReport({ peers: { data: peersRun } }, machine);
  assert.match(markdown, /## Targets/);
  assert.match(
    markdown,
    /\| warm-up: p50 of a new sandbox's first calls \/ steady p50 \| 1\.70 × \| ≤ 1\.5 × \| not met \| peers \|/,
  );
  assert.equal(json.targets.length, rows.length);
});
