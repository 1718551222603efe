// What a local VM's QEMU process costs the host, read from /proc: its proportional set size and its CPU time.
import { readFile } from "node:fs/promises";

/** Linux reports process times in USER_HZ ticks, which is 100 on every architecture Hearth runs on. */
const TICKS_PER_S = 100;

export interface ProcessUsage {
  /** Proportional set size: the process's private pages plus its share of pages mapped by others. */
  pssKb: number;
  /** User and system CPU time so far, in ms. */
  cpuMs: number;
}

/** The usage of process `pid`, or null once it is gone (or not readable). */
export async function processUsage(pid: number): Promise<ProcessUsage | null> {
  try {
    const [rollup, stat] = await Promise.all([
      readFile(`/proc/${pid}/smaps_rollup`, "utf8"),
      readFile(`/proc/${pid}/stat`, "utf8"),
    ]);
    const pss = /^Pss:\s+(\d+) kB/m.exec(rollup);
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!pss || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return { pssKb: Number(pss[1]), cpuMs: ((utime + stime) * 1000) / TICKS_PER_S };
  } catch {
    return null;
  }
}
