// A known pattern of calls on a real VM (a cold start, fast and slow calls, errors, calls through a token and a
// throttle by its rate limit), then the stored metrics, `hearth stats --json`, the invocation list and one call's
// timeline checked against what each call answered, exactly; and the same numbers after a restart.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvocationStatsView, InvocationView, PoolHistoryView } from "../../main/contract.ts";
import { percentile } from "../../main/domain/metrics/invocation-stats.ts";
import { cliEnv, hearth, serveHearth, stopHearth, type Running } from "../helpers/hearth-cli.ts";

const data = mkdtempSync(join(tmpdir(), "hearth-metrics-"));
const work = mkdtempSync(join(tmpdir(), "hearth-metrics-work-"));
// The pool is sampled every second here (10 s by default), so a short test sees several samples.
const env = { ...cliEnv(data), HEARTH_POOL_SAMPLE_SECONDS: "1" };

const HANDLER = `export const handler = async (event) => {
  if (event.mode === "fail") throw new TypeError("asked to fail");
  if (event.mode === "slow") await new Promise((r) => setTimeout(r, event.ms));
  console.log("mode", event.mode);
  return { mode: event.mode };
};
`;

interface Answer {
  requestId: string;
  ok: boolean;
  durationMs: number;
  maxMemoryUsedMb: number;
  coldStart: boolean;
  initDurationMs?: number;
  error?: { errorType: string };
}

async function run(
  args: string[],
  e: NodeJS.ProcessEnv = env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return hearth(e, args);
}

