// `hearth logs`: a task's kept log records, and with --follow the live tail until Ctrl+C.
import type { Command } from "commander";
import type { InputOf, LogRecord } from "../contract.ts";
import { integerParser, parseAccountId, parseSince } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { formatLogRecord, logRecordKey } from "./log-format.ts";
import { json, jsonLine, out, outLines } from "./output.ts";

interface LogFlags {
  owner?: string;
  since?: string;
  limit?: number;
  invocation?: string;
  text?: string;
  follow?: boolean;
  json?: boolean;
}

export function registerLogCommands(program: Command): void {
  withJson(
    program
      .command("logs <task>")
      .description("a task's log: each invocation's START, its lines, END and REPORT")
      .option(
        "--owner <account>",
        "the task's account, for a task shared with you (your calls only)",
        parseAccountId,
      )
      .option("--since <time>", "from this ISO time, or this long ago (15m, 2h, 1d)", (v: string) =>
        parseSince(v),
      )
      .option("--limit <n>", "at most this many records, the newest (default 1000)", integerParser(1, 10_000))
      .option("--invocation <requestId>", "only this invocation's records")
      .option("--text <text>", "only lines containing this text")
      .option("--follow", "keep printing new records as they come, until Ctrl+C"),
  ).action(async (task: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<LogFlags>(cmd);
    const conn = await connect(o, "profile");
    const scope = {
      task,
      ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
      ...(o.invocation !== undefined ? { invocation: o.invocation } : {}),
    };
    const query: InputOf<"queryLogs"> = {
      ...scope,
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.text !== undefined ? { text: o.text } : {}),
    };
    // Followed output is one record per line (JSON lines with --json), since it never ends. A record's text is
    // the task's: on a terminal outLines shows its control characters as escapes.
    const show = (r: LogRecord): void => {
      if (o.json) out(jsonLine(r));
      else outLines(formatLogRecord(r));
    };
    if (!o.follow) {
      const records = await conn.call("queryLogs", query);
      if (o.json) out(json(records));
      else for (const r of records) show(r);
      return;
    }

    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      // The tail is asked for before the kept records, so nothing falls between the two; what both hold is
      // printed once.
      const live = conn.liveLogs(scope, stop.signal);
      const first = live.next();
      first.catch(() => undefined);
      let kept: LogRecord[];
      try {
        kept = await conn.call("queryLogs", query);
      } catch (err) {
        stop.abort();
        throw err;
      }
      for (const r of kept) show(r);
      const seen = new Set(kept.map(logRecordKey));
      const newestKept = kept.at(-1)?.t ?? "";
      const needle = o.text?.toLowerCase();
      for (let next = await first; !next.done; next = await live.next()) {
        const r = next.value;
        if (r.t <= newestKept && seen.has(logRecordKey(r))) continue;
        if (needle && !(r.line ?? r.error ?? "").toLowerCase().includes(needle)) continue;
        show(r);
      }
      if (!stop.signal.aborted) {
        throw new CliError(
          "HEARTH_UNREACHABLE",
          `Hearth at ${conn.url} ended the log tail (did it stop?)`,
          EXIT.unreachable,
        );
      }
    } catch (err) {
      // Ctrl+C is how a tail ends: not an error, whatever the request was doing at that moment.
      if (!stop.signal.aborted) throw err;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  });
}
