// Hearth against the floor (node:http calling the handler in-process) and serverless-offline, the same echo-node
// handler and the same client (AWS SDK v3 LambdaClient + InvokeCommand), each server alone in its own process.
// Run: npm run bench:peers [-- --invokes 1000 --warmup 200 --warmup-seconds 10 --seconds 10 --concurrency 8
//   --targets floor,peer,hearth --peer-mode worker-threads|in-process --max-minutes 20]
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  killAll,
  packageVersion,
  ROOT,
  startFloor,
  startHearth,
  startPeer,
  type PeerMode,
  type Started,
  type TargetName,
} from "./peer-targets.ts";
import {
  closedLoop,
  firstInvoke,
  lambdaClient,
  sequential,
  type Concurrent,
  type Sequential,
} from "./sdk-load.ts";

const { values } = parseArgs({
  options: {
    invokes: { type: "string", default: "1000" },
    warmup: { type: "string", default: "200" },
    "warmup-seconds": { type: "string", default: "10" },
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "8" },
    targets: { type: "string", default: "floor,peer,hearth" },
    "peer-mode": { type: "string", default: "worker-threads" },
    "max-minutes": { type: "string", default: "20" },
  },
});
const invokes = Number(values.invokes);
const warmup = Number(values.warmup);
const warmupSeconds = Number(values["warmup-seconds"]);
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const peerMode = values["peer-mode"] as PeerMode;
if (peerMode !== "worker-threads" && peerMode !== "in-process") {
  throw new Error(`--peer-mode must be worker-threads or in-process, not "${peerMode}"`);
}
const names = values.targets.split(",").map((t) => t.trim()) as TargetName[];
for (const n of names) {
  if (!["floor", "peer", "hearth"].includes(n))
    throw new Error(`unknown target "${n}" (floor, peer, hearth)`);
}
/** A sequential run stops at this time even if it has not sent --invokes, so the whole run stays bounded. */
const sequentialCapMs = 120_000;

