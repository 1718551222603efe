// The blob store: content addressed by sha256, written once through a temp file, checked on every read.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { BlobStore } from "../../../../main/store/blob-store.ts";
import { tempDir } from "./temp-dir.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

test("put stores under blobs/<aa>/<sha256>.zip and get returns the same bytes", async (t) => {
  const blobs = BlobStore.inDataDir(tempDir(t));
  const data = Buffer.from("PK fake zip bytes");
  const id = await blobs.put(data);
  assert.equal(id, sha(data));
  assert.equal(blobs.pathOf(id), join(blobs.dir, id.slice(0, 2), `${id}.zip`));
  assert.deepEqual(await blobs.get(id), data);
  assert.ok(await blobs.has(id));
  assert.ok(!(await blobs.has("0".repeat(64))));
  // No temp files stay behind.
  assert.deepEqual(readdirSync(join(blobs.dir, id.slice(0, 2))), [`${id}.zip`]);
  assert.deepEqual(await blobs.list(), [id]);
});

test("a blob is written once: putting it again leaves the file alone, and the file is read-only", async (t) => {
  const blobs = BlobStore.inDataDir(tempDir(t));
  const data = Buffer.from("same content");
  const id = await blobs.put(data);
  const before = statSync(blobs.pathOf(id));
  assert.equal(before.mode & 0o222, 0);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await blobs.put(Buffer.from("same content")), id);
  const after = statSync(blobs.pathOf(id));
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
  // Concurrent puts of the same content all succeed with one file.
  const ids = await Promise.all(Array.from({ length: 8 }, () => blobs.put(Buffer.from("racing"))));
  assert.equal(new Set(ids).size, 1);
  assert.deepEqual(
    readdirSync(join(blobs.dir, ids[0]!.slice(0, 2))).filter((n) => n.endsWith(".tmp")),
    [],
  );
});

test("a damaged blob is refused on read, a missing one is named", async (t) => {
  const blobs = BlobStore.inDataDir(tempDir(t));
  const id = await blobs.put(Buffer.from("original"));
  const path = blobs.pathOf(id);
  chmodSync(path, 0o644);
  writeFileSync(path, "tampered");
  await assert.rejects(blobs.get(id), (e: HearthError) => e.code === "BLOB_CORRUPT");
  await assert.rejects(blobs.get("1".repeat(64)), (e: HearthError) => e.code === "BLOB_NOT_FOUND");
});

test("names that are not sha256 digests never become paths", (t) => {
  const blobs = BlobStore.inDataDir(tempDir(t));
  for (const bad of ["../../etc/passwd", "A".repeat(64), "abc", `${"a".repeat(63)}/`]) {
    assert.throws(
      () => blobs.pathOf(bad),
      (e: HearthError) => e.code === "INVALID_INPUT" && e.field === "sha256",
    );
  }
});
