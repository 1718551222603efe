// A picked or dropped folder as the tasks store's FolderSource: a `webkitdirectory` input's files, or a drop's entries
// walked with the File and Directory Entries API; each file read as base64 only when the store asks.
import type { FolderFile, FolderSource } from "../stores/tasks-store.ts";

/** A file's bytes as base64 (a data: URL's tail), the way the host's import takes them. */
export function readFileBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error(`READ_FAILED: could not read ${file.name}`));
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.readAsDataURL(file);
  });
}

function folderFile(path: string, file: File): FolderFile {
  return { path, size: file.size, readBase64: () => readFileBase64(file) };
}

/** A `webkitdirectory` input's files: each knows its path from the chosen folder's name down. */
export function pickedFolder(files: readonly File[]): FolderSource {
  const first = files[0]?.webkitRelativePath ?? "";
  const name = first.includes("/") ? first.slice(0, first.indexOf("/")) : "the folder";
  return {
    name,
    list: async (_max, onFound) => {
      onFound(files.length);
      return files.map((f) => folderFile(f.webkitRelativePath || f.name, f));
    },
  };
}

const fileOf = (entry: FileSystemFileEntry): Promise<File> =>
  new Promise((resolve, reject) =>
    entry.file(resolve, () => reject(new Error(`READ_FAILED: could not read ${entry.fullPath}`))),
  );

/** One batch of a directory's entries; an empty batch means the listing is over. */
const batchOf = (reader: FileSystemDirectoryReader, dir: string): Promise<FileSystemEntry[]> =>
  new Promise((resolve, reject) =>
    reader.readEntries(resolve, () => reject(new Error(`READ_FAILED: could not list ${dir}`))),
  );

/**
 * What a drop brought, as one folder: a dropped folder's files are `folder/…` (the host removes that shared
 * folder), loose files keep their names. The entries must be taken from the drop event before it returns.
 */
export function droppedFolder(entries: readonly FileSystemEntry[]): FolderSource {
  const only = entries.length === 1 ? entries[0] : undefined;
  return {
    name: only?.isDirectory ? only.name : "the dropped files",
    async list(max, onFound) {
      const out: FolderFile[] = [];
      const walk = async (entry: FileSystemEntry): Promise<void> => {
        if (out.length > max) return;
        if (entry.isFile) {
          out.push(
            folderFile(entry.fullPath.replace(/^\/+/, ""), await fileOf(entry as FileSystemFileEntry)),
          );
          onFound(out.length);
          return;
        }
        if (!entry.isDirectory) return;
        const reader = (entry as FileSystemDirectoryEntry).createReader();
        for (let batch = await batchOf(reader, entry.fullPath); batch.length;) {
          for (const child of batch) await walk(child);
          if (out.length > max) return;
          batch = await batchOf(reader, entry.fullPath);
        }
      };
      for (const e of entries) await walk(e);
      return out;
    },
  };
}
