// Task import from a list of files (a window's dropped folder): the folder and zip rules, and the same code out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import type { CodeFile } from "../../../../main/store/code-zip-packer.ts";
import { DEFAULT_IMPORT_LIMITS } from "../../../../main/domain/tasks/import-limits.ts";
import {
  importTaskFiles,
  importTaskFolder,
  importTaskZip,
  type ImportProgress,
} from "../../../../main/store/task-import.ts";
import { openSafeZip } from "../../../../main/store/zip-reader.ts";
import { fixtureDir } from "../../../helpers/fixtures.ts";
import { zipFolder } from "../../../helpers/zip-folder.ts";

/** A folder's files the way a browser reports a dropped folder: `prefix/…` paths, in no particular order. */
function filesOf(dir: string, prefix = ""): CodeFile[] {
  const out: CodeFile[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      const path = rel === "" ? name : `${rel}/${name}`;
      if (statSync(abs).isDirectory()) walk(abs, path);
      else out.push({ path, executable: (statSync(abs).mode & 0o111) !== 0, data: readFileSync(abs) });
    }
  };
  walk(dir, prefix);
  return out.reverse();
}

const file = (path: string, data = "", executable = false): CodeFile => ({
  path,
  executable,
  data: Buffer.from(data),
});
const manifest = { name: "resize", runtime: "nodejs", handler: "index.handler" };
const taskJson = (path = "task.json") => file(path, JSON.stringify(manifest));

async function codePaths(code: Buffer): Promise<[string, boolean][]> {
  const safe = await openSafeZip(code, DEFAULT_IMPORT_LIMITS);
  const out = safe.files.map((f) => [f.path, f.executable] as [string, boolean]);
  safe.close();
  return out;
}

const code = (c: string) => (e: HearthError) => e.code === c;

for (const name of ["echo-node", "slow-logger", "hello-python"]) {
  test(`${name} as files gives the same code and sha256 as its folder and a zip of it`, async () => {
    const dir = fixtureDir(name);
    const fromFolder = await importTaskFolder(dir);
    const fromZip = await importTaskZip((await zipFolder(dir)).zip);
    for (const files of [filesOf(dir), filesOf(dir, name)]) {
      const fromFiles = await importTaskFiles(files);
      assert.equal(fromFiles.sha256, fromFolder.sha256);
      assert.equal(fromFiles.sha256, fromZip.sha256);
      assert.deepEqual(fromFiles.manifest, fromFolder.manifest);
      assert.equal(fromFiles.fileCount, fromFolder.fileCount);
      assert.ok(fromFiles.code.equals(fromFolder.code));
    }
  });
}

test("one shared top-level folder is removed; a second level is not, and says where task.json is", async () => {
  const stripped = await importTaskFiles([taskJson("resize/task.json"), file("resize/lib/a.js", "a")]);
  assert.deepEqual(await codePaths(stripped.code), [["lib/a.js", false]]);
  await assert.rejects(
    importTaskFiles([taskJson("work/resize/task.json"), file("work/resize/index.mjs")]),
    (e: HearthError) =>
      e.code === "IMPORT_NO_TASK_JSON" &&
      e.message.includes('found "resize/task.json"') &&
      /folder that holds task\.json/.test(e.message),
  );
  // task.json at the top: nothing is stripped, even when all the code shares a folder.
  const kept = await importTaskFiles([taskJson(), file("src/index.mjs")]);
  assert.deepEqual(await codePaths(kept.code), [["src/index.mjs", false]]);
  // Fields given directly: code under one folder keeps its paths unless that folder holds task.json.
  const direct = await importTaskFiles([file("src/index.mjs")], {
    manifest: { ...manifest, handler: "src/index.handler" },
  });
  assert.deepEqual(await codePaths(direct.code), [["src/index.mjs", false]]);
});

test("fields given directly win over task.json, which is not code", async () => {
  const r = await importTaskFiles(
    [file("d/task.json", JSON.stringify({ ...manifest, name: "other" })), file("d/index.mjs", "x")],
    { manifest: { ...manifest, timeoutS: 30 } },
  );
  assert.equal(r.manifest.name, "resize");
  assert.equal(r.manifest.timeoutS, 30);
  assert.deepEqual(await codePaths(r.code), [["index.mjs", false]]);
  await assert.rejects(
    importTaskFiles([file("index.mjs")], { manifest: { ...manifest, handler: "has space.x" } }),
    (e: HearthError) => e.code === "INVALID_INPUT" && e.field === "handler",
  );
});

