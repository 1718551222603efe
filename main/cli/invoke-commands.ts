// `hearth invoke`: calls a task (or a token's alias), prints its result, and exits 3 when the task itself failed.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { HearthApiError } from "../client/http-client.ts";
import type { AcceptedInvocation, InputOf, InvocationResult, OutputOf } from "../contract.ts";
import { nativeStatus } from "../operations/error-status.ts";
import { parseAccountId, parseTarget } from "./arg-parsers.ts";
import { optionsOf } from "./command-options.ts";
import { connect, type Connection } from "./connection.ts";
import { CliError, EXIT, usageError } from "./exit-codes.ts";
import { findTestEvent } from "./saved-events.ts";
import { json, note, noteLines, out } from "./output.ts";

interface InvokeFlags {
  owner?: string;
  event?: string;
  payload?: string;
  payloadFile?: string;
  follow?: boolean;
  async?: boolean;
  json?: boolean;
  inspect?: boolean;
  inspectWait?: string;
}

/** Codes that mean the task's code is at fault (it could not even load), not Hearth. */
const TASK_FAULT_CODES = new Set(["SANDBOX_INIT_FAILED", "RUNTIME_UNSUPPORTED"]);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The payload from --payload, --payload-file, or stdin when either is `-`; empty means `{}` to the server. */
export async function readPayload(o: { payload?: string; payloadFile?: string }): Promise<string> {
  if (o.payload !== undefined && o.payloadFile !== undefined) {
    throw usageError("give --payload or --payload-file, not both");
  }
  const file = o.payload === "-" ? "-" : o.payloadFile;
  if (file === "-") return readStdin();
  if (file !== undefined) {
    try {
      return await readFile(file, "utf8");
    } catch (err) {
      throw new CliError("INVALID_INPUT", `cannot read ${file}: ${(err as Error).message}`, EXIT.refused, {
        field: "payload-file",
      });
    }
  }
  return o.payload ?? "";
}

export function formatInvocationSummary(r: InvocationResult): string {
  const served = r.servedVersion !== r.version ? ` (served by ${r.servedVersion})` : "";
  return (
    `request ${r.requestId} · version ${r.version}${served} · ${r.durationMs.toFixed(1)} ms · ` +
    `${r.maxMemoryUsedMb} MB${r.coldStart ? " · cold start" : ""}`
  );
}

/** Puts the task under the debugger and waits until a debugger has attached and set itself up. */
async function attachDebugger(conn: Connection, task: string, waitArg: string | undefined): Promise<void> {
  const waitS = waitArg === undefined ? 600 : Number(waitArg);
  if (!Number.isFinite(waitS) || waitS <= 0 || waitS > 3600)
    throw usageError("--inspect-wait takes a number of seconds from 1 to 3600");
  const v = await conn.call("inspectTask", { task });
  noteLines([
    `debugger for ${task} on ${v.host}:${v.port}: the call starts once a debugger is attached`,
    `  Chrome: chrome://inspect, "Configure…" ${v.host}:${v.port}, then "inspect"`,
    `  VS Code: a launch configuration { "type": "node", "request": "attach", "port": ${v.port} }`,
  ]);
  const deadline = Date.now() + waitS * 1000;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) {
      await conn.call("stopInspectTask", { task }).catch(() => undefined);
      throw new CliError(
        "NO_DEBUGGER",
        `no debugger attached to ${v.host}:${v.port} within ${waitS} s`,
        EXIT.hearthFailed,
        { hint: "attach one, or give more time with --inspect-wait SECONDS" },
      );
    }
    const r = await conn.call("waitForDebugger", { task, timeoutMs: Math.min(left, 60_000) });
    if (r.ready) return;
  }
}

/** A failure of the task's own code becomes exit 3 even when Hearth answered it as an error. */
function asTaskFault(err: unknown, task: string | undefined): unknown {
  if (err instanceof HearthApiError && TASK_FAULT_CODES.has(err.code)) {
    return new CliError(err.code, err.detail, EXIT.taskFailed, {
      hint: `the task's code did not load: check its handler and files${task ? ` (hearth task show ${task})` : ""}`,
    });
  }
  return err;
}

