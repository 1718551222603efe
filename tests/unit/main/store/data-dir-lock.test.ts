// The data directory lock: one holder at a time, stale locks of dead processes taken over.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { lockDataDir } from "../../../../main/store/data-dir-lock.ts";
import { tempDir } from "./temp-dir.ts";

test("the lock holds this process's pid and is released once", async (t) => {
  const dir = tempDir(t);
  const lock = await lockDataDir(dir);
  assert.equal(readFileSync(join(dir, "hearth.lock"), "utf8").trim(), String(process.pid));
  await assert.rejects(lockDataDir(dir), (e: HearthError) => e.code === "STORE_LOCKED");
  await lock.release();
  await lock.release();
  assert.ok(!existsSync(join(dir, "hearth.lock")));
});

test("a lock left by a live other process is respected; one left by a dead process is taken over", async (t) => {
  const dir = tempDir(t);
  // pid 1 is always alive (and not ours).
  writeFileSync(join(dir, "hearth.lock"), "1\n");
  await assert.rejects(
    lockDataDir(dir),
    (e: HearthError) => e.code === "STORE_LOCKED" && /process 1 /.test(e.message),
  );
  const dead = spawnSync(process.execPath, [
    "-e",
    "process.stdout.write(String(process.pid))",
  ]).stdout.toString();
  writeFileSync(join(dir, "hearth.lock"), `${dead}\n`);
  const lock = await lockDataDir(dir);
  assert.equal(readFileSync(join(dir, "hearth.lock"), "utf8").trim(), String(process.pid));
  await lock.release();
});
