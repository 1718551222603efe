// The acting profile's tasks (its own and those shared with it): import (a zip or a folder) with progress,
// configuration, versions.
import { createStore } from "zustand/vanilla";
import type { HearthApi, LogRecord, OwnedTaskView, TaskView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import { emptyCollection, collectionLoader, type Collection } from "./collection.ts";

/** The server's limit for an uploaded zip; a folder's files together may be no larger either. */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;
/** The server's limit on a task's files (main/store/import-limits.ts). */
export const MAX_FOLDER_FILES = 10_000;

/** A zip the user picked or dropped; reading it is the store's first step, so it can report progress. */
export interface ZipSource {
  name: string;
  size: number;
  readBase64(onProgress: (fraction: number) => void): Promise<string>;
}

/** One file of a folder the user picked or dropped. */
export interface FolderFile {
  /** `/`-separated, as the browser reports it: `folder/lib/a.js` (the host removes the shared `folder/`). */
  path: string;
  size: number;
  readBase64(): Promise<string>;
}

/** A folder the user picked or dropped; walking a dropped folder takes a while, so listing reports as it goes. */
export interface FolderSource {
  name: string;
  /** Every file beneath it; may stop early once it has found more than `max`. */
  list(max: number, onFound: (count: number) => void): Promise<FolderFile[]>;
}

export interface ImportProgress {
  /** The zip's or the folder's name. */
  fileName: string;
  phase: "reading" | "uploading" | "done" | "failed";
  /** 0..1 of the current phase; uploading has no measurable progress over fetch. */
  fraction: number;
  /** A folder's: how many files it holds (so far, while listing), and their bytes once listed. */
  files?: number;
  bytes?: number;
  error?: ReadableError;
  task?: string;
}

/** The `provided` runtime runs a file named bootstrap; a browser cannot tell which files are executable. */
export function isExecutableName(path: string): boolean {
  return path.split("/").at(-1) === "bootstrap";
}

export function mibText(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export interface TaskConfigPatch {
  description?: string;
  memoryMb?: number;
  timeoutS?: number;
  handler?: string;
  environment?: Record<string, string>;
}

export interface TasksState extends Collection<TaskView> {
  importing: ImportProgress | null;
  /** Each owned task's newest log record: when it last ran, and how that ended. */
  lastRuns: Record<string, LogRecord>;
  /** Names of tasks with a call under way (publish, save). */
  busy: Record<string, boolean>;
  load(): Promise<void>;
  loadLastRuns(): Promise<void>;
  importZip(file: ZipSource, options?: { publish?: boolean }): Promise<OwnedTaskView | null>;
  /** Sends the folder's files as they are (task.json among them); refused here first when past the limits. */
  importFolder(folder: FolderSource, options?: { publish?: boolean }): Promise<OwnedTaskView | null>;
  clearImport(): void;
  publish(task: string, description: string): Promise<ReadableError | null>;
  configure(task: string, patch: TaskConfigPatch): Promise<ReadableError | null>;
  remove(task: string): Promise<ReadableError | null>;
  reset(): void;
}

/** The list with `view` in place of the owned task of its name, or first when new. */
function withTask(items: TaskView[], view: OwnedTaskView): TaskView[] {
  const i = items.findIndex((t) => t.access === "owner" && t.name === view.name);
  return i < 0 ? [view, ...items] : items.map((t, j) => (j === i ? view : t));
}

export function createTasksStore(api: Pick<HearthApi, "call">) {
  return createStore<TasksState>()((set, get) => {
    const load = collectionLoader<TaskView>(set);
    const replace = (view: OwnedTaskView): void => set((s) => ({ items: withTask(s.items, view) }));
    const withBusy = async (task: string, run: () => Promise<void>): Promise<ReadableError | null> => {
      set((s) => ({ busy: { ...s.busy, [task]: true } }));
      try {
        await run();
        return null;
      } catch (err) {
        return readableError(err);
      } finally {
        set((s) => {
          const { [task]: _done, ...busy } = s.busy;
          return { busy };
        });
      }
    };
    return {
      ...emptyCollection<TaskView>(),
      importing: null,
      lastRuns: {},
      busy: {},
      load: () => load(() => api.call("listTasks", {})),
      async loadLastRuns() {
        const owned = get().items.filter((t) => t.access === "owner");
        const found = await Promise.all(
          owned.map((t) =>
            api.call("queryLogs", { task: t.name, limit: 1 }).then(
              (records) => [t.name, records[0]] as const,
              () => [t.name, undefined] as const,
            ),
          ),
        );
        const lastRuns: Record<string, LogRecord> = {};
        for (const [name, r] of found) if (r) lastRuns[name] = r;
        set({ lastRuns });
      },
      async importZip(file, options = {}) {
        const fail = (error: ReadableError): null => {
          set({ importing: { fileName: file.name, phase: "failed", fraction: 0, error } });
          return null;
        };
        if (!/\.zip$/i.test(file.name)) {
          return fail({
            code: "INVALID_INPUT",
            message: `${file.name} is not a .zip: drop or choose the task's folder itself, or a zip of it (task.json and its code at the top)`,
          });
        }
        if (file.size > MAX_ZIP_BYTES) {
          return fail({ code: "PAYLOAD_TOO_LARGE", message: `${file.name} is larger than 50 MiB` });
        }
        if (get().importing?.phase === "reading" || get().importing?.phase === "uploading") {
          return fail({ code: "BUSY", message: "another import is still running" });
        }
        set({ importing: { fileName: file.name, phase: "reading", fraction: 0 } });
        try {
          const zipBase64 = await file.readBase64((fraction) =>
            set({ importing: { fileName: file.name, phase: "reading", fraction } }),
          );
          set({ importing: { fileName: file.name, phase: "uploading", fraction: 0 } });
          const view = await api.call("importTask", {
            zipBase64,
            ...(options.publish ? { publish: true } : {}),
          });
          set((s) => ({
            items: withTask(s.items, view),
            importing: { fileName: file.name, phase: "done", fraction: 1, task: view.name },
          }));
          return view;
        } catch (err) {
          return fail(readableError(err));
        }
      },
      async importFolder(folder, options = {}) {
        const fileName = folder.name;
        const fail = (error: ReadableError): null => {
          set({ importing: { fileName, phase: "failed", fraction: 0, error } });
          return null;
        };
        if (get().importing?.phase === "reading" || get().importing?.phase === "uploading") {
          return fail({ code: "BUSY", message: "another import is still running" });
        }
        const reading = (files: number, fraction: number, bytes?: number) =>
          set({
            importing: {
              fileName,
              phase: "reading",
              fraction,
              files,
              ...(bytes === undefined ? {} : { bytes }),
            },
          });
        reading(0, 0);
        try {
          const listed = await folder.list(MAX_FOLDER_FILES, (n) => reading(n, 0));
          if (listed.length === 0) {
            return fail({ code: "IMPORT_INVALID", message: `${fileName} holds no files` });
          }
          if (listed.length > MAX_FOLDER_FILES) {
            return fail({
              code: "IMPORT_TOO_MANY_ENTRIES",
              message: `${fileName} holds more than ${MAX_FOLDER_FILES} files, the most a task may have: leave out what the task does not need (caches, build output) and try again`,
            });
          }
          const bytes = listed.reduce((n, f) => n + f.size, 0);
          if (bytes > MAX_ZIP_BYTES) {
            return fail({
              code: "PAYLOAD_TOO_LARGE",
              message: `${fileName}'s files add up to ${mibText(bytes)}; a task's files may be at most ${mibText(MAX_ZIP_BYTES)}`,
            });
          }
          reading(listed.length, 0, bytes);
          const files: { path: string; base64: string; executable: boolean }[] = [];
          let done = 0;
          for (const f of listed) {
            files.push({ path: f.path, base64: await f.readBase64(), executable: isExecutableName(f.path) });
            done += f.size;
            reading(listed.length, bytes === 0 ? files.length / listed.length : done / bytes, bytes);
          }
          set({ importing: { fileName, phase: "uploading", fraction: 0, files: listed.length, bytes } });
          const view = await api.call("importTaskFiles", {
            files,
            ...(options.publish ? { publish: true } : {}),
          });
          set((s) => ({
            items: withTask(s.items, view),
            importing: { fileName, phase: "done", fraction: 1, files: listed.length, bytes, task: view.name },
          }));
          return view;
        } catch (err) {
          return fail(readableError(err));
        }
      },
      clearImport() {
        set({ importing: null });
      },
      publish(task, description) {
        return withBusy(task, async () => {
          replace(await api.call("publishVersion", { task, ...(description.trim() ? { description } : {}) }));
        });
      },
      configure(task, patch) {
        return withBusy(task, async () => {
          replace(await api.call("configureTask", { task, ...patch }));
        });
      },
      remove(task) {
        return withBusy(task, async () => {
          await api.call("deleteTask", { task });
          set((s) => ({ items: s.items.filter((t) => !(t.access === "owner" && t.name === task)) }));
        });
      },
      reset() {
        set({ ...emptyCollection<TaskView>(), importing: null, lastRuns: {}, busy: {} });
      },
    };
  });
}

export type TasksStore = ReturnType<typeof createTasksStore>;