/** Prints the outcome; a failed handler prints Lambda's error shape and ends the command with exit 3. */
function finish(r: InvocationResult, o: InvokeFlags, task: string | undefined): void {
  if (o.json) out(json(r));
  else out(json(r.ok ? (r.result ?? null) : r.error));
  if (!o.json) note(formatInvocationSummary(r));
  if (!r.ok) {
    const e = r.error;
    throw new CliError(
      "TASK_FAILED",
      e ? `${e.errorType}: ${e.errorMessage}` : "the task failed",
      EXIT.taskFailed,
      task ? { hint: `its log: hearth logs ${task} --invocation ${r.requestId}` } : {},
    );
  }
}

async function follow(
  conn: Connection,
  input: Omit<InputOf<"invoke">, "mode">,
  task: string | undefined,
): Promise<InvocationResult> {
  for await (const e of conn.invokeStream(input)) {
    if (e.type === "log") noteLines([e.line]);
    else if (e.type === "result") return e.result;
    else if (e.type === "error") {
      const detail = e.error.message.replace(/^[A-Z_]+: /, "");
      throw asTaskFault(
        new HearthApiError(nativeStatus(e.error.code), e.error.code, detail, e.error.field),
        task,
      );
    }
  }
  throw new CliError("STREAM_ENDED", "the invocation's stream ended without a result", EXIT.hearthFailed);
}

type AsyncStatus = OutputOf<"getInvocation">;
interface Outcome {
  ok: boolean;
  payload?: string;
  error?: { errorType: string; errorMessage: string };
  servedVersion?: string;
  durationMs?: number;
}

const FINISHED = new Set(["succeeded", "failed"]);
export const INVOCATION_POLL_MS = 500;

/** "succeeded after 1 attempt · version 2 · 3.1 ms", "queued (attempt 2 of a retry)". */
export function formatAsyncStatus(s: AsyncStatus): string {
  const o = s.outcome as Outcome | undefined;
  const attempts = `${s.attempts} attempt${s.attempts === 1 ? "" : "s"}`;
  if (!FINISHED.has(s.state)) {
    const last =
      o && !o.ok && o.error ? `; the last failed: ${o.error.errorType}: ${o.error.errorMessage}` : "";
    return `${s.requestId} ${s.state} after ${attempts}${last}`;
  }
  const version = o?.servedVersion ? ` · version ${o.servedVersion}` : "";
  const ms = o?.durationMs !== undefined ? ` · ${o.durationMs.toFixed(1)} ms` : "";
  return `${s.requestId} ${s.state} after ${attempts}${version}${ms}`;
}

/** The outcome's result as JSON when it is JSON, else as the text the task returned. */
function outcomeValue(o: Outcome): unknown {
  if (!o.ok) return o.error ?? null;
  if (o.payload === undefined) return null;
  try {
    return JSON.parse(o.payload) as unknown;
  } catch {
    return o.payload;
  }
}

