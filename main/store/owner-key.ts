// The owner key: the machine owner's bearer key for the native API, kept in the data directory (mode 0600).
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { openDataDir } from "./private-data-dir.ts";

export const OWNER_KEY_FILE = "owner.key";
export const OWNER_KEY_PATTERN = /^hok_[A-Za-z0-9_-]{43}$/;

/**
 * Reads the data directory's owner key, minting it on first use. Whoever can read the data directory is its
 * owner already (it holds the secret key and every task's code), so the file's permissions are the boundary.
 */
export async function ensureOwnerKey(dataDir: string): Promise<string> {
  await openDataDir(dataDir);
  const file = join(dataDir, OWNER_KEY_FILE);
  try {
    const text = (await readFile(file, "utf8")).trim();
    if (OWNER_KEY_PATTERN.test(text)) return text;
    throw new Error(`OWNER_KEY_INVALID: ${file} does not hold an owner key; delete it to mint a new one`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const key = `hok_${randomBytes(32).toString("base64url")}`;
  // "wx": two processes starting at once never overwrite each other's key.
  try {
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return ensureOwnerKey(dataDir);
    throw err;
  }
  await chmod(file, 0o600);
  return key;
}

/** The owner key when the data directory has one, without minting it (for clients such as the CLI). */
export async function readOwnerKey(dataDir: string): Promise<string | null> {
  // A key in a directory others can read is no longer the owner's alone: said, rather than used.
  await openDataDir(dataDir);
  try {
    const text = (await readFile(join(dataDir, OWNER_KEY_FILE), "utf8")).trim();
    return OWNER_KEY_PATTERN.test(text) ? text : null;
  } catch {
    return null;
  }
}
