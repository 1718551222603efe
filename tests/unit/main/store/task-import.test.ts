// Task import: folders, zips and direct fields give a validated manifest and the same normalized code zip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { DEFAULT_IMPORT_LIMITS } from "../../../../main/domain/tasks/import-limits.ts";
import {
  importTaskCode,
  importTaskFolder,
  importTaskZip,
  type ImportProgress,
} from "../../../../main/store/task-import.ts";
import { openSafeZip } from "../../../../main/store/zip-reader.ts";
import { fixtureDir, fixtureTask } from "../../../helpers/fixtures.ts";
import { zipFolder } from "../../../helpers/zip-folder.ts";
import { tempDir } from "./temp-dir.ts";
import { makeZip } from "./zip-crafting.ts";

async function codeFiles(code: Buffer): Promise<Record<string, string>> {
  const safe = await openSafeZip(code, DEFAULT_IMPORT_LIMITS);
  const out: Record<string, string> = {};
  for (const f of safe.files) out[f.path] = (await safe.read(f)).toString("utf8");
  safe.close();
  return out;
}

function taskFolder(
  t: Parameters<typeof tempDir>[0],
  manifest: unknown,
  files: Record<string, string>,
): string {
  const dir = tempDir(t, "hearth-task-");
  writeFileSync(join(dir, "task.json"), typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  return dir;
}

const manifest = { name: "resize", runtime: "nodejs", handler: "index.handler" };

for (const name of ["echo-node", "hello-env", "crasher", "slow-logger", "hello-python", "snoop"]) {
  test(`the fixture task ${name} imports from its folder and from a zip of it, to the same code`, async () => {
    const dir = fixtureDir(name);
    const fromFolder = await importTaskFolder(dir);
    const json = fixtureTask(name);
    assert.equal(fromFolder.manifest.name, json.name);
    assert.equal(fromFolder.manifest.runtime, json.runtime);
    assert.equal(fromFolder.manifest.memoryMb, json.memoryMb);
    assert.deepEqual(fromFolder.manifest.environment, json.environment ?? {});
    assert.equal(fromFolder.sha256, createHash("sha256").update(fromFolder.code).digest("hex"));
    assert.equal(fromFolder.size, fromFolder.code.length);
    const files = await codeFiles(fromFolder.code);
    assert.ok(!("task.json" in files), "task.json is configuration, not code");
    assert.ok(Object.keys(files).length >= 1);
    const fromZip = await importTaskZip((await zipFolder(dir)).zip);
    assert.equal(fromZip.sha256, fromFolder.sha256);
    assert.deepEqual(fromZip.manifest, fromFolder.manifest);
  });
}

test("the same folder gives the same sha256 whatever the mtimes; content and exec bits change it", async (t) => {
  const dir = taskFolder(
    t,
    { ...manifest, runtime: "provided", handler: "x" },
    { bootstrap: "#!/bin/sh\n", "lib/a.js": "a" },
  );
  const first = await importTaskFolder(dir);
  utimesSync(join(dir, "lib", "a.js"), new Date(2001, 1, 1), new Date(2001, 1, 1));
  assert.equal((await importTaskFolder(dir)).sha256, first.sha256);
  chmodSync(join(dir, "bootstrap"), 0o755);
  const executable = await importTaskFolder(dir);
  assert.notEqual(executable.sha256, first.sha256);
  const safe = await openSafeZip(executable.code, DEFAULT_IMPORT_LIMITS);
  assert.deepEqual(
    safe.files.map((f) => [f.path, f.executable]),
    [
      ["bootstrap", true],
      ["lib/a.js", false],
    ],
  );
  safe.close();
  writeFileSync(join(dir, "lib", "a.js"), "b");
  assert.notEqual((await importTaskFolder(dir)).sha256, executable.sha256);
  // A copy elsewhere, made at another time, is the same code.
  const copy = join(tempDir(t), "copy");
  cpSync(dir, copy, { recursive: true });
  assert.equal((await importTaskFolder(copy)).sha256, (await importTaskFolder(dir)).sha256);
});

test("task.json problems name the field and say they come from task.json", async (t) => {
  const bad = taskFolder(t, { ...manifest, memoryMb: 64 }, { "index.mjs": "" });
  await assert.rejects(
    importTaskFolder(bad),
    (e: HearthError) =>
      e.code === "INVALID_INPUT" &&
      e.field === "memoryMb" &&
      e.message === "INVALID_INPUT: task.json: memoryMb must be between 128 and 10240",
  );
  const notJson = taskFolder(t, "{ name: resize", { "index.mjs": "" });
  await assert.rejects(
    importTaskFolder(notJson),
    (e: HearthError) => e.code === "INVALID_INPUT" && e.field === "task.json",
  );
  const reserved = taskFolder(t, { ...manifest, environment: { AWS_REGION: "x" } }, { "index.mjs": "" });
  await assert.rejects(importTaskFolder(reserved), (e: HearthError) => e.field === "environment.AWS_REGION");
});

test("a folder or zip without task.json, or with nothing else, is refused with a hint", async (t) => {
  const noManifest = tempDir(t);
  writeFileSync(join(noManifest, "index.mjs"), "");
  await assert.rejects(importTaskFolder(noManifest), (e: HearthError) => e.code === "IMPORT_NO_TASK_JSON");
  const nested = await makeZip([
    { name: "resize/task.json", data: JSON.stringify(manifest) },
    { name: "resize/index.mjs", data: "" },
  ]);
  await assert.rejects(
    importTaskZip(nested),
    (e: HearthError) => e.code === "IMPORT_NO_TASK_JSON" && /zip the folder's contents/.test(e.message),
  );
  const onlyManifest = taskFolder(t, manifest, {});
  await assert.rejects(
    importTaskFolder(onlyManifest),
    (e: HearthError) => e.code === "IMPORT_INVALID" && /no code/.test(e.message),
  );
});

test("a folder holding a symbolic link is refused", async (t) => {
  const dir = taskFolder(t, manifest, { "index.mjs": "" });
  symlinkSync(join(dir, "index.mjs"), join(dir, "alias.mjs"));
  await assert.rejects(importTaskFolder(dir), (e: HearthError) => e.code === "IMPORT_SYMLINK");
});

test("a zip import inherits every zip refusal (here: a link)", async () => {
  const zip = await makeZip([
    { name: "task.json", data: JSON.stringify(manifest) },
    { name: "index.mjs", data: "" },
    { name: "link", data: "/etc/passwd", mode: 0o120777 },
  ]);
  await assert.rejects(importTaskZip(zip), (e: HearthError) => e.code === "IMPORT_SYMLINK");
});

test("code plus fields: fields validated, a task.json in the zip ignored, same code as the zip import", async () => {
  const zip = await makeZip([
    { name: "task.json", data: JSON.stringify({ ...manifest, name: "from-zip" }) },
    { name: "index.mjs", data: "export const handler = async () => 1;" },
  ]);
  const direct = await importTaskCode({ code: zip, manifest: { ...manifest, timeoutS: 30 } });
  assert.equal(direct.manifest.name, "resize");
  assert.equal(direct.manifest.timeoutS, 30);
  assert.deepEqual(Object.keys(await codeFiles(direct.code)), ["index.mjs"]);
  assert.equal((await importTaskZip(zip)).sha256, direct.sha256);
  await assert.rejects(
    importTaskCode({ code: zip, manifest: { ...manifest, handler: "has space.x" } }),
    (e: HearthError) => e.code === "INVALID_INPUT" && e.field === "handler",
  );
});

test("progress is reported per file, ending with done", async (t) => {
  const dir = taskFolder(t, manifest, { "a.mjs": "a", "b.mjs": "bb", "index.mjs": "ccc" });
  const events: ImportProgress[] = [];
  await importTaskFolder(dir, { onProgress: (p) => events.push(p) });
  assert.deepEqual(
    events.map((e) => [e.phase, e.filesDone, e.filesTotal, e.bytesDone]),
    [
      ["checking", 0, 0, 0],
      ["packing", 1, 3, 1],
      ["packing", 2, 3, 3],
      ["packing", 3, 3, 6],
      ["done", 3, 3, 6],
    ],
  );
});