export function registerInvokeCommands(program: Command): void {
  program
    .command("invocation")
    .description("the state and outcome of an invocation queued with invoke --async (exit 3 when it failed)")
    .argument("<requestId>", "the request id invoke --async printed")
    .option("--wait [seconds]", "wait until it has succeeded or failed (default at most 900 s)")
    .option("--json", "print the whole record as JSON")
    .action(async (requestId: string, _o: unknown, cmd: Command) => {
      const o = optionsOf<{ wait?: string | boolean; json?: boolean }>(cmd);
      const waitS = o.wait === undefined ? 0 : o.wait === true ? 900 : Number(o.wait);
      if (!Number.isFinite(waitS) || waitS < 0 || waitS > 3600)
        throw usageError("--wait takes a number of seconds from 0 to 3600");
      const conn = await connect(o, "profile");
      const deadline = Date.now() + waitS * 1000;
      let status = await conn.call("getInvocation", { requestId });
      while (!FINISHED.has(status.state) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, INVOCATION_POLL_MS));
        status = await conn.call("getInvocation", { requestId });
      }
      const outcome = status.outcome as Outcome | undefined;
      if (o.json) out(json(status));
      else {
        if (FINISHED.has(status.state) && outcome) out(json(outcomeValue(outcome)));
        note(formatAsyncStatus(status));
      }
      if (status.state === "failed") {
        throw new CliError(
          "TASK_FAILED",
          outcome?.error
            ? `${outcome.error.errorType}: ${outcome.error.errorMessage}`
            : "the invocation failed",
          EXIT.taskFailed,
        );
      }
      if (o.wait !== undefined && !FINISHED.has(status.state)) {
        throw new CliError(
          "STILL_RUNNING",
          `${requestId} is still ${status.state} after ${waitS} s`,
          EXIT.hearthFailed,
          { hint: `ask again: hearth invocation ${requestId} --wait` },
        );
      }
    });

  program
    .command("invoke")
    .description("call a task and print its result (exit 3 when the task itself fails)")
    .argument(
      "[target]",
      "TASK, TASK:ALIAS or TASK:VERSION; may be left out with --token (the token's alias)",
      parseTarget,
    )
    .option("--owner <account>", "the task's account, for a task shared with you", parseAccountId)
    .option("--payload <json>", "the event, as JSON ('-' reads it from stdin; default {})")
    .option("--payload-file <file>", "read the event from a file ('-' for stdin)")
    .option("--event <name>", "a test event saved for the task (hearth event save / hearth event saved)")
    .option("--follow", "print the task's log lines on stderr as they come, then the result")
    .option("--async", "queue the call; print its request id and return at once")
    .option("--json", "print the whole invocation (request id, versions, duration, memory) as JSON")
    .option(
      "--inspect",
      "run the call under a debugger: wait on 127.0.0.1:9229 (or the next free port) until one attaches",
    )
    .option("--inspect-wait <seconds>", "how long --inspect waits for a debugger (default 600)")
    .action(async (target: { task: string; qualifier?: string } | undefined, _o: unknown, cmd: Command) => {
      const o = optionsOf<InvokeFlags>(cmd);
      if (o.follow && o.async) throw usageError("--follow and --async do not go together");
      if (o.inspect) {
        if (!target) throw usageError("--inspect needs the task to debug");
        if (target.qualifier !== undefined)
          throw usageError("--inspect debugs the task's $LATEST: name it without :QUALIFIER");
        if (o.owner !== undefined || o.async)
          throw usageError("--inspect debugs your own task, called synchronously");
      }
      if (!target && !(o.token ?? process.env.HEARTH_TOKEN)) {
        throw usageError("name the task to invoke (TASK or TASK:ALIAS), or give --token");
      }
      if (o.event !== undefined && (o.payload !== undefined || o.payloadFile !== undefined)) {
        throw usageError("give --event or a payload (--payload, --payload-file), not both");
      }
      if (o.event !== undefined && !target) throw usageError("--event needs the task it was saved for");
      const conn = await connect(o, "profile");
      const payload =
        o.event !== undefined && target
          ? (await findTestEvent(conn, target.task, o.event, o.owner)).payload
          : await readPayload(o);
      const input = {
        ...(target ? { task: target.task } : {}),
        ...(target?.qualifier !== undefined ? { qualifier: target.qualifier } : {}),
        ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
        payload,
      };
      const task = target?.task;
      if (o.async) {
        const accepted = (await conn.call("invoke", {
          ...input,
          mode: "async",
        })) as unknown as AcceptedInvocation;
        if (o.json) out(json(accepted));
        else {
          out(`accepted ${accepted.requestId} (${accepted.state})`);
          note(`its outcome: hearth invocation ${accepted.requestId} --wait`);
          if (task) note(`its log: hearth logs ${task} --invocation ${accepted.requestId}`);
        }
        return;
      }
      if (o.inspect && task) await attachDebugger(conn, task, o.inspectWait);
      let result: InvocationResult;
      try {
        result = o.follow
          ? await follow(conn, input, task)
          : await conn.call("invoke", { ...input, mode: "sync" });
      } catch (err) {
        throw asTaskFault(err, task);
      } finally {
        // The debugger's session ends with the call, as a debugged process's does when it exits.
        if (o.inspect && task) await conn.call("stopInspectTask", { task }).catch(() => undefined);
      }
      finish(result, o, task);
    });
}
