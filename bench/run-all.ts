// `npm run bench`: every benchmark in turn (each bounded on its own), then the report, which shows how each ended.
// A failing bench does not stop the others; the exit status is 1 when any failed.
// Run: npm run bench [-- --only pool,cold]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RESULTS_DIR } from "./bench-run.ts";
import type { BenchRun } from "./report-format.ts";

const ALL = ["guest", "engine", "http", "peers", "remote", "pool", "memory", "deploy", "cold", "cli"];
const { values } = parseArgs({ options: { only: { type: "string" } } });
const names = values.only ? values.only.split(",").map((s) => s.trim()) : ALL;
for (const n of names)
  if (!ALL.includes(n)) throw new Error(`--only: unknown bench "${n}" (${ALL.join(", ")})`);

const runs: BenchRun[] = [];
mkdirSync(RESULTS_DIR, { recursive: true });
for (const name of names) {
  process.stderr.write(`\n== npm run bench:${name}\n`);
  const t0 = performance.now();
  const r = spawnSync("npm", ["run", "--silent", `bench:${name}`], { stdio: "inherit" });
  runs.push({ name, seconds: Math.round((performance.now() - t0) / 1000), exitCode: r.status });
  writeFileSync(join(RESULTS_DIR, "runs.json"), `${JSON.stringify(runs, null, 2)}\n`);
}
const report = spawnSync("npm", ["run", "--silent", "bench:report"], { stdio: "inherit" });
const failed = runs.filter((r) => r.exitCode !== 0);
if (failed.length) process.stderr.write(`bench: failed: ${failed.map((r) => r.name).join(", ")}\n`);
process.exit(failed.length || report.status !== 0 ? 1 : 0);
