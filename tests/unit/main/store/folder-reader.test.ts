// The folder reader: regular files in packing order; links are refused, never followed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { listFolderFiles } from "../../../../main/store/folder-reader.ts";
import { DEFAULT_IMPORT_LIMITS } from "../../../../main/domain/tasks/import-limits.ts";
import { tempDir } from "./temp-dir.ts";

test("files come out in walk order with their exec bit", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "a"));
  mkdirSync(join(dir, "a-b"));
  mkdirSync(join(dir, "empty"));
  writeFileSync(join(dir, "a-b", "x"), "1");
  writeFileSync(join(dir, "a", "x"), "2");
  writeFileSync(join(dir, "run"), "#!/bin/sh");
  chmodSync(join(dir, "run"), 0o755);
  const files = await listFolderFiles(dir, DEFAULT_IMPORT_LIMITS);
  assert.deepEqual(
    files.map((f) => [f.path, f.executable, f.size]),
    [
      ["a/x", false, 1],
      ["a-b/x", false, 1],
      ["run", true, 9],
    ],
  );
});

test("a symbolic link, even to a file inside the folder, is refused with its path", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "real.txt"), "x");
  mkdirSync(join(dir, "lib"));
  symlinkSync("/etc/passwd", join(dir, "lib", "passwd"));
  await assert.rejects(
    listFolderFiles(dir, DEFAULT_IMPORT_LIMITS),
    (e: HearthError) => e.code === "IMPORT_SYMLINK" && e.message.includes('"lib/passwd"'),
  );
});

test("limits on file count and total size apply to folders too", async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `f${i}`), "x".repeat(100));
  await assert.rejects(
    listFolderFiles(dir, { ...DEFAULT_IMPORT_LIMITS, maxEntries: 4 }),
    (e: HearthError) => e.code === "IMPORT_TOO_MANY_ENTRIES",
  );
  await assert.rejects(
    listFolderFiles(dir, { ...DEFAULT_IMPORT_LIMITS, maxTotalBytes: 450 }),
    (e: HearthError) => e.code === "IMPORT_TOO_LARGE",
  );
  await assert.rejects(
    listFolderFiles(join(dir, "missing"), DEFAULT_IMPORT_LIMITS),
    (e: HearthError) => e.code === "IMPORT_INVALID",
  );
});