// The whole run is bounded: past --max-minutes every server is killed and the run fails.
const watchdog = setTimeout(
  () => {
    process.stderr.write(`bench:peers: still running after ${values["max-minutes"]} min, giving up\n`);
    killAll();
    process.exit(2);
  },
  Number(values["max-minutes"]) * 60_000,
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

interface Result {
  target: TargetName;
  label: string;
  error?: string;
  firstInvokeMs?: number;
  /** Calls 1..--warmup right after the first invocation: the new sandbox (or worker) warming up. */
  warmup?: Sequential;
  sequential?: Sequential;
  concurrent?: Concurrent;
}

const starters: Record<TargetName, () => Promise<Started>> = {
  floor: startFloor,
  peer: () => startPeer(peerMode),
  hearth: startHearth,
};
const defaultLabels: Record<TargetName, string> = {
  floor: "floor (node:http)",
  peer: `serverless-offline (${peerMode})`,
  hearth: "hearth",
};
const say = (line: string): boolean => process.stderr.write(`bench:peers: ${line}\n`);

const loadStart = loadavg();
let accel: string | undefined;
const results: Result[] = [];
for (const target of names) {
  say(`${target}: starting`);
  let s: Started;
  try {
    s = await starters[target]();
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    say(`${target}: did not start: ${error}`);
    results.push({ target, label: defaultLabels[target], error });
    continue;
  }
  const client = lambdaClient(s);
  const result: Result = { target, label: s.label };
  try {
    accel ??= s.accel;
    // The first call may boot a VM (seconds under TCG, more on a loaded machine): its own client, a long timeout.
    const coldClient = lambdaClient(s, 300_000);
    const t0 = performance.now();
    try {
      await firstInvoke(coldClient, s.functionName);
    } finally {
      coldClient.destroy();
    }
    result.firstInvokeMs = performance.now() - t0;
    say(`${target}: first invocation ${result.firstInvokeMs.toFixed(0)} ms; warming up`);
    // The same warm-up for all: sequential calls, then a short burst at the measured concurrency so each server
    // grows what it grows under load (serverless-offline's workers, Hearth's sandboxes and VMs) before timing.
    result.warmup = await sequential(client, s.functionName, warmup, sequentialCapMs);
    await closedLoop(client, s.functionName, concurrency, warmupSeconds);
    await s.settle?.();
    result.sequential = await sequential(client, s.functionName, invokes, sequentialCapMs);
    say(`${target}: sequential ${JSON.stringify(result.sequential)}`);
    result.concurrent = await closedLoop(client, s.functionName, concurrency, seconds);
    say(`${target}: concurrent ${JSON.stringify(result.concurrent)}`);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    say(`${target}: failed: ${result.error}`);
  } finally {
    client.destroy();
    await s.stop();
  }
  results.push(result);
}
clearTimeout(watchdog);
const loadEnd = loadavg();

const byName = (n: TargetName): Result | undefined => results.find((r) => r.target === n && !r.error);
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a !== undefined && b !== undefined && b > 0 ? a / b : null;
const ratios = (["floor", "peer"] as const).map((ref) => {
  const h = byName("hearth");
  const r = byName(ref);
  return {
    name: ref === "floor" ? "Hearth/floor" : "Hearth/peer",
    p50: ratio(h?.sequential?.p50, r?.sequential?.p50),
    p99: ratio(h?.sequential?.p99, r?.sequential?.p99),
    throughput: ratio(h?.concurrent?.perSecond, r?.concurrent?.perSecond),
  };
});

// The targets that this run alone decides (the host's share of a call also needs bench:engine's
// in-process p50: the report computes it when both ran). Each is null when a side did not run.
const hearth = byName("hearth");
const peer = byName("peer");
const ok = (v: number | null, limit: number, atLeast = false): boolean | null =>
  v === null ? null : atLeast ? v >= limit : v <= limit;
const throughputRatio = ratio(hearth?.concurrent?.perSecond, peer?.concurrent?.perSecond);
const peerP50 = ratio(hearth?.sequential?.p50, peer?.sequential?.p50);
const warmupRatio = ratio(hearth?.warmup?.p50, hearth?.sequential?.p50);
const targets = {
  throughput: { hearthOverPeer: throughputRatio, target: 1, met: ok(throughputRatio, 1, true) },
  latencyPeer: { hearthOverPeer: peerP50, target: 1, goal: 0.8, met: ok(peerP50, 1) },
  warmup: {
    calls: hearth?.warmup?.n ?? null,
    warmupP50: hearth?.warmup?.p50 ?? null,
    steadyP50: hearth?.sequential?.p50 ?? null,
    ratio: warmupRatio,
    target: 1.5,
    met: ok(warmupRatio, 1.5),
  },
};

const cpu = cpus();
const machine = {
  cores: cpu.length,
  cpu: cpu[0]?.model ?? "unknown",
  node: process.version,
  accel: accel ?? "unknown (hearth did not run)",
  load: { start: loadStart, end: loadEnd },
};
const versions = {
  "serverless-offline": packageVersion("serverless-offline"),
  serverless: packageVersion("serverless"),
  "@aws-sdk/client-lambda": packageVersion("@aws-sdk/client-lambda"),
};
const settings = { invokes, warmup, warmupSeconds, seconds, concurrency, peerMode };
mkdirSync(join(ROOT, "bench-results"), { recursive: true });
writeFileSync(
  join(ROOT, "bench-results", "peers.json"),
  `${JSON.stringify({ date: new Date().toISOString(), machine, versions, settings, results, ratios, targets }, null, 2)}\n`,
);

const ms = (x: number | undefined): string => (x === undefined ? "–" : x.toFixed(2));
const rate = (x: number | undefined): string => (x === undefined ? "–" : x.toFixed(0));
const times = (x: number | null): string => (x === null ? "n/a" : `${x.toFixed(2)}×`);
const verdict = (met: boolean | null): string => (met === null ? "not run" : met ? "met" : "not met");
const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(", ");
const rows = results.map((r) => {
  if (r.error && !r.sequential) {
    return `| ${r.label} | did not run: ${r.error.split("\n")[0]!.replaceAll("|", "\\|")} | | | | | |`;
  }
  const failed = (r.sequential?.failed ?? 0) + (r.concurrent?.failed ?? 0);
  return (
    `| ${r.label} | ${ms(r.sequential?.p50)} | ${ms(r.sequential?.p90)} | ${ms(r.sequential?.p99)} | ` +
    `${rate(r.sequential?.perSecond)} | ${rate(r.concurrent?.perSecond)} | ${failed}${r.error ? " (error)" : ""} |`
  );
});
const firsts = results
  .filter((r) => r.firstInvokeMs !== undefined)
  .map((r) => `${r.target} ${r.firstInvokeMs!.toFixed(0)} ms`);
const md = [
  `Warm echo-node over HTTP, one AWS SDK v3 LambdaClient + InvokeCommand per target ` +
    `(@aws-sdk/client-lambda ${versions["@aws-sdk/client-lambda"]}), each server alone in its own process.`,
  `Machine: ${machine.cores} cores, ${machine.cpu}, node ${machine.node}, Hearth acceleration ${machine.accel}; ` +
    `load average ${load(loadStart)} at start, ${load(loadEnd)} at end.`,
  `Latency: ${invokes} sequential invocations after ${warmup} warm-up calls and a ${warmupSeconds} s burst ` +
    `at c=${concurrency}; throughput: ${concurrency} closed loops for ${seconds} s (answered calls per second).`,
  ...(firsts.length ? [`First invocation (not in the figures): ${firsts.join(", ")}.`] : []),
  "",
  `| target | p50 ms | p90 ms | p99 ms | req/s sequential | req/s at c=${concurrency} | failed |`,
  "|---|---:|---:|---:|---:|---:|---:|",
  ...rows,
  "",
  `| ratio (sequential latency, c=${concurrency} throughput) | p50 | p99 | req/s at c=${concurrency} |`,
  "|---|---:|---:|---:|",
  ...ratios.map((r) => `| ${r.name} | ${times(r.p50)} | ${times(r.p99)} | ${times(r.throughput)} |`),
  "",
  "| target | measured | limit | verdict |",
  "|---|---:|---:|---|",
  `| throughput at c=${concurrency}, Hearth/peer | ${times(targets.throughput.hearthOverPeer)} | ≥ 1.00× | ${verdict(targets.throughput.met)} |`,
  `| sequential p50, Hearth/peer | ${times(targets.latencyPeer.hearthOverPeer)} | ≤ 1.00× (goal 0.80×) | ${verdict(targets.latencyPeer.met)} |`,
  `| warm-up: p50 of calls 1–${targets.warmup.calls ?? "?"} / steady p50 | ${times(targets.warmup.ratio)} | ≤ 1.50× | ${verdict(targets.warmup.met)} |`,
  "",
  ...results.filter((r) => r.error).map((r) => `${r.label} failed:\n\n\`\`\`\n${r.error}\n\`\`\`\n`),
  "",
].join("\n");
writeFileSync(join(ROOT, "bench-results", "peers.md"), md);
process.stdout.write(md);
process.exit(results.some((r) => r.error) ? 1 : 0);
