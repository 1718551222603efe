// Task import: a folder, a zip, a list of files or code plus fields in; a validated manifest and a normalized code zip with its sha256 out.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { HearthError } from "../domain/model/errors.ts";
import { parseInput } from "../domain/model/input-validation.ts";
import { taskManifestSchema, type TaskManifest } from "../domain/tasks/task-config.ts";
import { compareCodePaths, packCodeZip, type CodeFile } from "./code-zip-packer.ts";
import { checkFileList } from "./file-list-checker.ts";
import { listFolderFiles, readFolderFiles } from "./folder-reader.ts";
import { DEFAULT_IMPORT_LIMITS, mib, type ImportLimits } from "../domain/tasks/import-limits.ts";
import { openSafeZip, type SafeZip, type ZipCodeEntry } from "./zip-reader.ts";

export const MANIFEST_FILE = "task.json";

export interface ImportedTask {
  manifest: TaskManifest;
  /**
   * The code as Hearth stores it: every file but the root task.json, repacked deterministically (sorted, fixed
   * times, modes 644/755), so the same code has the same sha256 whether it came as a folder or a zip.
   */
  code: Buffer;
  sha256: string;
  size: number;
  fileCount: number;
}

export interface ImportProgress {
  phase: "checking" | "packing" | "done";
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
}

export interface ImportOptions {
  limits?: Partial<ImportLimits>;
  onProgress?: (progress: ImportProgress) => void;
}

function limitsOf(options: ImportOptions): ImportLimits {
  return { ...DEFAULT_IMPORT_LIMITS, ...options.limits };
}

/** Parses task.json's text against the task rules; errors name the field and say they came from task.json. */
export function parseManifest(text: string): TaskManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HearthError(
      "INVALID_INPUT",
      `task.json is not valid JSON: ${(err as Error).message}`,
      "task.json",
    );
  }
  try {
    return parseInput(taskManifestSchema, raw);
  } catch (err) {
    if (err instanceof HearthError) throw new HearthError(err.code, `task.json: ${err.detail}`, err.field);
    throw err;
  }
}

async function finish(
  manifest: TaskManifest,
  files: AsyncIterable<CodeFile> | Iterable<CodeFile>,
  count: number,
  limits: ImportLimits,
  options: ImportOptions,
): Promise<ImportedTask> {
  if (count === 0) {
    throw new HearthError("IMPORT_INVALID", "the task has no code: add its files beside task.json", "code");
  }
  let done = 0;
  let bytes = 0;
  async function* withProgress(): AsyncGenerator<CodeFile> {
    for await (const f of files) {
      done++;
      bytes += f.data.length;
      options.onProgress?.({ phase: "packing", filesDone: done, filesTotal: count, bytesDone: bytes });
      yield f;
    }
  }
  const code = await packCodeZip(withProgress(), limits.maxZipBytes);
  const sha256 = createHash("sha256").update(code).digest("hex");
  options.onProgress?.({ phase: "done", filesDone: done, filesTotal: count, bytesDone: bytes });
  return { manifest, code, sha256, size: code.length, fileCount: count };
}

async function* readZipFiles(zip: SafeZip, entries: ZipCodeEntry[]): AsyncGenerator<CodeFile> {
  for (const e of entries) yield { path: e.path, executable: e.executable, data: await zip.read(e) };
}

function codeEntries(zip: SafeZip): ZipCodeEntry[] {
  return zip.files.filter((f) => f.path !== MANIFEST_FILE).sort((a, b) => compareCodePaths(a.path, b.path));
}

/** A folder holding task.json and the code beside it. */
export async function importTaskFolder(dir: string, options: ImportOptions = {}): Promise<ImportedTask> {
  const limits = limitsOf(options);
  options.onProgress?.({ phase: "checking", filesDone: 0, filesTotal: 0, bytesDone: 0 });
  const files = await listFolderFiles(dir, limits);
  const manifestFile = files.find((f) => f.path === MANIFEST_FILE);
  if (!manifestFile) {
    throw new HearthError("IMPORT_NO_TASK_JSON", `${dir} has no ${MANIFEST_FILE}`, "folder");
  }
  if ((await stat(join(dir, MANIFEST_FILE))).size > limits.maxManifestBytes) {
    throw new HearthError(
      "IMPORT_TOO_LARGE",
      `task.json is larger than ${mib(limits.maxManifestBytes)}`,
      "task.json",
    );
  }
  const manifest = parseManifest(await readFile(join(dir, MANIFEST_FILE), "utf8"));
  const code = files.filter((f) => f !== manifestFile);
  return finish(manifest, readFolderFiles(code, limits), code.length, limits, options);
}

