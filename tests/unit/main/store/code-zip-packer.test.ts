// The code packer: the same files always give the same bytes, in walk order, with only the exec bit kept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { compareCodePaths, packCodeZip } from "../../../../main/store/code-zip-packer.ts";
import { DEFAULT_IMPORT_LIMITS } from "../../../../main/domain/tasks/import-limits.ts";
import { openSafeZip } from "../../../../main/store/zip-reader.ts";

const files = () => [
  { path: "a/x.js", executable: false, data: Buffer.from("ax") },
  { path: "a-b/x.js", executable: false, data: Buffer.from("abx") },
  { path: "bootstrap", executable: true, data: Buffer.from("#!/bin/sh\n") },
];

test("paths sort segment by segment, like a sorted recursive walk", () => {
  assert.deepEqual(["a-b/x", "a/x", "a/b/c", "b", "a"].sort(compareCodePaths), [
    "a",
    "a/b/c",
    "a/x",
    "a-b/x",
    "b",
  ]);
});

test("equal input packs to identical bytes; the result reads back with modes", async () => {
  const one = await packCodeZip(files(), 1 << 20);
  const two = await packCodeZip(files(), 1 << 20);
  assert.deepEqual(one, two);
  const safe = await openSafeZip(one, DEFAULT_IMPORT_LIMITS);
  assert.deepEqual(
    safe.files.map((f) => [f.path, f.executable]),
    [
      ["a/x.js", false],
      ["a-b/x.js", false],
      ["bootstrap", true],
    ],
  );
  assert.equal((await safe.read(safe.files[2]!)).toString(), "#!/bin/sh\n");
  safe.close();
  const changed = files();
  changed[0]!.executable = true;
  assert.notDeepEqual(await packCodeZip(changed, 1 << 20), one);
});

test("a packed result over the limit is refused", async () => {
  await assert.rejects(
    packCodeZip([{ path: "r", executable: false, data: randomBytes(4096) }], 1024),
    (e: HearthError) => e.code === "IMPORT_TOO_LARGE",
  );
});
