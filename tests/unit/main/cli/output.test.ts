// The human output: tables, sizes, ages, log records, the pool, a token's curl line.
import { test } from "node:test";
import assert from "node:assert/strict";
import type {
  AliasView,
  LogRecord,
  OwnedTaskView,
  PoolStatus,
  TokenView,
} from "../../../../main/contract.ts";
import { formatAliasList, pickAlias } from "../../../../main/cli/alias-commands.ts";
import { CliError, EXIT } from "../../../../main/cli/exit-codes.ts";
import { formatInvocationSummary } from "../../../../main/cli/invoke-commands.ts";
import { formatLogRecord, logRecordKey } from "../../../../main/cli/log-format.ts";
import {
  formatAge,
  formatBytes,
  formatWhen,
  shellQuote,
  table,
  writeLines,
  writeText,
  type OutputStream,
} from "../../../../main/cli/output.ts";
import { formatPool } from "../../../../main/cli/pool-commands.ts";
import { formatRouting, formatTask, formatTaskList } from "../../../../main/cli/task-commands.ts";
import { curlCommand, formatTokenList, tokenState } from "../../../../main/cli/token-commands.ts";

test("tables pad every column but the last", () => {
  assert.equal(
    table(
      ["NAME", "STATE", "NOTE"],
      [
        ["a", "ready", ""],
        ["longer-name", "busy", "x"],
      ],
    ),
    "NAME         STATE  NOTE\na            ready\nlonger-name  busy   x",
  );
});

test("sizes, ages and times read short", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(3 * 1024 * 1024), "3.0 MiB");
  assert.equal(formatAge(4_000), "4s");
  assert.equal(formatAge(125_000), "2m");
  assert.equal(formatAge(3 * 3600_000), "3h");
  assert.equal(formatAge(50 * 3600_000), "2d");
  assert.equal(formatAge(-5), "0s");
  const now = Date.parse("2025-01-01T00:00:00Z");
  assert.equal(formatWhen(null, now), "never");
  assert.equal(formatWhen("2025-01-02T00:00:00Z", now), "2025-01-02T00:00:00Z (in 1d)");
  assert.equal(formatWhen("2024-12-31T23:00:00Z", now), "2024-12-31T23:00:00Z (1h ago)");
});

test("log records read `time  requestId  line`, an invocation framed like Lambda's", () => {
  const base = { t: "2025-01-01T00:00:00.000Z", inv: "req-1", caller: "prf_a" };
  const start: LogRecord = { ...base, kind: "start", version: "2" };
  const line: LogRecord = { ...base, kind: "line", stream: "stdout", line: "hello" };
  const end: LogRecord = { ...base, kind: "end", ok: true, durationMs: 12.345 };
  const failed: LogRecord = { ...base, kind: "end", ok: false, durationMs: 3, error: "Error: boom" };
  assert.deepEqual(formatLogRecord(start), [
    "2025-01-01T00:00:00.000Z  req-1  START RequestId: req-1 Version: 2",
  ]);
  assert.deepEqual(formatLogRecord(line), ["2025-01-01T00:00:00.000Z  req-1  hello"]);
  assert.deepEqual(formatLogRecord(end), [
    "2025-01-01T00:00:00.000Z  req-1  END RequestId: req-1",
    "2025-01-01T00:00:00.000Z  req-1  REPORT RequestId: req-1\tDuration: 12.35 ms",
  ]);
  assert.equal(
    formatLogRecord(failed)[1],
    "2025-01-01T00:00:00.000Z  req-1  REPORT RequestId: req-1\tDuration: 3.00 ms\tStatus: error\tError: Error: boom",
  );
  assert.equal(logRecordKey(line), logRecordKey({ ...line }));
  assert.notEqual(logRecordKey(line), logRecordKey({ ...line, line: "other" }));
});

function stream(isTTY: boolean): OutputStream & { text: string } {
  return {
    isTTY,
    text: "",
    write(t: string) {
      this.text += t;
    },
  };
}

test("on a terminal, printed text shows control characters as escapes; elsewhere it goes as it is", () => {
  const tty = stream(true);
  writeText(tty, "table\tcell\nline \u001b[31mred\u009b0m\r");
  assert.equal(tty.text, "table\tcell\nline \\x1b[31mred\\u009b0m\\x0d\n");
  const lines = stream(true);
  writeLines(lines, ["one\ntwo", "three"]);
  assert.equal(lines.text, "one\\x0atwo\nthree\n");
  const file = stream(false);
  writeText(file, "\u001b[31m");
  writeLines(file, ["a\nb"]);
  assert.equal(file.text, "\u001b[31m\na\nb\n");
});