test("every unsafe path is refused, as in a zip", async () => {
  for (const bad of [
    "/etc/passwd",
    "../x.mjs",
    "a/../../x.mjs",
    "a/..",
    "..",
    "a\\b.mjs",
    "..\\x.mjs",
    "a//b.mjs",
    "a/",
    "./a.mjs",
    "a/./b.mjs",
    ".",
    "a\0b.mjs",
    "C:/x.mjs",
    "c:x.mjs",
    "",
  ]) {
    await assert.rejects(
      importTaskFiles([taskJson(), file("index.mjs"), file(bad, "x")]),
      (e: HearthError) => e.code === "IMPORT_UNSAFE_PATH" && e.field === "files",
      JSON.stringify(bad),
    );
  }
});

test("a path twice, or a file with files beneath it, is refused", async () => {
  await assert.rejects(
    importTaskFiles([taskJson(), file("index.mjs", "a"), file("index.mjs", "b")]),
    (e: HearthError) => e.code === "IMPORT_INVALID" && /twice/.test(e.message),
  );
  await assert.rejects(
    importTaskFiles([taskJson(), file("lib", "a"), file("lib/b.js", "b")]),
    (e: HearthError) => e.code === "IMPORT_INVALID" && /beneath/.test(e.message),
  );
});

test("the import limits hold: files, total size, task.json, the packed zip", async () => {
  const files = [taskJson(), file("a.mjs", "aaaa"), file("b.mjs", "bbbb")];
  await assert.rejects(
    importTaskFiles(files, { limits: { maxEntries: 2 } }),
    code("IMPORT_TOO_MANY_ENTRIES"),
  );
  assert.equal((await importTaskFiles(files, { limits: { maxEntries: 3 } })).fileCount, 2);
  const total = files.reduce((n, f) => n + f.data.length, 0);
  await assert.rejects(
    importTaskFiles(files, { limits: { maxTotalBytes: total - 1 } }),
    code("IMPORT_TOO_LARGE"),
  );
  await assert.rejects(
    importTaskFiles(files, { limits: { maxManifestBytes: 10 } }),
    (e: HearthError) => e.code === "IMPORT_TOO_LARGE" && e.field === "task.json",
  );
  await assert.rejects(importTaskFiles(files, { limits: { maxZipBytes: 100 } }), code("IMPORT_TOO_LARGE"));
});

test("without task.json, or with nothing else, the import is refused", async () => {
  await assert.rejects(
    importTaskFiles([file("index.mjs")]),
    (e: HearthError) => e.code === "IMPORT_NO_TASK_JSON" && !/found/.test(e.message),
  );
  await assert.rejects(
    importTaskFiles([taskJson("resize/task.json")]),
    (e: HearthError) => e.code === "IMPORT_INVALID" && /no code/.test(e.message),
  );
  await assert.rejects(
    importTaskFiles([file("task.json", "{ name: x"), file("index.mjs")]),
    (e: HearthError) => {
      return e.code === "INVALID_INPUT" && e.field === "task.json";
    },
  );
});

test("the executable bit comes from the list, and changes the code's sha256", async () => {
  const provided = { ...manifest, runtime: "provided", handler: "x" };
  const files = (exec: boolean) => [
    file("p/task.json", JSON.stringify(provided)),
    file("p/bootstrap", "#!/bin/sh\n", exec),
  ];
  const plain = await importTaskFiles(files(false));
  const executable = await importTaskFiles(files(true));
  assert.notEqual(plain.sha256, executable.sha256);
  assert.deepEqual(await codePaths(executable.code), [["bootstrap", true]]);
});

test("progress is reported per file, ending with done", async () => {
  const events: ImportProgress[] = [];
  await importTaskFiles([file("index.mjs", "ccc"), taskJson(), file("a.mjs", "a")], {
    onProgress: (p) => events.push(p),
  });
  assert.deepEqual(
    events.map((e) => [e.phase, e.filesDone, e.filesTotal, e.bytesDone]),
    [
      ["checking", 0, 0, 0],
      ["packing", 1, 2, 1],
      ["packing", 2, 2, 4],
      ["done", 2, 2, 4],
    ],
  );
});
