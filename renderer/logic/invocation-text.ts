// How one invocation reads in the Logs view: who called, how it ended, and its log as Lambda prints it (START, the
// task's lines, END, REPORT), so what a developer knows from CloudWatch reads the same here.
import type { InvocationView, LogRecord } from "../../main/contract.ts";

/** One line of an invocation's log as shown: Lambda's framing lines apart from what the task printed. */
export interface LogLineText {
  kind: "start" | "line" | "end" | "report";
  stream?: "stdout" | "stderr";
  text: string;
  /** The host's time of the record (ISO). */
  t: string;
}

/** Who made the call: the profile, a token by its label, "remote" for a teammate's call, an API by its name, a URL. */
export function callerText(v: InvocationView): string {
  switch (v.via.kind) {
    case "profile":
      return v.caller;
    case "token":
      return v.via.label ? `token ${v.via.label}` : "token";
    case "remote":
      return "remote";
    case "api":
      return v.via.label ? `API ${v.via.label}` : "API";
    case "async":
      return `${v.caller} (async)`;
    case "url":
      return v.via.label && v.via.label !== "anonymous" ? `URL (account ${v.via.label})` : "URL";
  }
}

/** "ok", "error TypeError", "throttled TOO_MANY_REQUESTS". */
export function outcomeText(v: InvocationView): string {
  if (v.outcome === "ok") return "ok";
  const word = v.outcome === "throttle" ? "throttled" : "error";
  return v.errorType ? `${word} ${v.errorType}` : word;
}

/** "task", or "task:alias" for a call through an alias. */
export function targetText(v: InvocationView): string {
  return v.alias ? `${v.task}:${v.alias}` : v.task;
}

/** A record's identity: the kept log and the live tail both deliver the same records. */
export function recordKey(r: LogRecord): string {
  return `${r.t}|${r.kind}|${r.stream ?? ""}|${r.line ?? ""}`;
}

/** Lambda's lines for one invocation's records (in the order they were kept). */
export function lambdaLines(records: readonly LogRecord[]): LogLineText[] {
  const out: LogLineText[] = [];
  for (const r of records) {
    if (r.kind === "start") {
      out.push({
        kind: "start",
        t: r.t,
        text: `START RequestId: ${r.inv} Version: ${r.version ?? "$LATEST"}`,
      });
    } else if (r.kind === "line") {
      out.push({ kind: "line", t: r.t, stream: r.stream ?? "stdout", text: r.line ?? "" });
    } else {
      out.push({ kind: "end", t: r.t, text: `END RequestId: ${r.inv}` });
      out.push({ kind: "report", t: r.t, text: reportText(r) });
    }
  }
  return out;
}

function reportText(r: LogRecord): string {
  const parts = [`REPORT RequestId: ${r.inv}`];
  if (r.durationMs !== undefined) {
    parts.push(`Duration: ${r.durationMs.toFixed(2)} ms`, `Billed Duration: ${Math.ceil(r.durationMs)} ms`);
  }
  if (r.memoryMb !== undefined) parts.push(`Memory Size: ${r.memoryMb} MB`);
  if (r.maxMemoryUsedMb !== undefined) parts.push(`Max Memory Used: ${r.maxMemoryUsedMb} MB`);
  if (r.initMs !== undefined) parts.push(`Init Duration: ${r.initMs.toFixed(2)} ms`);
  if (r.ok === false) parts.push(r.error ? `Status: error (${r.error})` : "Status: error");
  return parts.join("\t");
}

/** Whether a call matches the view's search: its id, target, caller, outcome, or any line it printed. */
export function invocationMatches(v: InvocationView, records: readonly LogRecord[], text: string): boolean {
  const q = text.trim().toLowerCase();
  if (q === "") return true;
  const has = (s: string | undefined) => s !== undefined && s.toLowerCase().includes(q);
  return (
    has(v.requestId) ||
    has(targetText(v)) ||
    has(callerText(v)) ||
    has(outcomeText(v)) ||
    records.some((r) => has(r.line) || has(r.error))
  );
}
