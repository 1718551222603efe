// What a built guest image is (vm-images/out/manifest.json), and how the host finds and checks it.
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const IMAGE_SCHEMA = 1;
/** Sandbox ports each VM carries (org.hearth.sandbox.1 … N): how many sandboxes one VM can hold at once. */
export const SANDBOX_SLOTS = 8;
/**
 * Guest RAM of a VM. Generous on purpose: a guest page costs the host nothing until it is touched and a save
 * image carries only touched pages, while the agent admits sandboxes by their memory limits so a VM never
 * thrashes (8 sandboxes of 128 MB need about 1 GiB).
 */
export const DEFAULT_VM_MEMORY_MIB = 1024;

export type ImageLayout = "rootfs" | "initramfs";

export interface ImageFile {
  path: string;
  size: number;
  sha256: string;
}

export interface ImageManifest {
  schema: number;
  inputsKey: string;
  builtAt: string;
  layout: ImageLayout;
  cmdline: string;
  sandboxSlots: number;
  kernel: { pkg: string; version: string; release: string; modules: string[] };
  /** `node`: the agent's (and a bare "nodejs" task's); `nodeRuntimes`: each nodejsNN.x and its version. */
  versions: { node: string; nodeRuntimes?: Record<string, string>; python: string; busybox: string };
  files: Record<string, ImageFile>;
}

/** Absolute paths of the files a VM boots from. */
export interface BootFiles {
  kernel: string;
  initrd: string;
  root: string | null;
  cmdline: string;
}

export const DEFAULT_IMAGE_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "vm-images",
  "out",
);

export function imageDir(): string {
  return process.env.HEARTH_IMAGE_DIR ?? DEFAULT_IMAGE_DIR;
}

export function loadManifest(dir = imageDir()): ImageManifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ImageManifest;
    return m.schema === IMAGE_SCHEMA ? m : null;
  } catch {
    return null;
  }
}

/** Files listed by the manifest that are missing or have another size than it says. */
export function damagedFiles(m: ImageManifest, dir = imageDir()): string[] {
  return Object.values(m.files)
    .filter((f) => {
      try {
        return statSync(join(dir, f.path)).size !== f.size;
      } catch {
        return true;
      }
    })
    .map((f) => f.path);
}

export function bootFiles(m: ImageManifest, dir = imageDir()): BootFiles {
  const file = (name: string): string => {
    const f = m.files[name];
    if (!f)
      throw new Error(`IMAGE_INCOMPLETE: the image manifest lists no ${name}; rebuild with "npm run image"`);
    return join(dir, f.path);
  };
  return {
    kernel: file("vmlinuz"),
    initrd: file("initrd.img"),
    root: m.layout === "rootfs" ? file("root.squashfs") : null,
    cmdline: m.cmdline,
  };
}
