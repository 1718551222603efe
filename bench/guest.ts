// Guest benchmark: boot-to-agent-ready per image layout, ping and warm invoke round trips, idle VM memory.
// Run: npm run bench:guest [-- --runs 5 --invokes 500 --layouts rootfs,initramfs]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildImage } from "../vm-images/builder/build-image.ts";
import { chooseAccel } from "../main/vm/accel-probe.ts";
import { bootFiles, type ImageLayout } from "../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../main/vm/libvirt-driver.ts";
import { bootVm, type BootedVm } from "../main/vm/vm-boot.ts";
import { zipFolder } from "../tests/helpers/zip-folder.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    invokes: { type: "string", default: "500" },
    layouts: { type: "string", default: "rootfs,initramfs" },
  },
});
const runs = Number(values.runs);
const invokes = Number(values.invokes);
const layouts = values.layouts.split(",") as ImageLayout[];

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const median = (xs: number[]): number => pct(xs, 50);

function qemuRssMiB(name: string): number {
  try {
    const pid = readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim();
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const driver = new LibvirtDriver();
const logDir = join(tmpdir(), "hearth-bench-logs");
const results: Record<string, unknown> = {};
const started = Date.now();

for (const layout of layouts) {
  const outDir = layout === "rootfs" ? undefined : join(process.cwd(), "vm-images", `out-${layout}`);
  const manifest = await buildImage({ layout, outDir, log: () => {} });
  const imageDir = outDir ?? join(process.cwd(), "vm-images", "out");
  const { accel } = await chooseAccel(bootFiles(manifest, imageDir));
  const ready: number[] = [];
  const guestBoot: number[] = [];
  const create: number[] = [];
  let last: BootedVm | null = null;
  for (let i = 0; i < runs; i++) {
    // The initramfs layout keeps the whole root in guest RAM (ramfs): it does not boot in 256 MiB.
    const memoryMiB = layout === "initramfs" ? 768 : 256;
    const vm = await bootVm(driver, {
      host: "bench",
      profile: "bench",
      accel,
      manifest,
      imageDir,
      logDir,
      memoryMiB,
      readyTimeoutMs: 60_000,
    });
    ready.push(vm.readyMs);
    create.push(vm.createMs);
    guestBoot.push(vm.session.ready!.bootMs + vm.session.ready!.agentMs);
    if (i < runs - 1) {
      vm.session.close();
      await driver.destroy(vm.name);
    } else last = vm;
  }
  const vm = last!;
  const entry: Record<string, unknown> = {
    accel,
    runs,
    readyMsMedian: median(ready),
    readyMs: ready.map(Math.round),
    createMsMedian: median(create),
    guestUptimeAtReadyMsMedian: median(guestBoot),
    files: Object.fromEntries(Object.entries(manifest.files).map(([k, f]) => [k, f.size])),
  };
  if (layout === layouts[0]) {
    const pings: number[] = [];
    for (let i = 0; i < invokes; i++) pings.push((await vm.session.ping()).rttUs);
    const { zip, sha256 } = await zipFolder(fixtureDir("echo-node"));
    const spec = {
      runtime: "nodejs" as const,
      handler: "index.handler",
      functionName: "echo",
      functionVersion: "1",
      memoryMb: 128,
      timeoutMs: 5000,
      env: {},
    };
    const t0 = performance.now();
    const loaded = await vm.session.load(1, spec, zip, sha256);
    const loadMs = performance.now() - t0;
    const rtt: number[] = [];
    const payload = JSON.stringify({ hello: "world", n: 42 });
    for (let i = 0; i < 20; i++) await vm.session.invoke(1, payload);
    for (let i = 0; i < invokes; i++) rtt.push((await vm.session.invoke(1, payload)).roundTripMs);
    await new Promise((r) => setTimeout(r, 2000));
    const stats = await vm.session.stats();
    Object.assign(entry, {
      pingRttUs: { p50: pct(pings, 50), p99: pct(pings, 99), n: pings.length },
      echoLoadMs: loadMs,
      echoInitMs: loaded.initMs,
      warmInvokeMs: { p50: pct(rtt, 50), p99: pct(rtt, 99), n: rtt.length },
      idle: {
        qemuRssMiB: qemuRssMiB(vm.name),
        guestUsedMiB: (stats.memTotalKb - stats.memAvailableKb) / 1024,
        guestTotalMiB: stats.memTotalKb / 1024,
        agentRssMiB: stats.agentRssKb / 1024,
        echoSandboxRssMiB: (stats.sandboxes[0]?.rssKb ?? 0) / 1024,
      },
    });
  } else {
    const stats = await vm.session.stats();
    Object.assign(entry, {
      idle: {
        qemuRssMiB: qemuRssMiB(vm.name),
        guestUsedMiB: (stats.memTotalKb - stats.memAvailableKb) / 1024,
      },
    });
  }
  vm.session.close();
  await driver.destroy(vm.name);
  results[layout] = entry;
  process.stderr.write(`${layout}: ${JSON.stringify(entry)}\n`);
}
await driver.close();

const report = {
  machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  durationS: (Date.now() - started) / 1000,
  layouts: results,
};
mkdirSync("bench-results", { recursive: true });
writeFileSync("bench-results/guest.json", `${JSON.stringify(report, null, 2)}\n`);
const fmt = (n: unknown): string => (typeof n === "number" ? n.toFixed(n < 10 ? 2 : 0) : String(n));
const rows = Object.entries(results).map(([layout, r]) => {
  const e = r as Record<string, Record<string, number> | number>;
  const idle = e.idle as Record<string, number>;
  return `| ${layout} | ${e.accel} | ${fmt(e.readyMsMedian)} | ${fmt(e.guestUptimeAtReadyMsMedian)} | ${fmt(idle.qemuRssMiB)} | ${fmt(idle.guestUsedMiB)} |`;
});
const md = [
  `Machine: ${report.machine.cores} cores, ${report.machine.cpu}, Node ${report.machine.node}`,
  "",
  "| layout | accel | create→agent ready, median ms | guest uptime at ready, median ms | idle QEMU RSS MiB | guest used MiB |",
  "|---|---|---|---|---|---|",
  ...rows,
];
const first = results[layouts[0]!] as Record<string, Record<string, number>>;
if (first.pingRttUs) {
  md.push(
    "",
    `Ping round trip: p50 ${fmt(first.pingRttUs.p50)} µs, p99 ${fmt(first.pingRttUs.p99)} µs (n=${first.pingRttUs.n})`,
    `Warm echo-node invoke round trip (host → sandbox → host): p50 ${fmt(first.warmInvokeMs!.p50)} ms, p99 ${fmt(first.warmInvokeMs!.p99)} ms (n=${first.warmInvokeMs!.n})`,
  );
}
writeFileSync("bench-results/guest.md", `${md.join("\n")}\n`);
process.stdout.write(`${md.join("\n")}\n`);
