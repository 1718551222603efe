// Checks a folder sent as a list of files (a window's dropped folder): the zip and folder rules on paths and limits.
import { HearthError } from "../domain/model/errors.ts";
import { compareCodePaths, type CodeFile } from "./code-zip-packer.ts";
import { mib, type ImportLimits } from "../domain/tasks/import-limits.ts";

const MANIFEST_FILE = "task.json";

const unsafe = (path: string): HearthError =>
  new HearthError(
    "IMPORT_UNSAFE_PATH",
    `file "${path.replaceAll("\0", "\\0")}" points outside the task folder or is ambiguous (absolute, "..", ".", an empty segment, a backslash or NUL); send paths relative to the folder, "/"-separated`,
    "files",
  );

/**
 * The path as its segments, or IMPORT_UNSAFE_PATH. Stricter than a zip's entry names: a list of files is built by a
 * program, so nothing here is silently cleaned up — `a//b` or `./a` is refused, not read as `a/b` or `a`.
 */
function pathSegments(path: string): string[] {
  if (path.includes("\0") || path.includes("\\")) throw unsafe(path);
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) throw unsafe(path);
  const segments = path.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) throw unsafe(path);
  return segments;
}

/**
 * The one folder every path starts with, when it is the task's own folder: browsers name a dropped or chosen
 * folder's files `folder/…`. With the task's fields given directly (no task.json needed), a shared folder is
 * stripped only if it holds task.json, so code that simply all lives under `src/` keeps its paths.
 */
function commonFolder(paths: string[][], manifestGiven: boolean): string | null {
  const first = paths[0]?.[0];
  if (first === undefined || paths.some((p) => p.length < 2 || p[0] !== first)) return null;
  if (paths.some((p) => p.length === 1 && p[0] === MANIFEST_FILE)) return null;
  if (manifestGiven && !paths.some((p) => p.length === 2 && p[1] === MANIFEST_FILE)) return null;
  return first;
}

/**
 * The files with safe, relative paths (one shared top-level folder removed), in packing order; refused with the
 * zip's error codes when a path is unsafe or repeated, or the files pass the import limits.
 */
export function checkFileList(
  files: readonly CodeFile[],
  limits: ImportLimits,
  options: { manifestGiven: boolean },
): CodeFile[] {
  if (files.length > limits.maxEntries) {
    throw new HearthError(
      "IMPORT_TOO_MANY_ENTRIES",
      `the folder has ${files.length} files; the limit is ${limits.maxEntries}`,
      "files",
    );
  }
  const segments = files.map((f) => pathSegments(f.path));
  let total = 0;
  for (const f of files) {
    total += f.data.length;
    if (total > limits.maxTotalBytes) {
      throw new HearthError(
        "IMPORT_TOO_LARGE",
        `the folder's files add up to more than ${mib(limits.maxTotalBytes)}`,
        "files",
      );
    }
  }
  const strip = commonFolder(segments, options.manifestGiven) === null ? 0 : 1;
  const byPath = new Map<string, CodeFile>();
  files.forEach((f, i) => {
    const path = (segments[i] as string[]).slice(strip).join("/");
    if (byPath.has(path)) {
      throw new HearthError("IMPORT_INVALID", `the folder holds "${path}" twice`, "files");
    }
    byPath.set(path, { path, executable: f.executable, data: f.data });
  });
  for (const path of byPath.keys()) {
    for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
      if (byPath.has(path.slice(0, i))) {
        throw new HearthError(
          "IMPORT_INVALID",
          `the folder holds both a file "${path.slice(0, i)}" and "${path}" beneath it`,
          "files",
        );
      }
    }
  }
  return [...byPath.values()].sort((a, b) => compareCodePaths(a.path, b.path));
}
