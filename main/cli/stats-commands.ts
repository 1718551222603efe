// `hearth stats` (a task's numbers over a time range) and `hearth invocation ls|show` (calls with their figures, and
// one call's timeline as a waterfall).
import type { Command } from "commander";
import type { InputOf, InvocationStatsView, InvocationView, StatsFigures } from "../contract.ts";
import { integerParser, parseAccountId } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { json, out, outLines, table } from "./output.ts";

interface StatsFlags {
  owner?: string;
  alias?: string;
  since?: string;
  until?: string;
  period?: number;
  json?: boolean;
}

interface ListFlags extends StatsFlags {
  errors?: boolean;
  throttles?: boolean;
  failed?: boolean;
  limit?: number;
  task?: string;
}

const PHASE_NAMES: [keyof InvocationView["phases"], string][] = [
  ["queue", "queue"],
  ["vm", "vm"],
  ["load", "load"],
  ["init", "init"],
  ["handler", "handler"],
  ["transfer", "transfer"],
  ["host", "host"],
];

function msText(n: number | undefined): string {
  return n === undefined ? "-" : `${n.toFixed(2)} ms`;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((part / whole) * 100).toFixed(1)}%`;
}

function figureLines(f: StatsFigures): string[] {
  const d = f.duration;
  return [
    `invocations ${f.invocations}   errors ${f.errors} (${pct(f.errors, f.invocations)})   throttles ${f.throttles}   cold starts ${f.coldStarts}`,
    d
      ? `duration    p50 ${msText(d.p50)}   p95 ${msText(d.p95)}   p99 ${msText(d.p99)}   max ${msText(d.max)}   avg ${msText(d.avg)}`
      : "duration    no handler ran",
    `memory      peak ${f.maxMemoryUsedMb} MB of ${f.memoryMb} MB   concurrency at most ${f.concurrency}`,
  ];
}

function statsText(s: InvocationStatsView): string[] {
  const what = s.task === undefined ? "all tasks" : `task ${s.task}${s.alias ? ` alias ${s.alias}` : ""}`;
  const lines = [
    `${what}: ${new Date(s.since).toISOString()} to ${new Date(s.until).toISOString()}, ${s.periodMs / 1000} s periods`,
    ...figureLines(s.totals),
  ];
  const busy = s.buckets.filter((b) => b.invocations + b.throttles > 0);
  if (busy.length > 0) {
    lines.push("");
    lines.push(
      table(
        ["period", "calls", "errors", "throttles", "cold", "p50", "p95", "p99", "peak MB", "conc"],
        busy.map((b) => [
          new Date(b.t).toISOString(),
          String(b.invocations),
          String(b.errors),
          String(b.throttles),
          String(b.coldStarts),
          msText(b.duration?.p50),
          msText(b.duration?.p95),
          msText(b.duration?.p99),
          String(b.maxMemoryUsedMb),
          String(b.concurrency),
        ]),
      ),
    );
  }
  return lines;
}

/** One call's waterfall: each phase as a bar along the call's total time. */
export function timelineText(v: InvocationView, width = 40): string[] {
  const total = Math.max(v.totalMs, 0.01);
  const lines = [
    `${v.requestId}  ${v.t}  task ${v.task}${v.alias ? ` alias ${v.alias}` : ""}  version ${v.servedVersion ?? v.version}`,
    `${v.outcome}${v.errorType ? ` (${v.errorType})` : ""}  ${v.coldStart ? `cold start${v.vmTake ? `, VM ${v.vmTake}` : ""}` : "warm"}  caller ${v.caller}${v.via.kind !== "profile" ? ` (${v.via.kind}${v.via.label ? ` ${v.via.label}` : ""})` : ""}`,
  ];
  let at = 0;
  for (const [key, label] of PHASE_NAMES) {
    const d = v.phases[key];
    if (d === undefined) continue;
    const start = Math.round((at / total) * width);
    const len = Math.max(d > 0 ? 1 : 0, Math.round((d / total) * width));
    lines.push(
      `  ${label.padEnd(9)}${" ".repeat(start)}${"█".repeat(len).padEnd(width - start)}  ${msText(d)}`,
    );
    at += d;
  }
  lines.push(`  ${"total".padEnd(9)}${" ".repeat(width)}  ${msText(v.totalMs)}`);
  lines.push(`  memory ${v.maxMemoryUsedMb} MB of ${v.memoryMb} MB, ${v.concurrency} running at its start`);
  return lines;
}

function rangeInput(o: StatsFlags): { since?: string; until?: string } {
  return {
    ...(o.since !== undefined ? { since: o.since } : {}),
    ...(o.until !== undefined ? { until: o.until } : {}),
  };
}

export function registerStatsCommands(program: Command): void {
  withJson(
    program
      .command("stats [task]")
      .description(
        "a task's numbers over a time range: invocations, errors, throttles, duration p50/p95/p99, cold starts, peak memory, concurrency (all your tasks without one)",
      )
      .option(
        "--owner <account>",
        "the task's account, for a task shared with you (your calls only)",
        parseAccountId,
      )
      .option("--alias <alias>", "only the calls through your alias of this name")
      .option("--since <time>", "from this long ago (15m, 1h, 24h, 7d) or this ISO time (default 1h)")
      .option("--until <time>", "up to this long ago or this ISO time (default now)")
      .option(
        "--period <seconds>",
        "the length of each period (default: about 60 to 100 over the range)",
        integerParser(1, 86_400),
      ),
  ).action(async (task: string | undefined, _o: unknown, cmd: Command) => {
    const o = optionsOf<StatsFlags>(cmd);
    const conn = await connect(o, "profile");
    const input: InputOf<"invocationStats"> = {
      ...(task !== undefined ? { task } : {}),
      ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
      ...(o.alias !== undefined ? { alias: o.alias } : {}),
      ...rangeInput(o),
      ...(o.period !== undefined ? { periodSeconds: o.period } : {}),
    };
    const s = await conn.call("invocationStats", input);
    if (o.json) out(json(s));
    else outLines(statsText(s));
  });

  // `hearth invocation <requestId>` (an async call's state) stays as it is; ls and show go beside it.
  const inv =
    program.commands.find((c) => c.name() === "invocation") ??
    program.command("invocation").description("invocations with their figures and timelines");
  withJson(
    inv
      .command("ls [task]")
      .description("invocations, newest first: a task's, or all your tasks' without one")
      .option(
        "--owner <account>",
        "the task's account, for a task shared with you (your calls only)",
        parseAccountId,
      )
      .option("--alias <alias>", "only the calls through your alias of this name")
      .option("--since <time>", "from this long ago (15m, 1h, 24h, 7d) or this ISO time")
      .option("--until <time>", "up to this long ago or this ISO time")
      .option("--errors", "only calls that failed")
      .option("--throttles", "only calls refused for a limit")
      .option(
        "--failed",
        "only asynchronous events that failed for good (every attempt, or too old), with where their failure went",
      )
      .option("--limit <n>", "at most this many (default 50)", integerParser(1, 5000)),
  ).action(async (task: string | undefined, _o: unknown, cmd: Command) => {
    const o = optionsOf<ListFlags>(cmd);
    if ([o.errors, o.throttles, o.failed].filter(Boolean).length > 1) {
      throw new CliError("INVALID_INPUT", "--errors, --throttles and --failed: choose one", EXIT.usage);
    }
    const conn = await connect(o, "profile");
    if (o.failed) {
      const events = await conn.call("listAsyncEvents", {
        state: "failed",
        ...(task !== undefined ? { task } : {}),
        limit: Math.min(o.limit ?? 50, 1000),
      });
      if (o.json) {
        out(json(events));
        return;
      }
      out(
        table(
          ["time", "request id", "target", "attempts", "ended", "error", "sent to"],
          events.map((e) => [
            e.updatedAt,
            e.requestId,
            e.target,
            `${e.attempts}/${e.maxAttempts}`,
            e.condition ?? "",
            e.error ? `${e.error.errorType}: ${e.error.errorMessage}` : "",
            (e.delivered ?? [])
              .map((d) => `${d.kind} ${d.arn}${d.error ? ` (not sent: ${d.error})` : ""}`)
              .join("; "),
          ]),
        ),
      );
      return;
    }
    const list = await conn.call("listInvocations", {
      ...(task !== undefined ? { task } : {}),
      ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
      ...(o.alias !== undefined ? { alias: o.alias } : {}),
      ...rangeInput(o),
      ...(o.errors ? { outcome: "error" as const } : {}),
      ...(o.throttles ? { outcome: "throttle" as const } : {}),
      limit: o.limit ?? 50,
    });
    if (o.json) {
      out(json(list));
      return;
    }
    out(
      table(
        ["time", "request id", "task", "outcome", "start", "duration", "init", "total", "memory", "caller"],
        list.map((v) => [
          v.t,
          v.requestId,
          v.alias ? `${v.task}:${v.alias}` : v.task,
          v.errorType ? `${v.outcome} ${v.errorType}` : v.outcome,
          v.coldStart ? `cold${v.vmTake ? ` (${v.vmTake})` : ""}` : "warm",
          msText(v.durationMs),
          msText(v.initDurationMs),
          msText(v.totalMs),
          `${v.maxMemoryUsedMb}/${v.memoryMb} MB`,
          v.via.label ? `${v.caller} (${v.via.kind} ${v.via.label})` : v.caller,
        ]),
      ),
    );
  });
  withJson(
    inv
      .command("show <requestId>")
      .description("one invocation's timeline: queue, VM, load, init, handler, the way back")
      .option("--task <task>", "the task (needed with --owner)")
      .option("--owner <account>", "the task's account, for a task shared with you", parseAccountId),
  ).action(async (requestId: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<ListFlags>(cmd);
    const conn = await connect(o, "profile");
    const [v] = await conn.call("listInvocations", {
      invocation: requestId,
      ...(o.task !== undefined ? { task: o.task } : {}),
      ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
      limit: 1,
    });
    if (!v) {
      throw new CliError("INVOCATION_NOT_FOUND", `no invocation "${requestId}" is kept`, EXIT.refused);
    }
    if (o.json) out(json(v));
    else outLines(timelineText(v));
  });
}
