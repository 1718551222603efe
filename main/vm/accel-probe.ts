// Finds out which acceleration really boots a guest here, by booting the image's kernel to its first userspace line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Accel } from "./domain-xml.ts";
import type { BootFiles } from "./image-manifest.ts";

export interface AccelResult {
  accel: Accel;
  ok: boolean;
  /** Wall time from starting QEMU to the guest's probe line, when it came. */
  ms: number | null;
  detail: string;
}

export const QEMU_BINARY = process.env.HEARTH_QEMU ?? "qemu-system-x86_64";

/**
 * Boots kernel + initramfs with `hearth.probe`: the init prints HEARTH-PROBE-OK and powers off. /dev/kvm existing
 * proves nothing (nested KVM here creates VMs that never boot), so only a guest reaching userspace counts.
 */
export function probeAccel(
  accel: Accel,
  boot: BootFiles,
  timeoutMs = accel === "kvm" ? 15_000 : 45_000,
): Promise<AccelResult> {
  if (accel === "kvm" && !existsSync("/dev/kvm")) {
    return Promise.resolve({
      accel,
      ok: false,
      ms: null,
      detail: "/dev/kvm does not exist (no KVM module loaded, or no hardware virtualization)",
    });
  }
  const args = [
    "-accel",
    accel,
    ...(accel === "kvm" ? ["-cpu", "host"] : []),
    "-M",
    "pc",
    "-m",
    "128",
    "-smp",
    "1",
    "-nodefaults",
    "-no-user-config",
    "-display",
    "none",
    "-no-reboot",
    "-serial",
    "stdio",
    "-kernel",
    boot.kernel,
    "-initrd",
    boot.initrd,
    "-append",
    "console=ttyS0 quiet panic=-1 hearth.probe",
  ];
  const started = Date.now();
  return new Promise((resolve) => {
    let out = "";
    let settled = false;
    const p = spawn(QEMU_BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
    const done = (r: Omit<AccelResult, "accel">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.kill("SIGKILL");
      resolve({ accel, ...r });
    };
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          ms: null,
          detail: `no guest output within ${timeoutMs} ms (the guest hangs under ${accel})`,
        }),
      timeoutMs,
    );
    const onData = (c: Buffer): void => {
      out = (out + c.toString()).slice(-4096);
      if (out.includes("HEARTH-PROBE-OK"))
        done({ ok: true, ms: Date.now() - started, detail: "a guest booted to userspace" });
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    p.on("error", (err) =>
      done({ ok: false, ms: null, detail: `cannot run ${QEMU_BINARY}: ${err.message}` }),
    );
    p.on("exit", (code, signal) => {
      if (!out.includes("HEARTH-PROBE-OK")) {
        const last = out.trim().split("\n").slice(-3).join(" | ");
        const how = signal ? `was killed by ${signal}` : `exited ${code}`;
        done({
          ok: false,
          ms: null,
          detail: `QEMU ${how} before the guest reached userspace${last ? `: ${last}` : ""}`,
        });
      }
    });
  });
}

/** What a probe's answer depends on: the QEMU build, the kernel it booted, and the KVM device. */
function probeKey(boot: BootFiles): string {
  const qemu = spawnSync(QEMU_BINARY, ["--version"], { encoding: "utf8" }).stdout?.split("\n")[0] ?? "";
  let kernel = "";
  try {
    const st = statSync(boot.kernel);
    kernel = `${st.size}:${st.mtimeMs}`;
  } catch {
    // no kernel: the probe itself will say so
  }
  let kvm = "none";
  try {
    kvm = String(statSync("/dev/kvm").rdev);
  } catch {
    // no KVM device
  }
  return JSON.stringify([qemu, kernel, kvm]);
}

/**
 * KVM when a guest really boots under it, else TCG. `HEARTH_ACCEL` forces a choice. With `cacheFile` the answer
 * is kept and reused while QEMU, the kernel and /dev/kvm stay the same: a KVM that hangs costs its full timeout.
 */
export async function chooseAccel(
  boot: BootFiles,
  cacheFile?: string,
): Promise<{ accel: Accel; kvm: AccelResult | null }> {
  const forced = process.env.HEARTH_ACCEL;
  if (forced === "kvm" || forced === "tcg") return { accel: forced, kvm: null };
  const key = cacheFile ? probeKey(boot) : "";
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { key: string; kvm: AccelResult };
      if (cached.key === key) return { accel: cached.kvm.ok ? "kvm" : "tcg", kvm: cached.kvm };
    } catch {
      // no cache yet, or an unreadable one: probe
    }
  }
  const kvm = await probeAccel("kvm", boot);
  if (cacheFile) {
    // It lives in the data directory, where everything is the owner's alone.
    mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
    writeFileSync(cacheFile, JSON.stringify({ key, kvm, at: new Date().toISOString() }), { mode: 0o600 });
  }
  return { accel: kvm.ok ? "kvm" : "tcg", kvm };
}
