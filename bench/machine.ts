// The machine a benchmark ran on: cores, CPU, memory, acceleration as probed, Node/QEMU/libvirt versions, date.
import { spawnSync } from "node:child_process";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { chooseAccel } from "../main/vm/accel-probe.ts";
import type { Accel } from "../main/vm/domain-xml.ts";
import { bootFiles, imageDir as defaultImageDir, type ImageManifest } from "../main/vm/image-manifest.ts";

export interface Machine {
  cores: number;
  cpu: string;
  memoryMiB: number;
  /** What a guest really boots with here (a KVM probe that boots, else TCG), or "unknown". */
  accel: Accel | "unknown";
  node: string;
  qemu: string;
  libvirt: string;
  date: string;
  loadavg: number[];
}

function firstLine(cmd: string, args: string[], pattern: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 5000 });
  const line = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").find((l) => pattern.test(l));
  return line ? (pattern.exec(line)?.[1] ?? line.trim()) : "unknown";
}

/** Host facts that cost nothing to read (no guest is booted). */
export function hostFacts(accel: Machine["accel"] = "unknown"): Machine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? "unknown",
    memoryMiB: Math.round(totalmem() / 1048576),
    accel,
    node: process.version,
    qemu: firstLine("qemu-system-x86_64", ["--version"], /QEMU emulator version (\S+)/),
    libvirt: firstLine("libvirtd", ["--version"], /libvirt\)?\s+(\d[\d.]*)/),
    date: new Date().toISOString(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The acceleration Hearth would choose, probed once and cached for every benchmark run on this machine. */
export async function probeAccel(manifest: ImageManifest, imageDir = defaultImageDir()): Promise<Accel> {
  const cache = join(tmpdir(), "hearth-bench", "accel.json");
  return (await chooseAccel(bootFiles(manifest, imageDir), cache)).accel;
}

export function machineLine(m: Machine): string {
  return (
    `Machine: ${m.cores} cores, ${m.cpu}, ${m.memoryMiB} MiB, accel ${m.accel}, Node ${m.node}, ` +
    `QEMU ${m.qemu}, libvirt ${m.libvirt}, ${m.date}, load ${m.loadavg.join(" ")}`
  );
}
