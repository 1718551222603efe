// Reads an uploaded zip with yauzl and refuses anything that could escape, mislead or overwhelm the importer.
import type { Readable } from "node:stream";
import yauzl from "yauzl";
import { HearthError } from "../domain/model/errors.ts";
import { mib, type ImportLimits } from "../domain/tasks/import-limits.ts";

export interface ZipCodeEntry {
  /** Normalized: relative, `/`-separated, no `.` or empty segments. */
  path: string;
  executable: boolean;
  /** As declared by the central directory; reading enforces it. */
  size: number;
}

export interface SafeZip {
  /** Regular files only, in the zip's order. */
  files: ZipCodeEntry[];
  /** The file's bytes, stopping as soon as it inflates past its declared size or the total budget. */
  read(file: ZipCodeEntry): Promise<Buffer>;
  close(): void;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const unsafe = (name: string): HearthError =>
  new HearthError(
    "IMPORT_UNSAFE_PATH",
    `zip entry "${name}" points outside the task folder (absolute, "..", or a drive letter); rebuild the zip from inside the folder`,
    "code",
  );

/** The entry's path inside the task, or IMPORT_UNSAFE_PATH. yauzl already refuses these; this does not rely on it. */
export function safeEntryPath(name: string): string {
  if (name.includes("\0") || name.includes("\\")) throw unsafe(name);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) throw unsafe(name);
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw unsafe(name);
  return segments.join("/");
}

/** yauzl reports problems as plain Errors; this turns the ones a user can cause into HearthErrors. */
function fromYauzl(err: unknown, entry?: string): HearthError {
  if (err instanceof HearthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const named = /^(?:invalid relative path|absolute path|invalid characters in fileName): (.*)$/s.exec(
    message,
  );
  if (named) return unsafe(named[1] ?? "");
  if (message.startsWith("too many bytes in the stream")) return bomb(entry ?? "?");
  if (message.includes("end of central directory record signature not found")) {
    return new HearthError("IMPORT_INVALID", "the upload is not a zip file", "code");
  }
  const where = entry === undefined ? "" : ` (entry "${entry}")`;
  return new HearthError("IMPORT_INVALID", `the zip is damaged or unsupported${where}: ${message}`, "code");
}

const bomb = (entry: string): HearthError =>
  new HearthError(
    "IMPORT_TOO_LARGE",
    `zip entry "${entry}" inflates past the size its header declares; refusing it as a zip bomb`,
    "code",
  );

export async function openSafeZip(buffer: Buffer, limits: ImportLimits): Promise<SafeZip> {
  if (buffer.length > limits.maxZipBytes) {
    throw new HearthError(
      "IMPORT_TOO_LARGE",
      `the zip is ${mib(buffer.length)}; the limit is ${mib(limits.maxZipBytes)}`,
      "code",
    );
  }
  let zipfile: yauzl.ZipFile;
  try {
    zipfile = await yauzl.fromBufferPromise(buffer, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: true,
      // Backslashes become slashes first, so `..\\x` is caught as `../x` rather than kept as a strange name.
      strictFileNames: false,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw fromYauzl(err);
  }
  const entries = new Map<string, { info: ZipCodeEntry; entry: yauzl.Entry }>();
  try {
    if (zipfile.entryCount > limits.maxEntries) {
      throw new HearthError(
        "IMPORT_TOO_MANY_ENTRIES",
        `the zip has ${zipfile.entryCount} entries; the limit is ${limits.maxEntries}`,
        "code",
      );
    }
    let declared = 0;
    for await (const entry of zipfile.eachEntry()) {
      const path = safeEntryPath(entry.fileName);
      const mode = entry.externalFileAttributes >>> 16;
      const type = mode & S_IFMT;
      // Checked whatever system made the zip: a link in a zip is always refused, never followed.
      if (type === S_IFLNK) {
        throw new HearthError(
          "IMPORT_SYMLINK",
          `zip entry "${entry.fileName}" is a symbolic link; replace it with the file it points to`,
          "code",
        );
      }
      const isDir =
        entry.fileName.endsWith("/") || type === S_IFDIR || (entry.externalFileAttributes & 0x10) !== 0;
      if (isDir) continue;
      if (type !== 0 && type !== S_IFREG) {
        throw new HearthError(
          "IMPORT_INVALID",
          `zip entry "${entry.fileName}" is not a regular file`,
          "code",
        );
      }
      if (path === "") throw unsafe(entry.fileName);
      if (entry.isEncrypted()) {
        throw new HearthError("IMPORT_INVALID", `zip entry "${entry.fileName}" is encrypted`, "code");
      }
      if (!entry.canDecodeFileData()) {
        throw new HearthError(
          "IMPORT_INVALID",
          `zip entry "${entry.fileName}" uses compression method ${entry.compressionMethod}; only stored and deflate are read`,
          "code",
        );
      }
      if (entry.uncompressedSize > limits.maxTotalBytes) {
        throw new HearthError(
          "IMPORT_TOO_LARGE",
          `zip entry "${entry.fileName}" declares ${mib(entry.uncompressedSize)} unpacked; all files together may be at most ${mib(limits.maxTotalBytes)}`,
          "code",
        );
      }
      declared += entry.uncompressedSize;
      if (declared > limits.maxTotalBytes) {
        throw new HearthError(
          "IMPORT_TOO_LARGE",
          `the zip's files add up to more than ${mib(limits.maxTotalBytes)} unpacked`,
          "code",
        );
      }
      if (entries.has(path)) {
        throw new HearthError("IMPORT_INVALID", `the zip holds "${path}" twice`, "code");
      }
      entries.set(path, {
        info: { path, executable: type === S_IFREG && (mode & 0o111) !== 0, size: entry.uncompressedSize },
        entry,
      });
    }
    for (const path of entries.keys()) {
      for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
        if (entries.has(path.slice(0, i))) {
          throw new HearthError(
            "IMPORT_INVALID",
            `the zip holds both a file "${path.slice(0, i)}" and "${path}" beneath it`,
            "code",
          );
        }
      }
    }
  } catch (err) {
    zipfile.close();
    throw fromYauzl(err);
  }

  let total = 0;
  return {
    files: [...entries.values()].map((e) => e.info),
    close: () => zipfile.close(),
    read: async (file) => {
      const found = entries.get(file.path);
      if (!found) throw new Error(`not an entry of this zip: ${file.path}`);
      let stream: Readable;
      try {
        stream = await zipfile.openReadStreamPromise(found.entry);
      } catch (err) {
        throw fromYauzl(err, file.path);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          size += chunk.length;
          total += chunk.length;
          // Counted here on the bytes actually inflated, not trusted from any header.
          if (size > file.size) throw bomb(file.path);
          if (total > limits.maxTotalBytes) {
            throw new HearthError(
              "IMPORT_TOO_LARGE",
              `the zip's files inflate to more than ${mib(limits.maxTotalBytes)}`,
              "code",
            );
          }
          chunks.push(chunk);
        }
      } catch (err) {
        stream.destroy();
        throw fromYauzl(err, file.path);
      }
      if (size !== file.size) {
        throw new HearthError(
          "IMPORT_INVALID",
          `zip entry "${file.path}" is shorter than its header declares`,
          "code",
        );
      }
      return Buffer.concat(chunks);
    },
  };
}
