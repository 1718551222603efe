// A lowdb adapter that replaces its file atomically and durably: temp file, fsync, rename, fsync of the folder.
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Adapter } from "lowdb";
import { HearthError } from "../domain/model/errors.ts";
import { PRIVATE_FILE_MODE } from "./private-data-dir.ts";

/**
 * lowdb's own JSONFile (through steno) renames a temp file but never fsyncs, so after a power cut the rename
 * can survive while the data does not; and JSONFilePreset swaps in a memory adapter under NODE_ENV=test.
 * This one reads back exactly what was last fully written, or what was there before.
 */
export class AtomicJsonFile implements Adapter<unknown> {
  readonly path: string;
  readonly tempPath: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

  async read(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new HearthError(
        "STORE_CORRUPT",
        `${this.path} is not valid JSON (${(err as Error).message}); restore it from a backup or move it away`,
      );
    }
  }

  /** Writes are queued: each starts after the previous one finished, in call order. */
  write(data: unknown): Promise<void> {
    return this.writeText(`${JSON.stringify(data, null, 2)}\n`);
  }

  writeText(text: string): Promise<void> {
    const run = this.queue.then(() => this.replace(text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async replace(text: string): Promise<void> {
    // A temp file left by a crash is just overwritten: it was never the committed state. Its mode is set again
    // because open's mode applies only to a file it creates, and the renamed file keeps the temp file's mode.
    const fh = await open(this.tempPath, "w", PRIVATE_FILE_MODE);
    try {
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.writeFile(text, "utf8");
      await fh.sync();
    } catch (err) {
      await fh.close();
      await unlink(this.tempPath).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(this.tempPath, this.path);
    await syncDirectory(dirname(this.path));
  }
}

/** Makes a rename in `dir` durable; some platforms cannot open a directory for that, which is fine to skip. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw err;
  } finally {
    await fh?.close();
  }
}
