// What `hearth import` uploads: a folder zipped with its task.json, or a zip as it is; flags over task.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manifestFor, packFolder, packTaskPath, readZip } from "../../../../main/cli/task-package.ts";
import { CliError } from "../../../../main/cli/exit-codes.ts";
import { isHearthError } from "../../../../main/domain/model/errors.ts";
import { DEFAULT_IMPORT_LIMITS } from "../../../../main/domain/tasks/import-limits.ts";
import { importTaskFolder, importTaskZip } from "../../../../main/store/task-import.ts";
import { openSafeZip } from "../../../../main/store/zip-reader.ts";
import { fixtureDir } from "../../../helpers/fixtures.ts";
import { tempDir } from "../store/temp-dir.ts";

test("a folder is zipped with its task.json, and the server stores the same code as from the folder", async () => {
  const dir = fixtureDir("echo-node");
  const steps: string[] = [];
  const pkg = await packFolder(dir, (s) => steps.push(s));
  assert.deepEqual(steps, [steps[0]]);
  assert.match(steps[0]!, /^zipping 2 files \(\d+ B\)…$/);
  assert.equal(pkg.fileCount, 2);
  assert.equal(pkg.taskJson?.name, "echo");
  const zip = await openSafeZip(pkg.zip, DEFAULT_IMPORT_LIMITS);
  assert.deepEqual(zip.files.map((f) => f.path).sort(), ["index.mjs", "task.json"]);
  zip.close();
  const viaZip = await importTaskZip(pkg.zip);
  const viaFolder = await importTaskFolder(dir);
  assert.equal(viaZip.sha256, viaFolder.sha256);
  assert.deepEqual(viaZip.manifest, viaFolder.manifest);
});

test("a zip is sent as it is, its task.json read for merging flags", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  const file = join(dir, "task.zip");
  writeFileSync(file, (await packFolder(fixtureDir("echo-node"), () => {})).zip);
  const pkg = await readZip(file);
  assert.equal(pkg.taskJson?.handler, "index.handler");
  assert.equal((await packTaskPath(file, () => {})).taskJson?.name, "echo");
});

test("flags override task.json; --env adds to its environment; no flags, no manifest", () => {
  const taskJson = { name: "echo", runtime: "nodejs", handler: "index.handler", environment: { A: "1" } };
  assert.equal(manifestFor(taskJson, {}), undefined);
  assert.equal(manifestFor(taskJson, { name: undefined, memoryMb: undefined }), undefined);
  assert.deepEqual(manifestFor(taskJson, { name: "echo2", memoryMb: 256 }), {
    ...taskJson,
    name: "echo2",
    memoryMb: 256,
  });
  assert.deepEqual(manifestFor(taskJson, { environment: { B: "2" } })?.environment, { A: "1", B: "2" });
  assert.deepEqual(manifestFor(null, { name: "x", runtime: "nodejs", handler: "i.h" }), {
    name: "x",
    runtime: "nodejs",
    handler: "i.h",
  });
});

test("what cannot be packed is refused before anything is sent", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  await assert.rejects(
    packTaskPath(join(dir, "missing"), () => {}),
    (e: unknown) => e instanceof CliError && /does not exist/.test(e.message),
  );
  const bad = join(dir, "bad");
  mkdirSync(bad);
  writeFileSync(join(bad, "task.json"), "{oops");
  writeFileSync(join(bad, "index.mjs"), "export const handler = () => 1;");
  await assert.rejects(
    packFolder(bad, () => {}),
    (e: unknown) => e instanceof CliError && e.code === "INVALID_INPUT",
  );
  const linked = join(dir, "linked");
  mkdirSync(linked);
  symlinkSync("/etc/hostname", join(linked, "index.mjs"));
  await assert.rejects(
    packFolder(linked, () => {}),
    (e: unknown) => isHearthError(e, "IMPORT_SYMLINK"),
  );
});
