// `hearth doctor`: is Node new enough, is libvirt reachable, which acceleration really boots a guest, is the image
// built and current.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { probeAccel, QEMU_BINARY, type AccelResult } from "./vm/accel-probe.ts";
import type { Accel } from "./vm/domain-xml.ts";
import { bootFiles, damagedFiles, imageDir, loadManifest, type ImageManifest } from "./vm/image-manifest.ts";
import { defaultLibvirtUri, LibvirtDriver } from "./vm/libvirt-driver.ts";
import { thisNodeChecks } from "./node-support.ts";
import { currentInputsKey } from "../vm-images/builder/build-image.ts";

export interface Check {
  name: string;
  ok: boolean;
  /** A failed check that Hearth can live with (KVM missing: TCG still works). */
  optional?: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  libvirt: {
    uri: string;
    reachable: boolean;
    hostname?: string;
    libraryVersion?: string;
    hypervisor?: string;
  };
  accel: { selected: Accel | null; kvm: AccelResult | null; tcg: AccelResult | null };
  image: {
    dir: string;
    built: boolean;
    current: boolean | null;
    layout?: string;
    kernel?: string;
    builtAt?: string;
    /** The runtimes the image carries, as tasks name them. */
    runtimes?: string;
    damaged?: string[];
  };
  checks: Check[];
}

const INSTALL =
  "apt-get install -y qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients " +
  "busybox-static cpio squashfs-tools python3 (or run: sudo bash scripts/setup-host.sh)";

function virshVersion(uri: string): { libraryVersion?: string; hypervisor?: string } {
  const r = spawnSync("virsh", ["-c", uri, "version"], { encoding: "utf8", timeout: 15_000 });
  if (r.status !== 0) return {};
  return {
    libraryVersion: /Using library: libvirt ([\d.]+)/.exec(r.stdout)?.[1],
    hypervisor: /Running hypervisor: (.+)/.exec(r.stdout)?.[1]?.trim(),
  };
}

/** libvirt's QEMU user must open /dev/kvm, or libvirt re-probes QEMU (~90 s) before every VM start. */
function kvmAccessCheck(uri: string): Check | null {
  if (!uri.endsWith("/system") || !existsSync("/dev/kvm")) return null;
  const id = spawnSync("id", ["-nG", "libvirt-qemu"], { encoding: "utf8" });
  if (id.status !== 0) {
    return {
      name: "libvirt-qemu user",
      ok: false,
      detail: "the user libvirt runs QEMU as does not exist; libvirt's QEMU driver will not start",
      fix: "useradd -r -g libvirt-qemu libvirt-qemu (or install libvirt-daemon-system), then restart libvirtd",
    };
  }
  const groups = id.stdout.trim().split(/\s+/);
  let groupOk: boolean;
  try {
    const stat = execFileSync("stat", ["-c", "%G %a", "/dev/kvm"], { encoding: "utf8" }).trim().split(" ");
    groupOk = groups.includes(stat[0] ?? "") && /^.[67]/.test(stat[1] ?? "");
  } catch {
    groupOk = false;
  }
  return {
    name: "/dev/kvm for libvirt-qemu",
    ok: groupOk,
    optional: true,
    detail: groupOk
      ? "libvirt's QEMU user can open /dev/kvm"
      : "libvirt's QEMU user cannot open /dev/kvm: libvirt re-probes QEMU for about 90 s before every VM start",
    fix: groupOk
      ? undefined
      : "groupadd -r kvm; chgrp kvm /dev/kvm; chmod 660 /dev/kvm; usermod -aG kvm libvirt-qemu; restart libvirtd",
  };
}

