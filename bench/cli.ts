// How long the `hearth` command takes from spawn to exit: `--version`, a warm `invoke` and `task ls`, each timed
// n times against one `hearth serve` on a temporary data directory (one profile, one task, its VMs).
// Run: npm run bench:cli [-- --runs 20 --max-seconds 300]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadManifest } from "../main/vm/image-manifest.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { boundedRun, summarize, writeResults, type Summary } from "./bench-run.ts";
import { hostFacts, machineLine, probeAccel } from "./machine.ts";
import { cliSection, CLI_TARGETS_MS } from "./report-format.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "max-seconds": { type: "string", default: "300" },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a whole number ≥ 1, not "${values.runs}"`);
const maxSeconds = Number(values["max-seconds"]);
/** CI's guard: far above the target, so only a CLI that compiles its sources at every start trips it. */
const VERSION_GUARD_MS = 1000;

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(REPO, "bin", "hearth.mjs");
const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

const manifest = loadManifest();
if (!manifest) throw new Error('IMAGE_NOT_BUILT: no guest image; build it with "npm run image"');
const machine = hostFacts(await probeAccel(manifest));
process.stdout.write(`${machineLine(machine)}\n`);

const data = mkdtempSync(join(tmpdir(), "hearth-bench-cli-"));
/** Only the data directory says where Hearth is and who the CLI acts as. */
const env = {
  ...process.env,
  HEARTH_DATA: data,
  HEARTH_URL: "",
  HEARTH_TOKEN: "",
  HEARTH_PROFILE: "",
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
};
let server: ChildProcess | null = null;

/** Stops the server the way a user does (SIGTERM: it drains and destroys its VMs), then removes the data. */
async function cleanup(): Promise<void> {
  const s = server;
  if (s && s.exitCode === null && s.signalCode === null) {
    const exited = new Promise((r) => s.once("exit", r));
    s.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  }
  rmSync(data, { recursive: true, force: true });
}
const run = boundedRun("cli", maxSeconds, cleanup);
const say = run.say;

interface Timed {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One Node process, timed from spawning it to its exit. */
function node(argv: string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { env, encoding: "utf8", timeout: 60_000 });
  return { ms: performance.now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hearth = (args: string[]): Timed => node([BIN, ...args]);

function mustSucceed(args: string[]): Timed {
  const r = hearth(args);
  if (r.status !== 0) throw new Error(`hearth ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return r;
}

/** `runs` timings of one command; every run must succeed and pass `check`, or the figure would be of a failure. */
function timeRuns(
  label: string,
  args: string[],
  check: (r: Timed) => string | null,
  start: (args: string[]) => Timed = hearth,
): Summary & { ms: number[] } {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = start(args);
    const problem = r.status !== 0 ? `exited ${r.status}: ${r.stderr.trim()}` : check(r);
    if (problem) throw new Error(`${label}: run ${i + 1}: ${problem}`);
    ms.push(Math.round(r.ms * 10) / 10);
  }
  const s = summarize(ms);
  say(
    `${label}: median ${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}; n=${s.n})`,
  );
  return { ...s, ms };
}

function startServer(): Promise<string> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  let text = "";
  return new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving on" line within 180 s: ${text}`)), 180_000);
    const onData = (c: Buffer): void => {
      text += c.toString();
      const m = /serving on (http:\/\/\S+?)\/? /.exec(text);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hearth serve exited ${code}: ${text}`));
    });
  });
}

const results: Record<string, unknown> = {};
let failed: string | null = null;
try {
  // Before the server starts: its idle VMs share these 2 cores with everything timed after. Node's own start is
  // the floor under every figure, and on a machine this busy it moves with the load.
  results.node = timeRuns("node -e 0", ["-e", "0"], () => null, node);
  results.version = timeRuns("hearth --version", ["--version"], (r) =>
    r.stdout.trim() === version ? null : `printed ${JSON.stringify(r.stdout)}, not ${version}`,
  );

  const t0 = performance.now();
  const url = await startServer();
  say(`hearth serve answered on ${url} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  mustSucceed(["profile", "create", "bench"]);
  mustSucceed(["import", fixtureDir("echo-node")]);
  const payload = JSON.stringify({ n: 1 });
  const warm = mustSucceed(["invoke", "echo", "--payload", payload]);
  say(`first invoke (cold sandbox) took ${warm.ms.toFixed(0)} ms from spawn to exit`);
  const expected = JSON.stringify({ echo: { n: 1 }, version: "$LATEST" });
  results.invoke = timeRuns("hearth invoke echo (warm)", ["invoke", "echo", "--payload", payload], (r) => {
    const got = JSON.stringify(JSON.parse(r.stdout));
    return got === expected ? null : `answered ${got}, not ${expected}`;
  });
  results.taskLs = timeRuns("hearth task ls", ["task", "ls"], (r) =>
    /^echo\b/m.test(r.stdout) ? null : `did not list the task: ${JSON.stringify(r.stdout)}`,
  );
} catch (err) {
  failed = (err as Error).message;
  say(`failed: ${failed}`);
}
await cleanup();
const seconds = run.finish();

const json = {
  date: new Date().toISOString(),
  machine,
  runs,
  seconds,
  targetsMs: CLI_TARGETS_MS,
  guardMs: { version: VERSION_GUARD_MS },
  ...results,
  ...(failed ? { errors: { run: failed } } : {}),
};
writeResults("cli", json, ["## The `hearth` command (`cli`)", "", ...cliSection(json)].join("\n"));

const versionMedian = (results.version as Summary | undefined)?.median;
if (versionMedian !== undefined && versionMedian > VERSION_GUARD_MS) {
  say(`hearth --version median ${versionMedian.toFixed(0)} ms is over the ${VERSION_GUARD_MS} ms guard`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);