async function ok(args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `hearth ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** One call; a handler's failure exits 3 but still prints the whole answer with --json. */
async function call(
  payload: unknown,
  e: NodeJS.ProcessEnv = env,
  task: string[] = ["pattern"],
): Promise<Answer> {
  const r = await run(["invoke", ...task, "--payload", JSON.stringify(payload), "--json"], e);
  assert.ok(r.code === 0 || r.code === 3, `invoke: exit ${r.code}: ${r.stderr}`);
  // Exit 3 without an answer is a refusal before the handler ran (its code did not load): say what it was.
  assert.ok(r.stdout.trim() !== "", `invoke answered nothing (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Answer;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OpenTelemetry collector as far as OTLP/HTTP JSON goes: it keeps every span it is sent. */
const received: Span[] = [];
let collector: Server | null = null;

let server: Running | null = null;
const answers: Answer[] = [];
let throttled = 0;
let since = "";
let until = "";

before(async () => {
  server = await serveHearth(env);
  await ok(["profile", "create", "mon"]);
  const dir = join(work, "pattern");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.mjs"), HANDLER);
  writeFileSync(
    join(dir, "task.json"),
    JSON.stringify({
      name: "pattern",
      runtime: "nodejs22.x",
      handler: "index.handler",
      memoryMb: 256,
      timeoutS: 10,
    }),
  );
  await ok(["import", dir]);
  await ok(["alias", "create", "pattern", "live", "--version", "$LATEST"]);
  const minted = JSON.parse(
    await ok(["token", "mint", "pattern", "live", "--label", "ci-bot", "--rate-limit", "2", "--json"]),
  ) as { secret: string };

  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.url === "/v1/traces" && req.headers["content-type"] === "application/json") {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
        for (const r of doc.resourceSpans) for (const ss of r.scopeSpans) received.push(...ss.spans);
      }
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  await new Promise<void>((r) => collector!.listen(0, "127.0.0.1", r));
  const port = (collector.address() as { port: number }).port;
  await ok(["telemetry", "set", `http://127.0.0.1:${port}`]);

  since = new Date(Date.now() - 1000).toISOString();
  // The pattern: a cold start, fast calls, slow calls, errors, then three calls of a token allowed two a minute.
  answers.push(await call({ mode: "fast" }));
  for (let i = 0; i < 5; i++) answers.push(await call({ mode: "fast" }));
  for (const ms of [300, 600, 900]) answers.push(await call({ mode: "slow", ms }));
  for (let i = 0; i < 2; i++) answers.push(await call({ mode: "fail" }));
  const tokenEnv = { ...env, HEARTH_TOKEN: minted.secret };
  for (let i = 0; i < 2; i++) answers.push(await call({ mode: "fast" }, tokenEnv, []));
  const refused = await run(["invoke", "--payload", "{}", "--json"], tokenEnv);
  assert.notEqual(refused.code, 0, "the third call of a token allowed two a minute is refused");
  assert.match(refused.stderr, /TOKEN_RATE_LIMITED/);
  throttled++;
  // Records are written within a second of their call's end.
  await new Promise((r) => setTimeout(r, 1500));
  until = new Date().toISOString();
});

after(async () => {
  await stopHearth(server);
  collector?.close();
  rmSync(data, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** What the numbers must be, from the answers alone. */
function expected(of: Answer[]) {
  const durations = of.map((a) => round2(a.durationMs)).sort((a, b) => a - b);
  return {
    invocations: of.length,
    errors: of.filter((a) => !a.ok).length,
    coldStarts: of.filter((a) => a.coldStart).length,
    duration: {
      p50: percentile(durations, 50),
      p95: percentile(durations, 95),
      p99: percentile(durations, 99),
      max: durations.at(-1)!,
    },
    maxMemoryUsedMb: Math.max(...of.map((a) => a.maxMemoryUsedMb)),
  };
}

async function stats(extra: string[] = []): Promise<InvocationStatsView> {
  return JSON.parse(
    await ok(["stats", "pattern", "--since", since, "--until", until, "--json", ...extra]),
  ) as InvocationStatsView;
}

test("hearth stats --json gives exactly the pattern's numbers", async () => {
  assert.equal(answers.length, 13);
  assert.ok(answers[0]!.coldStart, "the first call was a cold start");
  assert.equal(answers.filter((a) => !a.ok).length, 2);
  const want = expected(answers);
  const s = await stats();
  assert.equal(s.task, "pattern");
  assert.equal(s.totals.invocations, want.invocations);
  assert.equal(s.totals.errors, want.errors);
  assert.equal(s.totals.throttles, throttled);
  assert.equal(s.totals.coldStarts, want.coldStarts);
  assert.deepEqual(
    {
      p50: s.totals.duration!.p50,
      p95: s.totals.duration!.p95,
      p99: s.totals.duration!.p99,
      max: s.totals.duration!.max,
    },
    want.duration,
  );
  assert.ok(s.totals.duration!.max >= 900, `the slowest call slept 900 ms: ${s.totals.duration!.max}`);
  assert.equal(s.totals.maxMemoryUsedMb, want.maxMemoryUsedMb);
  assert.equal(s.totals.memoryMb, 256);
  assert.equal(s.totals.concurrency, 1, "the calls ran one after another");
  // The buckets add up to the totals.
  const sum = (k: "invocations" | "errors" | "throttles" | "coldStarts"): number =>
    s.buckets.reduce((n, b) => n + b[k], 0);
  assert.equal(sum("invocations"), want.invocations);
  assert.equal(sum("errors"), want.errors);
  assert.equal(sum("throttles"), throttled);
  assert.equal(sum("coldStarts"), want.coldStarts);

  // Through the alias: only the token's calls and its throttle.
  const live = await stats(["--alias", "live"]);
  assert.equal(live.totals.invocations, 2);
  assert.equal(live.totals.throttles, 1);
  assert.equal(live.totals.errors, 0);
});

test("the invocation list has every call with its figures, and who called", async () => {
  const list = JSON.parse(
    await ok(["invocation", "ls", "pattern", "--since", since, "--until", until, "--json", "--limit", "100"]),
  ) as InvocationView[];
  assert.equal(list.length, 14);
  const byId = new Map(list.map((v) => [v.requestId, v]));
  for (const a of answers) {
    const v = byId.get(a.requestId);
    assert.ok(v, `${a.requestId} is listed`);
    assert.equal(v.outcome, a.ok ? "ok" : "error");
    assert.equal(v.durationMs, round2(a.durationMs));
    assert.equal(v.coldStart, a.coldStart);
    assert.equal(v.maxMemoryUsedMb, a.maxMemoryUsedMb);
    if (!a.ok) assert.equal(v.errorType, "TypeError");
  }
  const viaToken = list.filter((v) => v.via.kind === "token");
  assert.equal(viaToken.length, 3);
  assert.ok(viaToken.every((v) => v.via.label === "ci-bot" && v.alias === "live"));
  const throttle = list.filter((v) => v.outcome === "throttle");
  assert.equal(throttle.length, 1);
  assert.equal(throttle[0]!.errorType, "TOKEN_RATE_LIMITED");
  const errors = JSON.parse(
    await ok(["invocation", "ls", "pattern", "--since", since, "--until", until, "--errors", "--json"]),
  ) as InvocationView[];
  assert.equal(errors.length, 2);
});

test("the cold start's timeline has its VM, load and init, adding up to its total; REPORT carries Init Duration", async () => {
  const first = answers[0]!;
  const v = JSON.parse(await ok(["invocation", "show", first.requestId, "--json"])) as InvocationView;
  assert.equal(v.coldStart, true);
  assert.ok(v.vmTake && ["held", "warm", "restored", "booted"].includes(v.vmTake), `vm take: ${v.vmTake}`);
  const p = v.phases;
  for (const k of ["vm", "load", "init", "handler", "transfer"] as const) {
    assert.equal(typeof p[k], "number", `the cold start has a ${k} phase`);
  }
  assert.ok(p.init! > 0, "the module's init took time");
  const sum = p.queue + p.vm! + p.load! + p.init! + p.handler! + p.transfer! + p.host;
  assert.ok(Math.abs(sum - v.totalMs) < 0.1, `phases add up to ${sum}, total ${v.totalMs}`);
  assert.equal(v.initDurationMs, p.init);
  assert.equal(first.initDurationMs, p.init, "the invoke answer carries the same Init Duration");
  const text = await ok(["invocation", "show", first.requestId]);
  assert.match(text, /init\s+\S*█/);

  const warm = JSON.parse(
    await ok(["invocation", "show", answers[3]!.requestId, "--json"]),
  ) as InvocationView;
  assert.equal(warm.coldStart, false);
  assert.equal(warm.phases.init, undefined);
  assert.equal(warm.phases.vm, undefined);

  const logs = await ok(["logs", "pattern", "--invocation", first.requestId]);
  assert.match(
    logs,
    new RegExp(
      `REPORT RequestId: ${first.requestId}\\tDuration: [\\d.]+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: ${p.init!.toFixed(2)} ms`,
    ),
  );
});

test("the pool's history has the VM that served the pattern: its memory, CPU, calls, and how it started", async () => {
  const h = JSON.parse(await ok(["pool", "history", "--since", "15m", "--json"])) as PoolHistoryView;
  const served = answers.length;
  const vm = h.vms.find((v) => v.points.some((p) => p.calls >= served));
  assert.ok(vm, `a VM served all ${served} calls: ${JSON.stringify(h.vms.map((v) => v.points.at(-1)))}`);
  assert.equal(vm.profile, "mon");
  const last = vm.points.at(-1)!;
  assert.ok(last.pssMb !== null && last.pssMb > 10, `QEMU PSS ${last.pssMb} MB`);
  assert.ok(last.guestUsedMb !== null && last.guestUsedMb > 10, `guest used ${last.guestUsedMb} MB`);
  assert.ok(last.sandboxes >= 1);
  assert.ok(
    vm.points.some((p) => p.cpuPct !== null && p.cpuPct > 0),
    "some CPU was used",
  );
  const starts = h.starts.reduce((n, s) => n + s.boots + s.restores, 0);
  assert.ok(starts >= 1, "the VM's start is counted");
  assert.equal(starts, h.startList.length);
  const text = await ok(["pool", "history", "--since", "15m"]);
  assert.match(text, /RESTORES|BOOTS/);
});

test("with OTLP export on, the collector got one span per call with the phases as its children", async () => {
  const attr = (s: Span, key: string): unknown => {
    const v = s.attributes.find((a) => a.key === key)?.value;
    return v === undefined ? undefined : Object.values(v)[0];
  };
  const deadline = Date.now() + 15_000;
  while (
    received.filter((s) => !s.parentSpanId).length < answers.length + throttled &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const roots = received.filter((s) => !s.parentSpanId);
  assert.equal(roots.length, answers.length + throttled, "one span per call, the throttled one included");
  for (const a of answers) {
    const root = roots.find((s) => attr(s, "faas.invocation_id") === a.requestId);
    assert.ok(root, `a span for ${a.requestId}`);
    assert.equal(attr(root, "faas.coldstart"), a.coldStart);
    const v = JSON.parse(await ok(["invocation", "show", a.requestId, "--json"])) as InvocationView;
    const children = received.filter((s) => s.parentSpanId === root.spanId);
    const phases = Object.keys(v.phases);
    assert.deepEqual(
      children.map((c) => c.name.replace(/ \(.*\)$/, "")),
      phases,
      `the children of ${a.requestId} are its phases`,
    );
    assert.ok(children.every((c) => c.traceId === root.traceId));
    assert.equal(children.at(-1)!.endTimeUnixNano, root.endTimeUnixNano);
  }
  const status = JSON.parse(await ok(["telemetry", "--json"])) as {
    figures: { exported: number; failedBatches: number };
  };
  assert.equal(status.figures.exported, answers.length + throttled);
  assert.equal(status.figures.failedBatches, 0);
});

test("the numbers are the same after a restart", async () => {
  const before = await stats();
  await stopHearth(server);
  server = await serveHearth(env);
  const after = await stats();
  assert.deepEqual(after, before);
});

test("a bad time range is refused with its field named", async () => {
  const r = await run(["stats", "pattern", "--since", "last tuesday", "--json"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /since/);
  const r2 = await run(["stats", "nosuchtask"]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /TASK_NOT_FOUND/);
});