export async function runDoctor(opts: { probe?: boolean } = {}): Promise<DoctorReport> {
  const checks: Check[] = [];
  const uri = defaultLibvirtUri();
  const report: DoctorReport = {
    ok: false,
    libvirt: { uri, reachable: false },
    accel: { selected: null, kvm: null, tcg: null },
    image: { dir: imageDir(), built: false, current: null },
    checks,
  };

  checks.push(...thisNodeChecks());

  const driver = new LibvirtDriver(uri);
  try {
    report.libvirt.hostname = await driver.hostname();
    report.libvirt.reachable = true;
    Object.assign(report.libvirt, virshVersion(uri));
    checks.push({
      name: "libvirt",
      ok: true,
      detail: `${uri} answers (libvirt ${report.libvirt.libraryVersion ?? "?"}, ${report.libvirt.hypervisor ?? "hypervisor ?"})`,
    });
  } catch (err) {
    checks.push({
      name: "libvirt",
      ok: false,
      detail: (err as Error).message,
      fix: `install libvirt and QEMU (${INSTALL}), then start the daemons: virtlogd -d && libvirtd -d (or systemctl start libvirtd); another URI: HEARTH_LIBVIRT_URI`,
    });
  } finally {
    await driver.close();
  }
  const kvmAccess = kvmAccessCheck(uri);
  if (kvmAccess) checks.push(kvmAccess);

  const qemu = spawnSync(QEMU_BINARY, ["--version"], { encoding: "utf8" });
  checks.push(
    qemu.status === 0
      ? { name: "qemu", ok: true, detail: (qemu.stdout.split("\n")[0] ?? "").trim() }
      : { name: "qemu", ok: false, detail: `${QEMU_BINARY} cannot be run`, fix: INSTALL },
  );

  const manifest = loadManifest();
  if (!manifest) {
    checks.push({
      name: "image",
      ok: false,
      detail: `no guest image in ${imageDir()}`,
      fix: 'build it with "npm run image"',
    });
  } else {
    const damaged = damagedFiles(manifest);
    let current: boolean | null = null;
    let why = "";
    try {
      current = (await currentInputsKey(manifest.layout)) === manifest.inputsKey;
    } catch (err) {
      why = ` (cannot tell whether it is current: ${(err as Error).message})`;
    }
    Object.assign(report.image, {
      built: damaged.length === 0,
      current,
      layout: manifest.layout,
      kernel: manifest.kernel.release,
      builtAt: manifest.builtAt,
      runtimes: imageRuntimes(manifest),
      ...(damaged.length ? { damaged } : {}),
    });
    if (damaged.length) {
      checks.push({
        name: "image",
        ok: false,
        detail: `image files missing or damaged: ${damaged.join(", ")}`,
        fix: 'rebuild with "npm run image -- --force"',
      });
    } else if (current === false) {
      checks.push({
        name: "image",
        ok: false,
        detail: `the image built ${manifest.builtAt} is out of date (its agent, runtimes or kernel changed)`,
        fix: 'rebuild with "npm run image"',
      });
    } else {
      checks.push({
        name: "image",
        ok: true,
        detail: `${manifest.layout} image, kernel ${manifest.kernel.release}, built ${manifest.builtAt}${why}; runtimes: ${imageRuntimes(manifest)}`,
      });
    }

    if (opts.probe !== false && qemu.status === 0) {
      const boot = bootFiles(manifest);
      report.accel.kvm = await probeAccel("kvm", boot);
      report.accel.tcg = await probeAccel("tcg", boot);
      report.accel.selected = report.accel.kvm.ok ? "kvm" : report.accel.tcg.ok ? "tcg" : null;
      checks.push({
        name: "kvm",
        ok: report.accel.kvm.ok,
        optional: true,
        detail: report.accel.kvm.ok
          ? `a guest booted under KVM in ${report.accel.kvm.ms} ms`
          : report.accel.kvm.detail,
        fix: report.accel.kvm.ok
          ? undefined
          : "VMs run under software emulation (TCG), several times slower; enable virtualization (VT-x/AMD-V, or nested virtualization) for KVM",
      });
      checks.push({
        name: "tcg",
        ok: report.accel.tcg.ok,
        optional: report.accel.kvm.ok,
        detail: report.accel.tcg.ok
          ? `a guest booted under TCG in ${report.accel.tcg.ms} ms`
          : report.accel.tcg.detail,
        fix: report.accel.tcg.ok
          ? undefined
          : `QEMU cannot boot the image at all; reinstall QEMU (${INSTALL}) and rebuild the image`,
      });
    }
  }
  if (!manifest || qemu.status !== 0) {
    checks.push({
      name: "acceleration",
      ok: false,
      detail: "not probed: needs QEMU and a built image",
      fix: 'build the image with "npm run image", then run "hearth doctor" again',
    });
  }
  report.ok = checks.every((c) => c.ok || c.optional);
  return report;
}

export function formatDoctor(r: DoctorReport): string {
  const lines = r.checks.map((c) => {
    const mark = c.ok ? "✔" : c.optional ? "!" : "✖";
    return `${mark} ${c.name.padEnd(26)} ${c.detail}${!c.ok && c.fix ? `\n  ${" ".repeat(26)} → ${c.fix}` : ""}`;
  });
  lines.push(
    "",
    r.ok
      ? `Hearth can run here (acceleration: ${r.accel.selected ?? "unknown"}).`
      : "Hearth cannot run here yet: fix the ✖ lines above.",
  );
  return lines.join("\n");
}

/** The runtime identifiers an image carries, as a task names them: "nodejs20.x (v20.20.2), …, python3.11". */
function imageRuntimes(m: ImageManifest): string {
  const node = Object.entries(m.versions.nodeRuntimes ?? { "nodejs20.x": m.versions.node }).map(
    ([id, v]) => `${id} (${v})`,
  );
  const python = /Python (3\.\d+)/.exec(m.versions.python)?.[1];
  return [...node, ...(python ? [`python${python}`] : [])].join(", ");
}
