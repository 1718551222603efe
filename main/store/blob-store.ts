// Code blobs on disk: each zip stored once under blobs/<aa>/<sha256>.zip, written whole or not at all, never rewritten.
import { createHash, randomBytes } from "node:crypto";
import { link, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { SHA256_PATTERN } from "../domain/tasks/code-ref.ts";
import { HearthError } from "../domain/model/errors.ts";
import { syncDirectory } from "./atomic-json-file.ts";
import { makePrivateDir } from "./private-data-dir.ts";

/** Read-only, and only for the owner: a blob is never rewritten, and it is a task's code. */
const BLOB_FILE_MODE = 0o400;

export class BlobStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  static inDataDir(dataDir: string): BlobStore {
    return new BlobStore(join(dataDir, "blobs"));
  }

  /** The file of a blob; the sha256 is checked first so no caller can walk out of the folder with it. */
  pathOf(sha256: string): string {
    if (!SHA256_PATTERN.test(sha256)) {
      throw new HearthError("INVALID_INPUT", "sha256 must be 64 lowercase hex digits", "sha256");
    }
    return join(this.dir, sha256.slice(0, 2), `${sha256}.zip`);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  /** Stores `data` unless a blob with its sha256 is already there, and returns the sha256. */
  async put(data: Buffer): Promise<string> {
    const sha256 = createHash("sha256").update(data).digest("hex");
    const final = this.pathOf(sha256);
    if (await this.has(sha256)) return sha256;
    const folder = join(this.dir, sha256.slice(0, 2));
    await makePrivateDir(folder);
    const temp = join(folder, `.${sha256}.${randomBytes(6).toString("hex")}.tmp`);
    const fh = await open(temp, "wx", BLOB_FILE_MODE);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      // link, unlike rename, fails when the name exists: a blob written by a racing put is left alone.
      await link(temp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP") {
        // Filesystems without hard links: rename is still atomic, and the content is the same by hash.
        if (!(await this.has(sha256))) await rename(temp, final);
      } else if (code !== "EEXIST") {
        await unlink(temp).catch(() => undefined);
        throw err;
      }
    }
    await unlink(temp).catch(() => undefined);
    await syncDirectory(folder);
    return sha256;
  }

  /** The blob's bytes, checked against its name so a damaged file is never handed to a VM. */
  async get(sha256: string): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.pathOf(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new HearthError("BLOB_NOT_FOUND", `no code blob ${sha256} in ${this.dir}`, "sha256");
      }
      throw err;
    }
    const actual = createHash("sha256").update(data).digest("hex");
    if (actual !== sha256) {
      throw new HearthError(
        "BLOB_CORRUPT",
        `code blob ${sha256} on disk hashes to ${actual}; re-import the task's code`,
        "sha256",
      );
    }
    return data;
  }

  /** Every stored sha256, e.g. to collect those no task references any more. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    let folders: string[];
    try {
      folders = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    for (const folder of folders.sort()) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of (await readdir(join(this.dir, folder))).sort()) {
        const m = /^([0-9a-f]{64})\.zip$/.exec(name);
        if (m?.[1]?.startsWith(folder)) out.push(m[1]);
      }
    }
    return out;
  }
}
