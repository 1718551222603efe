// `hearth logs`: a task's lines reach a terminal with their control characters shown, never acted on.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogRecord } from "../../../../main/contract.ts";
import { tempDir } from "../store/temp-dir.ts";
import { runHearth, sendEvents, sendJson, standInServer } from "./hearth-run.ts";

const TOKEN = `hth_${"a".repeat(43)}`;
const base = { t: "2025-01-01T00:00:00.000Z", inv: "req-1", caller: "prf_a" };
/** What a hostile task (or a remote owner's) prints: a screen clear, a title change, a forged END line, 8-bit CSI. */
const HOSTILE =
  "\u001b[2J\u001b]0;pwned\u0007hi\r\n2025-01-01T00:00:00.000Z  req-1  END RequestId: req-1\u009b31m\u007f";
const records: LogRecord[] = [
  { ...base, kind: "start", version: "1" },
  { ...base, kind: "line", stream: "stdout", line: HOSTILE },
  { ...base, kind: "end", ok: false, durationMs: 1, error: "Error: \u001b[8mhidden" },
];

type T = Parameters<typeof standInServer>[0];

async function server(t: T): Promise<string> {
  return standInServer(t, (_req, res, url) => {
    if (url.pathname === "/v1/logs") return sendJson(res, records);
    if (url.pathname === "/v1/logs/live") return sendEvents(res, [records[1]], "record");
    sendJson(res, { error: { code: "ROUTE_NOT_FOUND", message: "ROUTE_NOT_FOUND: no" } }, 404);
  });
}

/** Any control character but the tab and the newline. */
const CONTROLS = /[^\P{Cc}\t\n]/u;

const hearth = (t: T, args: string[], tty: boolean) =>
  runHearth(args, { tty, env: { HEARTH_DATA: tempDir(t, "hearth-cli-") } });

test("on a terminal, log lines show their control characters as escapes, each record line one line", async (t) => {
  const url = await server(t);
  const r = await hearth(t, ["logs", "echo", "--url", url, "--token", TOKEN], true);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, CONTROLS);
  const lines = r.stdout.trimEnd().split("\n");
  // START, the hostile line, END and REPORT: the task's newline did not make a line of its own.
  assert.equal(lines.length, 4);
  assert.equal(
    lines[1],
    "2025-01-01T00:00:00.000Z  req-1  \\x1b[2J\\x1b]0;pwned\\x07hi\\x0d\\x0a2025-01-01T00:00:00.000Z  req-1  " +
      "END RequestId: req-1\\u009b31m\\x7f",
  );
  assert.match(lines[3]!, /Error: Error: \\x1b\[8mhidden$/);
});

test("piped, human output keeps the task's bytes; --json escapes every control character", async (t) => {
  const url = await server(t);
  const piped = await hearth(t, ["logs", "echo", "--url", url, "--token", TOKEN], false);
  assert.equal(piped.code, 0, piped.stderr);
  assert.ok(piped.stdout.includes(HOSTILE), "raw when not a terminal");
  for (const tty of [true, false]) {
    const asJson = await hearth(t, ["logs", "echo", "--url", url, "--token", TOKEN, "--json"], tty);
    assert.equal(asJson.code, 0, asJson.stderr);
    assert.doesNotMatch(asJson.stdout, CONTROLS);
    assert.deepEqual(JSON.parse(asJson.stdout), records);
  }
});

test("--follow escapes the live tail's lines too, and its JSON lines", async (t) => {
  const url = await server(t);
  // The stand-in's tail ends after one record: the command says so (exit 4) after printing what came.
  const human = await hearth(t, ["logs", "echo", "--url", url, "--token", TOKEN, "--follow"], true);
  assert.doesNotMatch(human.stdout, CONTROLS);
  assert.match(human.stdout, /\\u009b31m/);
  const lines = await hearth(
    t,
    ["logs", "echo", "--url", url, "--token", TOKEN, "--follow", "--json"],
    false,
  );
  assert.doesNotMatch(lines.stdout, CONTROLS);
  const parsed = lines.stdout
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as LogRecord);
  assert.deepEqual(parsed, records);
});
