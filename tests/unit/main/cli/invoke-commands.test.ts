// `hearth invoke`: what a task prints, returns and throws reaches a terminal with its control characters shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InvocationEvent, InvocationResult } from "../../../../main/contract.ts";
import { tempDir } from "../store/temp-dir.ts";
import { runHearth, sendEvents, sendJson, standInServer } from "./hearth-run.ts";

type T = Parameters<typeof standInServer>[0];

const TOKEN = `hth_${"a".repeat(43)}`;
/** Any control character but the tab and the newline. */
const CONTROLS = /[^\P{Cc}\t\n]/u;

const result: InvocationResult = {
  requestId: "req-1",
  version: "1",
  servedVersion: "1",
  ok: false,
  error: { errorType: "Error\u001b[2J", errorMessage: "boom\u009b8m\rforged", trace: [] },
  durationMs: 1,
  maxMemoryUsedMb: 10,
  coldStart: false,
};

const events: InvocationEvent[] = [
  { type: "start", requestId: "req-1" },
  { type: "log", t: "2025-01-01T00:00:00.000Z", stream: "stdout", line: "\u001b]0;title\u0007line\nEND" },
  { type: "result", result },
];

async function server(t: T): Promise<string> {
  return standInServer(t, (_req, res, url) => {
    if (url.pathname === "/v1/invoke" && url.searchParams.get("mode") === "stream")
      return sendEvents(res, events);
    if (url.pathname === "/v1/invoke") return sendJson(res, result);
    sendJson(res, { error: { code: "ROUTE_NOT_FOUND", message: "ROUTE_NOT_FOUND: no" } }, 404);
  });
}

const hearth = (t: T, args: string[], tty: boolean) =>
  runHearth(["invoke", ...args, "--token", TOKEN], {
    tty,
    env: { HEARTH_DATA: tempDir(t, "hearth-cli-") },
  });

test("--follow on a terminal: log lines, the error and the failure message show their controls as escapes", async (t) => {
  const url = await server(t);
  const r = await hearth(t, ["--url", url, "--follow"], true);
  assert.equal(r.code, 3, r.stdout);
  assert.doesNotMatch(r.stdout, CONTROLS);
  // The log line stays one line, its own newline shown.
  assert.match(r.stdout, /^\\x1b\]0;title\\x07line\\x0aEND$/m);
  // The failure printed by the CLI: the task's own words, escaped.
  assert.match(r.stdout, /hearth: TASK_FAILED: Error\\x1b\[2J: boom\\u009b8m\\x0dforged/);
});

test("without --follow the result's JSON is escaped, C1 included, on a terminal or not", async (t) => {
  const url = await server(t);
  for (const tty of [true, false]) {
    const r = await hearth(t, ["--url", url, "--json"], tty);
    assert.equal(r.code, 3);
    assert.doesNotMatch(r.stdout, CONTROLS);
    const printed = r.stdout.slice(0, r.stdout.lastIndexOf("}") + 1);
    assert.deepEqual(JSON.parse(printed), result);
  }
});

test("piped, --follow passes the task's log lines on as they are", async (t) => {
  const url = await server(t);
  const r = await hearth(t, ["--url", url, "--follow"], false);
  assert.equal(r.code, 3);
  assert.ok(r.stderr.includes("\u001b]0;title\u0007line\nEND\n"), r.stderr);
});
