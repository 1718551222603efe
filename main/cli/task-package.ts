// Turns what `hearth import` is given (a task folder or a zip) into the zip the API takes, with task.json's fields.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { packCodeZip, type CodeFile } from "../store/code-zip-packer.ts";
import { listFolderFiles, readFolderFiles } from "../store/folder-reader.ts";
import { DEFAULT_IMPORT_LIMITS } from "../domain/tasks/import-limits.ts";
import { openSafeZip } from "../store/zip-reader.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { formatBytes } from "./output.ts";

export const TASK_JSON = "task.json";

export interface TaskPackage {
  zip: Buffer;
  /** Files in the zip (task.json included). */
  fileCount: number;
  /** task.json's fields when the folder or zip has one at its root (parsed, not validated: the server does that). */
  taskJson: Record<string, unknown> | null;
}

/** The task fields the import flags may give; any given one wins over task.json. */
export interface ManifestFlags {
  name?: string;
  description?: string;
  runtime?: string;
  handler?: string;
  memoryMb?: number;
  timeoutS?: number;
  environment?: Record<string, string>;
}

function parseTaskJson(text: string, where: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      "INVALID_INPUT",
      `${where} is not valid JSON: ${(err as Error).message}`,
      EXIT.refused,
      {
        field: "task.json",
      },
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CliError("INVALID_INPUT", `${where} must hold a JSON object`, EXIT.refused, {
      field: "task.json",
    });
  }
  return raw as Record<string, unknown>;
}

/**
 * Zips a folder the way the server packs code (sorted, fixed times, links refused), task.json included, so the
 * server reads it as if the folder had been zipped by hand.
 */
export async function packFolder(
  dir: string,
  progress: (text: string) => void,
  packed?: (bytesDone: number, bytesTotal: number) => void,
): Promise<TaskPackage> {
  const limits = DEFAULT_IMPORT_LIMITS;
  const files = await listFolderFiles(dir, limits);
  const total = files.reduce((n, f) => n + f.size, 0);
  progress(`zipping ${files.length} file${files.length === 1 ? "" : "s"} (${formatBytes(total)})…`);
  const manifestFile = files.find((f) => f.path === TASK_JSON);
  const taskJson = manifestFile
    ? parseTaskJson(await readFile(join(dir, TASK_JSON), "utf8"), join(dir, TASK_JSON))
    : null;
  async function* counted(): AsyncGenerator<CodeFile> {
    let done = 0;
    for await (const f of readFolderFiles(files, limits)) {
      done += f.data.length;
      packed?.(done, total);
      yield f;
    }
  }
  const zip = await packCodeZip(counted(), limits.maxZipBytes);
  return { zip, fileCount: files.length, taskJson };
}

/** A zip as it is, with its root task.json read (when there is one) so flags can be merged over it. */
export async function readZip(path: string): Promise<TaskPackage> {
  const zip = await readFile(path);
  const safe = await openSafeZip(zip, DEFAULT_IMPORT_LIMITS);
  try {
    const entry = safe.files.find((f) => f.path === TASK_JSON);
    const taskJson = entry
      ? parseTaskJson((await safe.read(entry)).toString("utf8"), `${path}: task.json`)
      : null;
    return { zip, fileCount: safe.files.length, taskJson };
  } finally {
    safe.close();
  }
}

/** A folder or a .zip file. */
export async function packTaskPath(
  path: string,
  progress: (text: string) => void,
  packed?: (bytesDone: number, bytesTotal: number) => void,
): Promise<TaskPackage> {
  const info = await stat(path).catch(() => null);
  if (!info) {
    throw new CliError("INVALID_INPUT", `${path} does not exist`, EXIT.refused, {
      hint: "give a task folder (with task.json and the code) or a .zip of one",
    });
  }
  if (info.isDirectory()) return packFolder(path, progress, packed);
  if (info.isFile()) return readZip(path);
  throw new CliError("INVALID_INPUT", `${path} is neither a folder nor a zip file`, EXIT.refused);
}

/** Only the given flags, so that "not given" never overrides task.json. */
export function definedFlags(flags: ManifestFlags): ManifestFlags {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as ManifestFlags;
}

/**
 * The manifest to send with the code: task.json's fields with the flags over them (--env entries added to its
 * environment); none when no flag was given (the server then reads task.json from the zip itself).
 */
export function manifestFor(
  taskJson: Record<string, unknown> | null,
  flags: ManifestFlags,
): Record<string, unknown> | undefined {
  const given = definedFlags(flags);
  if (Object.keys(given).length === 0) return undefined;
  const merged: Record<string, unknown> = { ...(taskJson ?? {}), ...given };
  // --env adds to task.json's environment rather than replacing it.
  const base = taskJson?.environment;
  if (given.environment && typeof base === "object" && base !== null && !Array.isArray(base)) {
    merged.environment = { ...(base as Record<string, unknown>), ...given.environment };
  }
  return merged;
}
