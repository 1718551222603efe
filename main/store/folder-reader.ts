// Lists a task folder's files for packing: regular files only, links refused (never followed), limits enforced.
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { HearthError } from "../domain/model/errors.ts";
import type { CodeFile } from "./code-zip-packer.ts";
import { compareCodePaths } from "./code-zip-packer.ts";
import { mib, type ImportLimits } from "../domain/tasks/import-limits.ts";

export interface FolderFile {
  path: string;
  absolute: string;
  executable: boolean;
  size: number;
}

/** Every regular file under `root`, as relative `/` paths in packing order; `skip` leaves out a path (and all under it). */
export async function listFolderFiles(
  root: string,
  limits: ImportLimits,
  skip: (path: string) => boolean = () => false,
): Promise<FolderFile[]> {
  const files: FolderFile[] = [];
  let total = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const absolute = join(dir, name);
      const path = prefix === "" ? name : `${prefix}/${name}`;
      if (skip(path)) continue;
      const info = await lstat(absolute);
      if (info.isSymbolicLink()) {
        throw new HearthError(
          "IMPORT_SYMLINK",
          `"${path}" in ${root} is a symbolic link; Hearth does not follow links in a task folder — copy in the file it points to`,
          "folder",
        );
      }
      if (info.isDirectory()) {
        await walk(absolute, path);
        continue;
      }
      if (!info.isFile()) {
        throw new HearthError(
          "IMPORT_INVALID",
          `"${path}" in ${root} is not a regular file or folder`,
          "folder",
        );
      }
      total += info.size;
      if (files.length + 1 > limits.maxEntries) {
        throw new HearthError(
          "IMPORT_TOO_MANY_ENTRIES",
          `${root} holds more than ${limits.maxEntries} files`,
          "folder",
        );
      }
      if (total > limits.maxTotalBytes) {
        throw new HearthError(
          "IMPORT_TOO_LARGE",
          `the files in ${root} add up to more than ${mib(limits.maxTotalBytes)}`,
          "folder",
        );
      }
      files.push({ path, absolute, executable: (info.mode & 0o111) !== 0, size: info.size });
    }
  };
  try {
    await walk(root, "");
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === "ENOENT" ||
      (err as NodeJS.ErrnoException).code === "ENOTDIR"
    ) {
      throw new HearthError("IMPORT_INVALID", `${root} is not a folder`, "folder");
    }
    throw err;
  }
  return files.sort((a, b) => compareCodePaths(a.path, b.path));
}

/** Reads the listed files one at a time, re-checking the total: a file can grow between listing and reading. */
export async function* readFolderFiles(files: FolderFile[], limits: ImportLimits): AsyncGenerator<CodeFile> {
  let total = 0;
  for (const f of files) {
    const data = await readFile(f.absolute);
    total += data.length;
    if (total > limits.maxTotalBytes) {
      throw new HearthError(
        "IMPORT_TOO_LARGE",
        `the folder's files add up to more than ${mib(limits.maxTotalBytes)}`,
        "folder",
      );
    }
    yield { path: f.path, executable: f.executable, data };
  }
}
