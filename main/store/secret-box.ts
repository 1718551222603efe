// Secrets at rest: AES-256-GCM under a 32-byte key kept in <data>/secret.key (mode 0600, made on first use).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { SecretSealer } from "../domain/model/command-context.ts";
import { HearthError } from "../domain/model/errors.ts";

export const SECRET_KEY_FILE = "secret.key";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values look like `gcm1.<iv>.<tag>.<ciphertext>` (base64url), so a format change can be told apart. */
const SEALED_PATTERN = /^gcm1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;

export class SecretBox implements SecretSealer {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** A box over a key already in memory (tests, or a key from elsewhere). */
  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES)
      throw new HearthError("SECRET_KEY_INVALID", `a secret key is ${KEY_BYTES} bytes`);
    return new SecretBox(Buffer.from(key));
  }

  /**
   * Reads `<dataDir>/secret.key`, creating it when absent unless `mustExist` (set when the document already
   * holds sealed values: a fresh key could not open them, so a missing key is an error, not a fresh start).
   */
  static async open(dataDir: string, options: { mustExist?: boolean } = {}): Promise<SecretBox> {
    const path = join(dataDir, SECRET_KEY_FILE);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (!info) {
      if (options.mustExist) {
        throw new HearthError(
          "SECRET_KEY_INVALID",
          `${path} is missing but the data holds sealed secrets; restore the key file from a backup`,
        );
      }
      const key = randomBytes(KEY_BYTES);
      try {
        const fh = await open(path, "wx", 0o600);
        await fh.writeFile(key);
        await fh.sync();
        await fh.close();
        return new SecretBox(key);
      } catch (err) {
        // Another opener created it first: use theirs.
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      info = await stat(path);
    }
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      throw new HearthError(
        "SECRET_KEY_INVALID",
        `${path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      );
    }
    const key = await readFile(path);
    if (key.length !== KEY_BYTES) {
      throw new HearthError(
        "SECRET_KEY_INVALID",
        `${path} holds ${key.length} bytes, not ${KEY_BYTES}; restore it from a backup`,
      );
    }
    return new SecretBox(key);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `gcm1.${iv.toString("base64url")}.${tag.toString("base64url")}.${data.toString("base64url")}`;
  }

  open(sealed: string): string {
    const m = SEALED_PATTERN.exec(sealed);
    const iv = m && Buffer.from(m[1] as string, "base64url");
    const tag = m && Buffer.from(m[2] as string, "base64url");
    if (!m || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES) {
      throw new HearthError("SECRET_UNREADABLE", "a sealed secret is malformed");
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(Buffer.from(m[3] as string, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new HearthError(
        "SECRET_UNREADABLE",
        `a sealed secret does not open with ${SECRET_KEY_FILE}: the key changed or the value was altered`,
      );
    }
  }

  sealMap(map: Record<string, string>): string {
    return this.seal(JSON.stringify(map));
  }

  openMap(sealed: string): Record<string, string> {
    const value: unknown = JSON.parse(this.open(sealed));
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new HearthError("SECRET_UNREADABLE", "a sealed secret map is not a map");
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "string")
        throw new HearthError("SECRET_UNREADABLE", "a sealed secret map holds a non-string");
      out[k] = v;
    }
    return out;
  }
}