/** A zip with task.json at its root, the way `zip -r ../task.zip .` inside the folder makes it. */
export async function importTaskZip(zip: Buffer, options: ImportOptions = {}): Promise<ImportedTask> {
  const limits = limitsOf(options);
  options.onProgress?.({ phase: "checking", filesDone: 0, filesTotal: 0, bytesDone: 0 });
  const safe = await openSafeZip(zip, limits);
  try {
    const manifestEntry = safe.files.find((f) => f.path === MANIFEST_FILE);
    if (!manifestEntry) {
      const nested = safe.files.find((f) => f.path.endsWith(`/${MANIFEST_FILE}`));
      const hint = nested
        ? ` (found "${nested.path}": zip the folder's contents, not the folder itself)`
        : "";
      throw new HearthError(
        "IMPORT_NO_TASK_JSON",
        `no ${MANIFEST_FILE} at the root of the zip${hint}`,
        "code",
      );
    }
    if (manifestEntry.size > limits.maxManifestBytes) {
      throw new HearthError(
        "IMPORT_TOO_LARGE",
        `task.json is larger than ${mib(limits.maxManifestBytes)}`,
        "task.json",
      );
    }
    const manifest = parseManifest((await safe.read(manifestEntry)).toString("utf8"));
    const entries = codeEntries(safe);
    return await finish(manifest, readZipFiles(safe, entries), entries.length, limits, options);
  } finally {
    safe.close();
  }
}

/** Code as a zip and the task's fields given directly (an API call); a task.json inside the zip is ignored. */
export async function importTaskCode(
  input: { code: Buffer; manifest: unknown },
  options: ImportOptions = {},
): Promise<ImportedTask> {
  const limits = limitsOf(options);
  const manifest = parseInput(taskManifestSchema, input.manifest);
  options.onProgress?.({ phase: "checking", filesDone: 0, filesTotal: 0, bytesDone: 0 });
  const safe = await openSafeZip(input.code, limits);
  try {
    const entries = codeEntries(safe);
    return await finish(manifest, readZipFiles(safe, entries), entries.length, limits, options);
  } finally {
    safe.close();
  }
}

/**
 * A folder sent as its files (the window's dropped or chosen folder): the folder and zip rules on paths and limits,
 * one shared top-level folder removed, then the same packing, so the same code has the same sha256. With `manifest`
 * the task's fields come from it and a task.json among the files is ignored, as with importTaskCode.
 */
export async function importTaskFiles(
  files: readonly CodeFile[],
  options: ImportOptions & { manifest?: unknown } = {},
): Promise<ImportedTask> {
  const limits = limitsOf(options);
  const given = options.manifest === undefined ? undefined : parseInput(taskManifestSchema, options.manifest);
  options.onProgress?.({ phase: "checking", filesDone: 0, filesTotal: 0, bytesDone: 0 });
  const checked = checkFileList(files, limits, { manifestGiven: given !== undefined });
  const manifestFile = checked.find((f) => f.path === MANIFEST_FILE);
  let manifest = given;
  if (manifest === undefined) {
    if (!manifestFile) {
      const nested = checked.find((f) => f.path.endsWith(`/${MANIFEST_FILE}`));
      const hint = nested ? ` (found "${nested.path}": choose the folder that holds task.json itself)` : "";
      throw new HearthError(
        "IMPORT_NO_TASK_JSON",
        `no ${MANIFEST_FILE} at the top of the folder${hint}`,
        "files",
      );
    }
    if (manifestFile.data.length > limits.maxManifestBytes) {
      throw new HearthError(
        "IMPORT_TOO_LARGE",
        `task.json is larger than ${mib(limits.maxManifestBytes)}`,
        "task.json",
      );
    }
    manifest = parseManifest(manifestFile.data.toString("utf8"));
  }
  const code = checked.filter((f) => f !== manifestFile);
  return finish(manifest, code, code.length, limits, options);
}
