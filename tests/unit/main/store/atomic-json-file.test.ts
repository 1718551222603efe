// The lowdb adapter: missing file reads as null, queued writes land in call order, nothing but the file remains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { AtomicJsonFile } from "../../../../main/store/atomic-json-file.ts";
import { tempDir } from "./temp-dir.ts";

test("a missing file reads as null; a written one reads back", async (t) => {
  const dir = tempDir(t);
  const file = new AtomicJsonFile(join(dir, "doc.json"));
  assert.equal(await file.read(), null);
  await file.write({ a: 1 });
  assert.deepEqual(await file.read(), { a: 1 });
  assert.equal(statSync(file.path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ["doc.json"]);
});

test("writes issued together land one after another, the last one winning", async (t) => {
  const dir = tempDir(t);
  const file = new AtomicJsonFile(join(dir, "doc.json"));
  const order: number[] = [];
  await Promise.all(Array.from({ length: 10 }, (_, i) => file.write({ i }).then(() => order.push(i))));
  assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(JSON.parse(readFileSync(file.path, "utf8")), { i: 9 });
});

test("a file that is not JSON is reported as corrupt, not as empty", async (t) => {
  const dir = tempDir(t);
  const file = new AtomicJsonFile(join(dir, "doc.json"));
  writeFileSync(file.path, '{"a":');
  await assert.rejects(file.read(), (e: HearthError) => e.code === "STORE_CORRUPT");
});
