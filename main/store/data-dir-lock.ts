// One Hearth per data directory: a lock file holding the owner's pid, taken over only when that process is gone.
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { HearthError } from "../domain/model/errors.ts";

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Writes go through one process so they can be serialized in memory; a second process writing the same
 * document would silently undo the first one's changes, so it is refused instead.
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = join(dir, "hearth.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, "wx", 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      const who = pid === process.pid ? "this process already has it open" : `process ${pid} is using it`;
      throw new HearthError(
        "STORE_LOCKED",
        `${dir} is locked (${who}); stop that Hearth or set HEARTH_DATA to another directory`,
      );
    }
    // The holder died without cleaning up: the lock is stale.
    await unlink(path).catch(() => undefined);
  }
  throw new HearthError("STORE_LOCKED", `could not take the lock ${path}; remove it if no Hearth is running`);
}
