// Where the sample tasks live: the project's shared fixtures beside the repository, and the repository's own extras.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SandboxSpec } from "../../main/vm/protocol.ts";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHARED = process.env.HEARTH_FIXTURES ?? resolve(repo, "..", "shared", "fixtures", "tasks");
const LOCAL = join(repo, "tests", "fixtures", "tasks");

export interface TaskJson {
  name: string;
  runtime: "nodejs" | "python3";
  handler: string;
  memoryMb: number;
  timeoutS: number;
  environment?: Record<string, string>;
}

export function fixtureDir(name: string): string {
  for (const base of [LOCAL, SHARED]) {
    const d = join(base, name);
    if (existsSync(join(d, "task.json"))) return d;
  }
  throw new Error(
    `fixture task "${name}" not found in ${LOCAL} or ${SHARED} (set HEARTH_FIXTURES to the shared fixtures)`,
  );
}

export function fixtureTask(name: string): TaskJson {
  return JSON.parse(readFileSync(join(fixtureDir(name), "task.json"), "utf8")) as TaskJson;
}

/** The sandbox spec a fixture task's task.json describes, as the host would send it, with `overrides` on top. */
export function fixtureSpec(name: string, overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  const t = fixtureTask(name);
  return {
    runtime: t.runtime,
    handler: t.handler,
    functionName: t.name,
    functionVersion: "$LATEST",
    memoryMb: t.memoryMb,
    timeoutMs: t.timeoutS * 1000,
    env: t.environment ?? {},
    ...overrides,
  };
}
