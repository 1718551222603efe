// Engine benchmark: warm echo-node invocations called in-process through the engine (resolve → scheduler → VM).
// Run: npm run bench:engine [-- --invokes 1000]
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createProfile } from "../main/domain/access/profiles.ts";
import { Host } from "../main/host.ts";
import { startServer } from "../main/http/server.ts";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { systemRandom } from "../main/store/system-random.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { importFolder } from "../tests/helpers/import-fixture.ts";

const { values } = parseArgs({ options: { invokes: { type: "string", default: "1000" } } });
const invokes = Number(values.invokes);
/** Between two calls of a sequential HTTP client, the guest sits idle about this long (client and server work). */
const PAUSE_MS = 2;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((p / 100) * (xs.length - 1))]!;

const host = await Host.start({ dataDir: mkdtempSync(join(tmpdir(), "hearth-bench-engine-")) });
try {
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const { profile, credentials } = await host.store.documents.update((s) =>
    createProfile(s, { name: "bench" }, ctx),
  );
  await importFolder(host.store, profile.id, fixtureDir("echo-node"));
  const req = {
    callerProfileId: profile.id,
    ref: { task: "echo" },
    payload: JSON.stringify({ hello: "world", n: 42 }),
  };
  const t0 = performance.now();
  const cold = await host.engine.invoke(req);
  const coldMs = performance.now() - t0;
  for (let i = 0; i < 50; i++) await host.engine.invoke(req);
  // What keeping each call's record costs the invoke path: the engine's recordRun (building the record, indexing
  // it, queueing it for the disk and for any exporter), timed around each call of it during the warm loops.
  const recordNs: number[] = [];
  const engineParts = host.engine as unknown as { recordRun: (...a: unknown[]) => void };
  const recordRun = engineParts.recordRun.bind(host.engine);
  engineParts.recordRun = (...a: unknown[]): void => {
    const s = process.hrtime.bigint();
    recordRun(...a);
    recordNs.push(Number(process.hrtime.bigint() - s));
  };
  const ms: number[] = [];
  let failed = 0;
  const started = performance.now();
  for (let i = 0; i < invokes; i++) {
    const s = performance.now();
    const r = await host.engine.invoke(req);
    ms.push(performance.now() - s);
    if (!r.ok) failed++;
  }
  const elapsed = performance.now() - started;

  // The same, with a pause before each call as long as an HTTP client and server take between two calls: does a
  // guest whose vCPU went idle between calls answer slower than one kept busy? (Under TCG, waking it is emulated.)
  const paused: number[] = [];
  for (let i = 0; i < Math.min(invokes, 500); i++) {
    await new Promise((r) => setTimeout(r, PAUSE_MS));
    const s = performance.now();
    const r = await host.engine.invoke(req);
    paused.push(performance.now() - s);
    if (!r.ok) failed++;
  }

  // The same invocations over HTTP with the AWS SDK v3: SigV4 signing and verification, the port, JSON.
  const server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  const { port } = server.server.address() as { port: number };
  const lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
  const cmd = () => new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from(req.payload) });
  for (let i = 0; i < 50; i++) await lambda.send(cmd());
  const http: number[] = [];
  const httpStarted = performance.now();
  for (let i = 0; i < invokes; i++) {
    const s = performance.now();
    const r = await lambda.send(cmd());
    http.push(performance.now() - s);
    if (r.FunctionError) failed++;
  }
  const httpElapsed = performance.now() - httpStarted;
  await server.close();
  const report = {
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, accel: host.accel },
    firstInvokeMs: { total: coldMs, coldStart: cold.coldStart },
    warm: {
      n: ms.length,
      p50: pct(ms, 50),
      p90: pct(ms, 90),
      p99: pct(ms, 99),
      max: Math.max(...ms),
      failed,
      perSecond: (ms.length / elapsed) * 1000,
    },
    warmPaused: {
      n: paused.length,
      pauseMs: PAUSE_MS,
      p50: pct(paused, 50),
      p90: pct(paused, 90),
      p99: pct(paused, 99),
    },
    recording: {
      n: recordNs.length,
      p50Us: pct(recordNs, 50) / 1000,
      p90Us: pct(recordNs, 90) / 1000,
      p99Us: pct(recordNs, 99) / 1000,
      recordsKept: host.metrics.count,
    },
    httpSdk: {
      n: http.length,
      p50: pct(http, 50),
      p90: pct(http, 90),
      p99: pct(http, 99),
      perSecond: (http.length / httpElapsed) * 1000,
    },
  };
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/engine.json", `${JSON.stringify(report, null, 2)}\n`);
  const line =
    `Warm echo-node through the engine (in-process, sequential, n=${ms.length}, ${host.accel}): ` +
    `p50 ${report.warm.p50.toFixed(2)} ms, p90 ${report.warm.p90.toFixed(2)} ms, p99 ${report.warm.p99.toFixed(2)} ms, ` +
    `${report.warm.perSecond.toFixed(0)}/s, ${failed} failed; first invocation (VM from the pool + sandbox load) ${coldMs.toFixed(0)} ms`;
  const pausedLine =
    `The same with ${PAUSE_MS} ms idle before each call (n=${paused.length}): ` +
    `p50 ${report.warmPaused.p50.toFixed(2)} ms, p90 ${report.warmPaused.p90.toFixed(2)} ms, p99 ${report.warmPaused.p99.toFixed(2)} ms`;
  const httpLine =
    `Warm echo-node over HTTP, AWS SDK v3 InvokeCommand (sequential, n=${http.length}): ` +
    `p50 ${report.httpSdk.p50.toFixed(2)} ms, p90 ${report.httpSdk.p90.toFixed(2)} ms, p99 ${report.httpSdk.p99.toFixed(2)} ms, ${report.httpSdk.perSecond.toFixed(0)}/s`;
  const r = report.recording;
  const recordLine =
    `Keeping each call's record on its way back (the engine's recordRun, n=${r.n}): ` +
    `p50 ${r.p50Us.toFixed(1)} µs, p90 ${r.p90Us.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs`;
  writeFileSync("bench-results/engine.md", `${line}\n${pausedLine}\n${httpLine}\n${recordLine}\n`);
  process.stdout.write(`${line}\n${pausedLine}\n${httpLine}\n${recordLine}\n`);
} finally {
  await host.close();
}
