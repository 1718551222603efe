// The `hearth` CLI end to end against a real `hearth serve`: import, invoke, follow, publish, aliases, tokens, logs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  AliasView,
  CreatedProfile,
  InvocationResult,
  LogRecord,
  OwnedTaskView,
  PoolStatus,
  TaskView,
  TestEventView,
  TokenView,
} from "../../main/contract.ts";
import { fixtureDir } from "../helpers/fixtures.ts";

const data = mkdtempSync(join(tmpdir(), "hearth-cli-"));
/** Only the data directory says where Hearth is and who we are: nothing from the caller's environment. */
const env = {
  ...process.env,
  HEARTH_DATA: data,
  HEARTH_URL: "",
  HEARTH_TOKEN: "",
  HEARTH_PROFILE: "",
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ["bin/hearth.mjs", ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI to its end, with `input` on stdin. */
async function hearth(args: string[], input = ""): Promise<Run> {
  const child = start(args);
  const done = finished(child);
  child.stdin!.end(input);
  return done;
}

async function ok(args: string[], input = ""): Promise<Run> {
  const r = await hearth(args, input);
  assert.equal(r.code, 0, `hearth ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

async function okJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await ok([...args, "--json"])).stdout) as T;
}

let server: ChildProcess | null = null;
let serverExit: Promise<number | null>;
let serverErr = "";
let url = "";

before(async () => {
  server = spawn(process.execPath, ["bin/hearth.mjs", "serve", "--port", "0"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  serverExit = new Promise((r) => server!.on("exit", (code) => r(code)));
  server.stderr!.on("data", (c: Buffer) => (serverErr += c.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "serving" line within 120 s: ${serverErr}`)), 120_000);
    server!.stderr!.on("data", () => {
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(serverErr);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    server!.on("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited ${code}: ${serverErr}`));
    });
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await serverExit;
  }
  rmSync(data, { recursive: true, force: true });
});

test("a profile is created over HTTP while Hearth runs, and is the one the CLI acts as", async () => {
  const created = await okJson<CreatedProfile>(["profile", "create", "alice"]);
  assert.equal(created.profile.name, "alice");
  assert.match(created.credentials.accessKeyId, /^HKIA/);
  const listed = await okJson<{ name: string }[]>(["profile", "ls"]);
  assert.deepEqual(
    listed.map((p) => p.name),
    ["alice"],
  );
  const human = await ok(["profile", "ls"]);
  assert.match(human.stdout, /^NAME\s+ACCOUNT\s+ID\s+CREATED\nalice\s+\d{12}\s+prf_/);
});

