// What the reliability suite's files share: a real Host in a temporary data directory with profiles and tasks,
// waiting for a condition, and what libvirt itself says is running.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host, type HostOptions } from "../../main/host.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "./fixtures.ts";
import { importFolder } from "./import-fixture.ts";

export async function startHost(
  prefix: string,
  o: Omit<HostOptions, "dataDir"> = {},
): Promise<{ host: Host; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), `hearth-${prefix}-`));
  return { host: await Host.start({ dataDir, ...o }), dataDir };
}

/**
 * Closes a host started by startHost, removes its data directory and returns the names of its VMs libvirt still
 * runs (none, when closing worked).
 */
export async function closeHost(host: Host | undefined, dataDir: string): Promise<string[]> {
  const hostId = host?.pool.hostId;
  await host?.close();
  const left = host && hostId ? (await host.driver.list()).filter((d) => d.metadata?.host === hostId) : [];
  await host?.driver.close();
  rmSync(dataDir, { recursive: true, force: true });
  return left.map((d) => d.name);
}

/** Creates a profile and imports the named fixture tasks into it; returns the profile's id. */
export async function profileWith(host: Host, name: string, fixtures: string[]): Promise<string> {
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const { profile } = await host.store.documents.update((s) => createProfile(s, { name }, ctx));
  for (const f of fixtures) await importFolder(host.store, profile.id, fixtureDir(f));
  return profile.id;
}

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Running libvirt domains whose names start with `prefix`, as `virsh` lists them (not through Hearth's driver). */
export function virshDomains(prefix: string): string[] {
  const out = execFileSync("virsh", ["-c", "qemu:///system", "list", "--name"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(prefix));
}

/** A running domain's QEMU pid, from the file libvirt keeps for it. */
export function qemuPidFile(name: string): number {
  return Number(readFileSync(`/run/libvirt/qemu/${name}.pid`, "utf8").trim());
}

/** V8's collector, without --expose-gc on the command line (the test runner starts each file itself). */
export async function collectedMemory(): Promise<{ heapUsedMb: number; rssMb: number }> {
  const v8 = await import("node:v8");
  const { runInNewContext } = await import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsedMb: m.heapUsed / 1048576, rssMb: m.rss / 1048576 };
}
