// The data directory is its owner's alone: made 0700 with 0700 folders and 0600 files, refused when others can read it.
//
// It holds every task's code, payloads queued for later, the log of every invocation (the owner's and the tasks'
// own words), sealed secrets with the key that opens them, the owner key and the shared listener's private key.
// Whoever can list or read it is the machine's owner in all but name, so one mode check at the top guards all
// of it, and everything made below it is private too in case the top is ever opened up.
import type { Stats } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { HearthError } from "../domain/model/errors.ts";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Group and others: any of these bits on the data directory lets someone else in. */
const SHARED_BITS = 0o077;

/** A folder (and any missing parent) made 0700; one that exists is left as it is. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Makes the data directory (0700) when it is missing, and refuses one that group or others may read, write or
 * enter, saying how to close it. Called by everything that opens the data directory: the host at start, the CLI
 * before it reads the owner key or serve.json, the store, and the owner key.
 */
export async function openDataDir(dir: string): Promise<void> {
  let info: Stats;
  try {
    info = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await makePrivateDir(dir);
    info = await stat(dir);
  }
  if (!info.isDirectory()) {
    throw new HearthError(
      "DATA_DIR_INSECURE",
      `${dir} is not a directory; move it away or set HEARTH_DATA to a directory of your own`,
    );
  }
  const mode = info.mode & 0o777;
  if ((mode & SHARED_BITS) !== 0) {
    throw new HearthError(
      "DATA_DIR_INSECURE",
      `${dir} can be read by other users (mode ${mode.toString(8).padStart(3, "0")}) and holds every task's code, ` +
        `payloads, logs and keys; make it yours alone with: chmod 700 ${shellWord(dir)}`,
    );
  }
}

/** The path as a shell word, so the printed fix can be pasted as it is. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