test("import a folder, then invoke it: the result JSON on stdout", async () => {
  const imported = await ok(["import", fixtureDir("echo-node"), "--json"]);
  assert.match(imported.stderr, /zipping 2 files/);
  assert.match(imported.stderr, /uploading \d/);
  const task = JSON.parse(imported.stdout) as OwnedTaskView;
  assert.equal(task.name, "echo");
  assert.equal(task.runtime, "nodejs");

  const r = await ok(["invoke", "echo", "--payload", '{"a":1}']);
  assert.deepEqual(JSON.parse(r.stdout), { echo: { a: 1 }, version: "$LATEST" });
  assert.match(r.stderr, /^request \S+ · version \$LATEST/m);

  // The payload from stdin, and the whole invocation with --json.
  const full = JSON.parse((await ok(["invoke", "echo", "--payload", "-", "--json"], '{"b":2}')).stdout);
  assert.equal((full as InvocationResult).ok, true);
  assert.deepEqual((full as InvocationResult).result, { echo: { b: 2 }, version: "$LATEST" });

  const tasks = await okJson<TaskView[]>(["task", "ls"]);
  assert.deepEqual(
    tasks.map((t) => t.name),
    ["echo"],
  );
  const shown = await ok(["task", "show", "echo"]);
  assert.match(shown.stdout, /^task echo \(tsk_/);
});

test("invoke --async prints a request id; invocation --wait prints the outcome once it has run", async () => {
  const accepted = await ok(["invoke", "echo", "--async", "--payload", '{"later":true}']);
  const id = /^accepted (\S+) \((queued|running)\)$/m.exec(accepted.stdout)?.[1];
  assert.ok(id, accepted.stdout);
  assert.match(accepted.stderr, new RegExp(`hearth invocation ${id} --wait`));
  const done = await ok(["invocation", id, "--wait", "120"]);
  assert.deepEqual(JSON.parse(done.stdout), { echo: { later: true }, version: "$LATEST" });
  assert.match(
    done.stderr,
    new RegExp(`^${id} succeeded after 1 attempt · version \\$LATEST · [\\d.]+ ms$`, "m"),
  );
  const record = await okJson<{ state: string; attempts: number }>(["invocation", id]);
  assert.equal(record.state, "succeeded");
  assert.equal(record.attempts, 1);
  // Someone else's id, or one that never was, is refused with the field named.
  const unknown = await hearth(["invocation", "req-nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no invocation "req-nope" of yours/);
  assert.match(unknown.stderr, /requestId/);
  const badWait = await hearth(["invocation", id, "--wait", "soon"]);
  assert.equal(badWait.code, 2);
  assert.match(badWait.stderr, /--wait takes a number of seconds/);
});

test("invoke --follow prints log lines on stderr as they come, before the result", async () => {
  await ok(["import", fixtureDir("slow-logger")]);
  const child = start(["invoke", "slow-logger", "--payload", '{"lines":3}', "--follow"]);
  let firstLineAt = 0;
  let resultAt = 0;
  child.stderr!.on("data", (c: Buffer) => {
    if (!firstLineAt && c.toString().includes("line 1 of 3")) firstLineAt = Date.now();
  });
  child.stdout!.on("data", () => {
    if (!resultAt) resultAt = Date.now();
  });
  const done = finished(child);
  child.stdin!.end();
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /line 1 of 3\nline 2 of 3\nline 3 of 3\n/);
  assert.deepEqual(JSON.parse(r.stdout), { lines: 3 });
  assert.ok(firstLineAt > 0 && firstLineAt < resultAt, "the first line came before the result");
});

test("logs shows an invocation's START, lines, END and REPORT", async () => {
  const inv = JSON.parse((await ok(["invoke", "slow-logger", "--payload", '{"lines":2}', "--json"])).stdout);
  const id = (inv as InvocationResult).requestId;
  const r = await ok(["logs", "slow-logger", "--invocation", id]);
  const lines = r.stdout.trimEnd().split("\n");
  const stamp = /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}/;
  assert.ok(
    lines.every((l) => stamp.test(l)),
    r.stdout,
  );
  assert.match(lines[0]!, new RegExp(`  ${id}  START RequestId: ${id} Version: \\$LATEST$`));
  assert.match(lines[1]!, new RegExp(`  ${id}  line 1 of 2$`));
  assert.match(lines[2]!, new RegExp(`  ${id}  line 2 of 2$`));
  assert.match(lines[3]!, new RegExp(`  ${id}  END RequestId: ${id}$`));
  // Lambda's REPORT: the duration, the memory limit and the peak (and Init Duration after a cold start).
  assert.match(
    lines[4]!,
    new RegExp(
      `  ${id}  REPORT RequestId: ${id}\tDuration: [\\d.]+ ms\tMemory Size: \\d+ MB\tMax Memory Used: \\d+ MB(\tInit Duration: [\\d.]+ ms)?$`,
    ),
  );
  const records = await okJson<LogRecord[]>(["logs", "slow-logger", "--invocation", id]);
  assert.deepEqual(
    records.map((x) => x.kind),
    ["start", "line", "line", "end"],
  );
  const found = await okJson<LogRecord[]>(["logs", "slow-logger", "--text", "line 2 of 2", "--since", "1h"]);
  assert.ok(found.some((x) => x.inv === id));
});

test("logs --follow prints new records until Ctrl+C, then exits 0", async () => {
  const child = start(["logs", "slow-logger", "--follow", "--limit", "1"]);
  const done = finished(child);
  child.stdin!.end();
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  const seen = async (text: string): Promise<void> => {
    const until = Date.now() + 60_000;
    while (!out.includes(text)) {
      if (Date.now() > until || child.exitCode !== null) assert.fail(`no "${text}" in: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  // The kept log first (its newest record, the last REPORT), then what the tail brings.
  await seen("REPORT RequestId:");
  await ok(["invoke", "slow-logger", "--payload", '{"lines":2,"tag":"followed"}']);
  await seen("line 2 of 2");
  child.kill("SIGINT");
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /START RequestId: \S+ Version: \$LATEST\n.*line 1 of 2\n.*line 2 of 2/);
});

test("publish, alias, token: the token invokes its alias until it is revoked", async () => {
  const published = await okJson<OwnedTaskView>(["publish", "echo", "--description", "first"]);
  assert.deepEqual(
    published.versions.map((v) => v.version),
    [1],
  );
  const alias = await okJson<AliasView>(["alias", "create", "echo", "prod", "--version", "1"]);
  assert.equal(alias.routing.version, 1);
  const aliases = await okJson<AliasView[]>(["alias", "ls", "--task", "echo"]);
  assert.deepEqual(
    aliases.map((a) => a.name),
    ["prod"],
  );
  assert.deepEqual(JSON.parse((await ok(["invoke", "echo:prod", "--payload", "{}"])).stdout), {
    echo: {},
    version: "1",
  });

  const minted = await ok(["token", "mint", "echo", "prod", "--label", "teammate", "--expires-in", "1d"]);
  const secret = /^(hth_[A-Za-z0-9_-]{43})$/m.exec(minted.stdout)?.[1];
  assert.ok(secret, minted.stdout);
  assert.ok(
    minted.stdout.includes(
      `curl -sS -X POST ${url}/v1/invoke -H 'Authorization: Bearer ${secret}' -H 'content-type: application/json' -d '{}'`,
    ),
    minted.stdout,
  );
  // The curl line works as printed.
  const curled = await fetch(`${url}/v1/invoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: '{"via":"curl"}',
  });
  assert.equal(curled.status, 200);

  const viaToken = await ok(["invoke", "--token", secret, "--payload", '{"t":1}']);
  assert.deepEqual(JSON.parse(viaToken.stdout), { echo: { t: 1 }, version: "1" });

  const tokens = await okJson<TokenView[]>(["token", "ls"]);
  assert.equal(tokens.length, 1);
  assert.equal(tokens[0]!.label, "teammate");
  const listed = await ok(["token", "ls"]);
  assert.match(listed.stdout, /echo:prod\s+teammate\s+hth_\S+\s+active/);

  await ok(["token", "revoke", tokens[0]!.id]);
  const refused = await hearth(["invoke", "--token", secret, "--payload", "{}"]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /^hearth: TOKEN_INVALID: /);
  assert.match(refused.stderr, /^hint: .*token mint/m);

  await ok(["alias", "rm", "echo", "prod"]);
  const gone = await hearth(["alias", "rm", "echo", "prod"]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /ALIAS_NOT_FOUND: no alias "prod" on task "echo"/);
});

test("a handler that throws exits 3 with Lambda's error shape on stdout", async () => {
  await ok(["import", fixtureDir("crasher")]);
  const r = await hearth(["invoke", "crasher", "--payload", '{"mode":"throw"}']);
  assert.equal(r.code, 3, r.stderr);
  const shape = JSON.parse(r.stdout) as { errorType: string; errorMessage: string };
  assert.equal(shape.errorMessage, "asked to throw");
  assert.match(r.stderr, /^hearth: TASK_FAILED: \w+: asked to throw$/m);
  assert.match(r.stderr, /^hint: its log: hearth logs crasher --invocation \S+$/m);
  const full = JSON.parse(
    (await hearth(["invoke", "crasher", "--payload", '{"mode":"throw"}', "--json"])).stdout,
  );
  assert.equal((full as InvocationResult).ok, false);
});

test("refusals exit 1 with the server's code and a hint", async () => {
  const r = await hearth(["invoke", "nope", "--payload", "{}"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hearth: TASK_NOT_FOUND: /);
  assert.match(r.stderr, /^hint: .*hearth task ls/m);
  const bad = await hearth(["invoke", "echo", "--payload", "{not json"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_INPUT: .*payload/);
  const noSuchProfile = await hearth(["--profile", "zed", "task", "ls"]);
  assert.equal(noSuchProfile.code, 1);
  assert.match(noSuchProfile.stderr, /PROFILE_NOT_FOUND/);
});

test("saved test events: save from a file, a sample or stdin, list, show, rename, invoke --event, delete", async () => {
  const saved = await ok(["event", "save", "echo", "small", "--payload", '{\n  "z": 1,\n  "a": 2\n}']);
  assert.match(saved.stdout, /^saved event "small" for echo \(\d+ B\)$/m);
  await ok(["event", "save", "echo", "get-order", "--sample", "apigateway-http", "--set", "path=/orders/7"]);
  await ok(["event", "save", "echo", "piped", "--payload", "-"], '{"from":"stdin"}');
  const list = await okJson<TestEventView[]>(["event", "saved", "echo"]);
  assert.deepEqual(
    list.map((e) => e.name),
    ["get-order", "piped", "small"],
  );
  // Kept as written: its spacing and key order.
  assert.equal((await ok(["event", "show", "echo", "small"])).stdout, '{\n  "z": 1,\n  "a": 2\n}\n');
  const table = await ok(["event", "saved", "echo"]);
  assert.match(table.stdout, /^NAME\s+SIZE\s+UPDATED\n/);

  const r = await ok(["invoke", "echo", "--event", "get-order"]);
  const answer = JSON.parse(r.stdout) as { echo: { rawPath: string; routeKey: string } };
  assert.equal(answer.echo.rawPath, "/orders/7");
  assert.equal(answer.echo.routeKey, "GET /orders/7");

  await ok(["event", "rename", "echo", "small", "tiny"]);
  assert.deepEqual(JSON.parse((await ok(["invoke", "echo", "--event", "tiny"])).stdout), {
    echo: { z: 1, a: 2 },
    version: "$LATEST",
  });
  await ok(["event", "rm", "echo", "tiny"]);
  const gone = await hearth(["invoke", "echo", "--event", "tiny"]);
  assert.equal(gone.code, 1);
  assert.match(
    gone.stderr,
    /EVENT_NOT_FOUND: no saved event "tiny" on task "echo" \(saved: get-order, piped\)/,
  );
  const both = await hearth(["invoke", "echo", "--event", "piped", "--payload", "{}"]);
  assert.equal(both.code, 2);
  const bad = await hearth(["event", "save", "echo", "broken", "--payload", "{nope"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_INPUT: payload is not JSON/);
  const taken = await hearth(["event", "rename", "echo", "piped", "get-order"]);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /EVENT_EXISTS/);
});

test("the pool lists the profile's VMs", async () => {
  const pool = await okJson<PoolStatus>(["pool"]);
  assert.match(pool.accel, /^(kvm|tcg)$/);
  assert.ok(pool.vms.length >= 1);
  const human = await ok(["pool"]);
  assert.match(human.stdout, /^accel (kvm|tcg) · image /);
  assert.match(human.stdout, /\nNAME\s+PROFILE\s+STATE\s+ORIGIN\s+READY\s+AGE\n\S+\s+alice\s+\w+/);
});

test("with Hearth stopped, commands exit 4 and say how to start it", async () => {
  server!.kill("SIGTERM");
  assert.equal(await serverExit, 0, serverErr);
  server = null;
  const r = await hearth(["task", "ls", "--url", url]);
  assert.equal(r.code, 4);
  assert.equal(
    r.stderr.split("\n")[0],
    `hearth: HEARTH_UNREACHABLE: no Hearth is running at ${url}: start it with \`hearth serve\` (or npm start)`,
  );
  // serve.json went with the server: profiles are back to the data directory.
  const listed = await okJson<{ name: string }[]>(["profile", "ls"]);
  assert.deepEqual(
    listed.map((p) => p.name),
    ["alice"],
  );
});