test("the token's curl line can be pasted into a shell", () => {
  assert.equal(
    curlCommand("http://127.0.0.1:7878/", "hth_abc"),
    "curl -sS -X POST http://127.0.0.1:7878/v1/invoke -H 'Authorization: Bearer hth_abc' -H 'content-type: application/json' -d '{}'",
  );
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

const alias = (over: Partial<AliasView> = {}): AliasView => ({
  id: "als_1",
  name: "prod",
  description: "",
  profileId: "prf_a",
  task: { id: "tsk_1", name: "echo", ownerAccountId: "111111111111" },
  crossProfile: false,
  routing: { version: 1, split: null },
  customization: null,
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-01T00:00:00.000Z",
  ...over,
});

test("aliases are found by task and name; a missing one says how to list them", () => {
  const own = alias();
  const shared = alias({
    id: "als_2",
    crossProfile: true,
    task: { id: "tsk_2", name: "echo", ownerAccountId: "222222222222" },
  });
  assert.equal(pickAlias([own], "echo", "prod"), own);
  assert.equal(pickAlias([own, shared], "echo", "prod", "222222222222"), shared);
  assert.throws(
    () => pickAlias([own], "echo", "beta"),
    (e: unknown) =>
      e instanceof CliError &&
      e.code === "ALIAS_NOT_FOUND" &&
      /alias ls --task echo/.test(e.options.hint ?? ""),
  );
  assert.throws(
    () => pickAlias([own, shared], "echo", "prod"),
    (e: unknown) =>
      e instanceof CliError && e.exitCode === EXIT.usage && /--owner/.test(e.options.hint ?? ""),
  );
  assert.equal(
    formatRouting(alias({ routing: { version: 1, split: { additionalVersion: 2, weight: 0.1 } } })),
    "1 (90%), 2 (10%)",
  );
  assert.match(
    formatAliasList([own, shared]),
    /^TASK\s+NAME\s+ROUTES TO\s+OWNER\s+ID\necho\s+prod\s+1\s+you\s+als_1\necho\s+prod\s+1\s+account 222222222222\s+als_2$/,
  );
});

const task: OwnedTaskView = {
  access: "owner",
  id: "tsk_1",
  name: "echo",
  description: "",
  profileId: "prf_a",
  accountId: "111111111111",
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-02T00:00:00.000Z",
  runtime: "nodejs",
  handler: "index.handler",
  memoryMb: 128,
  timeoutS: 5,
  environment: { GREETING: "hi" },
  codeSha256: "ab".repeat(32),
  codeSize: 2048,
  versions: [],
};

test("tasks list as a table and show with their environment, versions and aliases", () => {
  assert.match(
    formatTaskList([task]),
    /^NAME\s+OWNER\s+RUNTIME.*\necho\s+you\s+nodejs\s+128 MB\s+5 s\s+0\s+2025-01-02/,
  );
  assert.match(formatTaskList([]), /hearth import/);
  const shown = formatTask(task, [alias()]);
  assert.match(shown, /^task echo \(tsk_1\)/);
  assert.match(shown, /GREETING=hi/);
  assert.match(shown, /none published yet \(`hearth publish echo`\)/);
  assert.match(shown, /aliases:\n {2}prod\s+→ 1$/);
});

test("the pool shows each VM's profile by name, state, origin, readiness and age", () => {
  const pool: PoolStatus = {
    accel: "kvm",
    image: "0123456789abcdef",
    template: { templateBootMs: 1234.4 },
    vms: [
      {
        id: "vm1",
        name: "hearth-abc",
        profile: "prf_a",
        state: "ready",
        origin: "restore",
        readyMs: 210,
        createdAt: 1_000,
      },
    ],
    warming: [],
  };
  const text = formatPool(
    pool,
    [{ id: "prf_a", name: "alice", accountId: "1", createdAt: "", accessKeyIds: [] }],
    61_000,
  );
  assert.equal(
    text,
    "accel kvm · image 0123456789ab · template boot 1234 ms\n" +
      "NAME        PROFILE  STATE  ORIGIN   READY   AGE\nhearth-abc  alice    ready  restore  210 ms  1m",
  );
  assert.match(formatPool({ ...pool, vms: [] }, [], 0), /no VMs yet/);
});

test("the pool says why a profile's VMs fail to start, by the profile's name", () => {
  const pool: PoolStatus = {
    accel: "tcg",
    image: "0123456789abcdef",
    template: {},
    vms: [],
    warming: [
      {
        profile: "prf_a",
        target: 1,
        ready: 0,
        booting: 0,
        busy: 0,
        failing: "VM_CREATE_FAILED: unsupported configuration",
      },
      { profile: "prf_b", target: 1, ready: 0, booting: 1, busy: 0 },
    ],
  };
  const text = formatPool(
    pool,
    [{ id: "prf_a", name: "alice", accountId: "1", createdAt: "", accessKeyIds: [] }],
    0,
  );
  assert.equal(
    text,
    "accel tcg · image 0123456789ab\nno VMs yet: they start for a profile once it has one\n" +
      "alice: VMs fail to start: VM_CREATE_FAILED: unsupported configuration",
  );
});

test("tokens list their alias by name and their state", () => {
  const t: TokenView = {
    id: "tok_1",
    label: "ci",
    hint: "hth_abcdef…",
    scope: { kind: "alias", profileId: "prf_a", aliasId: "als_1" },
    createdAt: "2025-01-01T00:00:00.000Z",
    expiresAt: "2025-01-02T00:00:00.000Z",
    revokedAt: null,
    rateLimitPerMinute: null,
    remote: false,
    usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
  };
  const now = Date.parse("2025-01-01T12:00:00Z");
  assert.equal(tokenState(t, now), "active");
  assert.equal(tokenState(t, Date.parse("2025-01-03T00:00:00Z")), "expired");
  assert.equal(tokenState({ ...t, revokedAt: "2025-01-01T01:00:00Z" }, now), "revoked");
  assert.match(formatTokenList([t], [alias()], now), /tok_1\s+echo:prod\s+ci\s+hth_abcdef…\s+active/);
});

test("an invocation's summary names its request, versions, duration, memory and cold start", () => {
  assert.equal(
    formatInvocationSummary({
      requestId: "r1",
      ok: true,
      result: 1,
      version: "2",
      servedVersion: "1",
      durationMs: 12.34,
      maxMemoryUsedMb: 40,
      coldStart: true,
    }),
    "request r1 · version 2 (served by 1) · 12.3 ms · 40 MB · cold start",
  );
});
