// Assembles bench-results/REPORT.md and report.json from every bench-results/<name>.json, headed by this machine.
// Run: npm run bench:report (npm run bench ends with it)
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RESULTS_DIR } from "./bench-run.ts";
import { hostFacts, type Machine } from "./machine.ts";
import {
  accelsOf,
  assembleReport,
  SECTIONS,
  type BenchInput,
  type BenchRun,
  type SectionName,
} from "./report-format.ts";

function read(name: string): BenchInput | undefined {
  const file = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const data: unknown = JSON.parse(readFileSync(file, "utf8"));
    const date = (data as { date?: unknown }).date;
    return { data, date: typeof date === "string" ? date : statSync(file).mtime.toISOString() };
  } catch (err) {
    return { error: `${file}: ${(err as Error).message}` };
  }
}

const inputs: Partial<Record<SectionName, BenchInput>> = {};
for (const [name] of SECTIONS) {
  const i = read(name);
  if (i) inputs[name] = i;
}
// The runner (npm run bench) leaves how long each bench took and how it ended.
const runsFile = join(RESULTS_DIR, "runs.json");
const runs: BenchRun[] = existsSync(runsFile)
  ? (JSON.parse(readFileSync(runsFile, "utf8")) as BenchRun[])
  : [];
const accels = accelsOf(inputs);
const machine: Machine = hostFacts(accels.length === 1 ? (accels[0] as Machine["accel"]) : "unknown");
if (accels.length > 1) machine.accel = accels.join("+") as Machine["accel"];

const report = assembleReport(inputs, machine, runs);
writeFileSync(join(RESULTS_DIR, "REPORT.md"), `${report.markdown}\n`);
writeFileSync(join(RESULTS_DIR, "report.json"), `${JSON.stringify(report.json, null, 2)}\n`);
process.stdout.write(`${report.markdown}\n`);
process.stderr.write(`bench:report: wrote ${join(RESULTS_DIR, "REPORT.md")} and report.json\n`);
