// `hearth vm probe`: boot and restore real VMs and report what they cost (boot, restore, ping, memory).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chooseAccel } from "./accel-probe.ts";
import type { Accel } from "./domain-xml.ts";
import { bootFiles, type ImageManifest } from "./image-manifest.ts";
import { LibvirtDriver } from "./libvirt-driver.ts";
import { VmPool } from "./pool.ts";
import { bootVm } from "./vm-boot.ts";

export interface ProbeReport {
  accel: Accel;
  runs: number;
  /** Cold boot: create → agent ready, median. */
  bootMs: number;
  /** A restored clone: copy + restore + agent ready + clock/entropy sync, median. */
  readyMs: number;
  /** The libvirt restore call alone, median. */
  restoreMs: number;
  pingRttUs: number;
  /** QEMU's resident memory for an idle restored VM. */
  rssMiB: number;
  samples: { bootMs: number[]; readyMs: number[]; restoreMs: number[] };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

function rssMiB(pid: number | null): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

export async function probeVms(o: {
  manifest: ImageManifest;
  dataDir: string;
  runs: number;
  log: (msg: string) => void;
}): Promise<ProbeReport> {
  const driver = new LibvirtDriver();
  const { accel } = await chooseAccel(bootFiles(o.manifest));
  const samples = { bootMs: [] as number[], readyMs: [] as number[], restoreMs: [] as number[] };
  const pool = new VmPool({
    driver,
    manifest: o.manifest,
    accel,
    dataDir: o.dataDir,
    warm: 1,
    maxPerProfile: 1,
  });
  try {
    await pool.start();
    for (let i = 0; i < o.runs; i++) {
      const vm = await bootVm(driver, {
        host: pool.hostId,
        profile: "probe",
        accel,
        manifest: o.manifest,
        logDir: join(o.dataDir, "logs", "vms"),
      });
      samples.bootMs.push(vm.readyMs);
      o.log(`boot ${i + 1}/${o.runs}: ${vm.readyMs.toFixed(0)} ms`);
      vm.session.close();
      await driver.destroy(vm.name);
    }
    let pingRttUs = NaN;
    let rss = NaN;
    for (let i = 0; i < o.runs; i++) {
      const vm = await pool.acquire("probe");
      samples.readyMs.push(vm.readyMs ?? NaN);
      samples.restoreMs.push(vm.restoreMs ?? NaN);
      o.log(
        `${vm.origin} ${i + 1}/${o.runs}: ready ${vm.readyMs?.toFixed(0)} ms (restore call ${vm.restoreMs?.toFixed(0)} ms)`,
      );
      if (i === o.runs - 1) {
        const pings: number[] = [];
        for (let j = 0; j < 50; j++) pings.push((await vm.session!.ping()).rttUs);
        pingRttUs = median(pings);
        rss = rssMiB(await driver.pid(vm.name));
      }
      await pool.retire(vm, "probe done");
    }
    return {
      accel,
      runs: o.runs,
      bootMs: Math.round(median(samples.bootMs)),
      readyMs: Math.round(median(samples.readyMs)),
      restoreMs: Math.round(median(samples.restoreMs)),
      pingRttUs: Math.round(pingRttUs),
      rssMiB: rss,
      samples: {
        bootMs: samples.bootMs.map(Math.round),
        readyMs: samples.readyMs.map(Math.round),
        restoreMs: samples.restoreMs.map(Math.round),
      },
    };
  } finally {
    await pool.close();
    await driver.close();
  }
}
