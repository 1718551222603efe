// The `hearth` program as a user starts it, without a server: help, usage errors (exit 2), an absent Hearth (exit 4).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../store/temp-dir.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function hearth(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/hearth.mjs", ...args],
      { env: { ...process.env, HEARTH_URL: "", HEARTH_TOKEN: "", HEARTH_PROFILE: "", ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

test("--help documents the connection and the exit codes", async (t) => {
  const r = await hearth(["--help"], { HEARTH_DATA: tempDir(t, "hearth-cli-") });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Exit codes:\n {2}0 {2}success\n {2}1 .*refused/);
  assert.match(r.stdout, /HEARTH_URL/);
  for (const command of ["import", "invoke", "logs", "alias", "token", "grant", "pool", "doctor", "serve"]) {
    assert.match(r.stdout, new RegExp(`^  ${command}\\b`, "m"), command);
  }
});

test("--version (or -V) alone prints package.json's version and nothing else", async (t) => {
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  for (const flag of ["--version", "-V"]) {
    assert.deepEqual(await hearth([flag], env), { code: 0, stdout: `${version}\n`, stderr: "" });
  }
  const help = await hearth(["--help"], env);
  assert.match(help.stdout, /hearth --version \(or -V\), alone on the line, prints Hearth's version/);
});

test("usage errors exit 2 and say what is expected", async (t) => {
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  const unknown = await hearth(["bogus"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'bogus'/);
  const split = await hearth(["alias", "create", "echo", "prod", "--version", "1", "--split", "2"], env);
  assert.equal(split.code, 2);
  assert.match(split.stderr, /VERSION=WEIGHT/);
  const missing = await hearth(["alias", "create", "echo", "prod"], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--version/);
  const noTarget = await hearth(["invoke"], { ...env, HEARTH_TOKEN: "" });
  assert.equal(noTarget.code, 2);
  assert.match(noTarget.stderr, /name the task to invoke/);
});

test("with no Hearth running, a command exits 4 and says how to start it", async (t) => {
  const r = await hearth(["task", "ls", "--url", "http://127.0.0.1:1"], {
    HEARTH_DATA: tempDir(t, "hearth-cli-"),
  });
  assert.equal(r.code, 4);
  assert.match(
    r.stderr,
    /^hearth: HEARTH_UNREACHABLE: no Hearth is running at http:\/\/127\.0\.0\.1:1: start it with `hearth serve`/,
  );
});

test("profiles are managed in the data directory while no Hearth runs", async (t) => {
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  const created = await hearth(["profile", "create", "alice", "--json"], env);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((JSON.parse(created.stdout) as { profile: { name: string } }).profile.name, "alice");
  const again = await hearth(["profile", "create", "alice"], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^hearth: PROFILE_EXISTS: /);
  const listed = await hearth(["profile", "ls"], env);
  assert.match(listed.stdout, /^NAME\s+ACCOUNT\s+ID\s+CREATED\nalice\s+\d{12}\s+prf_/);
  const removed = await hearth(["profile", "rm", "alice"], env);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(removed.stdout, "removed profile alice\n");
  const gone = await hearth(["profile", "rm", "alice"], env);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /PROFILE_NOT_FOUND/);
});

test("--data names the data directory, over HEARTH_DATA", async (t) => {
  const chosen = tempDir(t, "hearth-cli-data-");
  const other = tempDir(t, "hearth-cli-env-");
  const created = await hearth(["--data", chosen, "profile", "create", "zed", "--json"], {
    HEARTH_DATA: other,
  });
  assert.equal(created.code, 0, created.stderr);
  const inChosen = await hearth(["profile", "ls", "--json", "--data", chosen], { HEARTH_DATA: other });
  assert.deepEqual(
    (JSON.parse(inChosen.stdout) as { name: string }[]).map((p) => p.name),
    ["zed"],
  );
  const inOther = await hearth(["profile", "ls", "--json"], { HEARTH_DATA: other });
  assert.deepEqual(JSON.parse(inOther.stdout), []);
});

test("a data directory others can read is refused by every command that opens it, saying how to fix it", async (t) => {
  const data = tempDir(t, "hearth-cli-");
  chmodSync(data, 0o755);
  const fix = new RegExp(
    `DATA_DIR_INSECURE: ${data} can be read by other users \\(mode 755\\).*chmod 700 ${data}`,
  );
  // Offline on the store, and through a running Hearth (the owner key and serve.json are not read).
  for (const args of [
    ["profile", "ls"],
    ["task", "ls"],
    ["serve", "--port", "0"],
    ["start", "--browser", "--port", "0"],
  ]) {
    const r = await hearth(args, { HEARTH_DATA: data });
    assert.equal(r.code, 5, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, fix, args.join(" "));
  }
  chmodSync(data, 0o700);
  const ok = await hearth(["profile", "ls", "--json"], { HEARTH_DATA: data });
  assert.equal(ok.code, 0, ok.stderr);
});

test("a missing data directory is made, 0700", async (t) => {
  const data = join(tempDir(t, "hearth-cli-"), "new", "hearth");
  const r = await hearth(["profile", "ls", "--json"], { HEARTH_DATA: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(data).mode & 0o777, 0o700);
});
