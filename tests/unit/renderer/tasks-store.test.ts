// The tasks store: an import's phases (read with progress, upload, done or failed), publishing, configuration.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { OwnedTaskView } from "../../../main/contract.ts";
import {
  createTasksStore,
  MAX_FOLDER_FILES,
  MAX_ZIP_BYTES,
  type FolderFile,
  type FolderSource,
  type ZipSource,
} from "../../../renderer/stores/tasks-store.ts";
import { apiError, fakeApi } from "./fake-api.ts";

const task = (name: string, versions: number[] = []): OwnedTaskView => ({
  access: "owner",
  id: `tsk_${name}`,
  name,
  description: "",
  profileId: "p1",
  accountId: "111122223333",
  createdAt: "2026-11-23T00:00:00.000Z",
  updatedAt: "2026-11-23T00:00:00.000Z",
  runtime: "nodejs",
  handler: "index.handler",
  memoryMb: 128,
  timeoutS: 3,
  environment: {},
  codeSha256: "ab".repeat(32),
  codeSize: 100,
  versions: versions.map((version) => ({
    version,
    description: "",
    codeSha256: "ab".repeat(32),
    codeSize: 100,
    config: { runtime: "nodejs", handler: "index.handler", memoryMb: 128, timeoutS: 3, environment: {} },
    createdAt: "2026-11-23T00:00:00.000Z",
  })),
});

const zip = (name: string, size = 10): ZipSource => ({
  name,
  size,
  async readBase64(onProgress) {
    onProgress(0.5);
    onProgress(1);
    return "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";
  },
});

test("an import reads with progress, uploads, then lists the task", async () => {
  const api = fakeApi({ importTask: () => task("echo") });
  const store = createTasksStore(api);
  const phases: string[] = [];
  store.subscribe((s) => s.importing && phases.push(`${s.importing.phase}:${s.importing.fraction}`));
  const view = await store.getState().importZip(zip("echo.zip"), { publish: true });
  assert.equal(view?.name, "echo");
  assert.deepEqual(phases, ["reading:0", "reading:0.5", "reading:1", "uploading:0", "done:1"]);
  assert.deepEqual(api.calls[0], {
    name: "importTask",
    input: { zipBase64: "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==", publish: true },
  });
  assert.deepEqual(
    store.getState().items.map((t) => t.name),
    ["echo"],
  );
});

test("what is not a zip, or too large, is refused before anything is read or sent", async () => {
  const api = fakeApi({});
  const store = createTasksStore(api);
  let read = false;
  const notZip = { ...zip("notes.txt"), readBase64: async () => ((read = true), "") };
  assert.equal(await store.getState().importZip(notZip), null);
  assert.equal(store.getState().importing?.phase, "failed");
  assert.match(store.getState().importing?.error?.message ?? "", /not a \.zip/);
  assert.equal(await store.getState().importZip(zip("big.zip", MAX_ZIP_BYTES + 1)), null);
  assert.equal(store.getState().importing?.error?.code, "PAYLOAD_TOO_LARGE");
  assert.equal(read, false);
  assert.equal(api.calls.length, 0);
});

const folderFile = (path: string, text: string): FolderFile => ({
  path,
  size: text.length,
  readBase64: async () => Buffer.from(text).toString("base64"),
});

/** A folder whose listing finds its files one by one, as walking a dropped folder does. */
const folder = (name: string, files: FolderFile[]): FolderSource => ({
  name,
  async list(_max, onFound) {
    files.forEach((_f, i) => onFound(i + 1));
    return files;
  },
});

test("a folder is listed and read with progress, then sent as files; bootstrap alone is executable", async () => {
  const api = fakeApi({ importTaskFiles: () => task("echo") });
  const store = createTasksStore(api);
  const seen: string[] = [];
  store.subscribe((s) => {
    const i = s.importing;
    if (i) seen.push(`${i.phase}:${i.files ?? "-"}:${i.bytes ?? "-"}:${i.fraction}`);
  });
  const view = await store
    .getState()
    .importFolder(
      folder("echo", [
        folderFile("echo/task.json", "{}"),
        folderFile("echo/index.mjs", "xx"),
        folderFile("echo/bin/bootstrap", "#!"),
        folderFile("echo/bootstrap.sh", "sh"),
      ]),
      { publish: true },
    );
  assert.equal(view?.name, "echo");
  assert.deepEqual(seen, [
    "reading:0:-:0",
    "reading:1:-:0",
    "reading:2:-:0",
    "reading:3:-:0",
    "reading:4:-:0",
    "reading:4:8:0",
    "reading:4:8:0.25",
    "reading:4:8:0.5",
    "reading:4:8:0.75",
    "reading:4:8:1",
    "uploading:4:8:0",
    "done:4:8:1",
  ]);
  const b64 = (t: string) => Buffer.from(t).toString("base64");
  assert.deepEqual(api.calls, [
    {
      name: "importTaskFiles",
      input: {
        files: [
          { path: "echo/task.json", base64: b64("{}"), executable: false },
          { path: "echo/index.mjs", base64: b64("xx"), executable: false },
          { path: "echo/bin/bootstrap", base64: b64("#!"), executable: true },
          { path: "echo/bootstrap.sh", base64: b64("sh"), executable: false },
        ],
        publish: true,
      },
    },
  ]);
  assert.equal(store.getState().importing?.task, "echo");
  assert.deepEqual(
    store.getState().items.map((t) => t.name),
    ["echo"],
  );
});

test("a folder past the limits, or empty, is refused before anything is read or sent", async () => {
  const api = fakeApi({});
  const store = createTasksStore(api);
  let read = 0;
  const lazy = (path: string, size: number): FolderFile => ({
    path,
    size,
    readBase64: async () => (read++, ""),
  });
  await store
    .getState()
    .importFolder(folder("big", [lazy("big/task.json", 10), lazy("big/a", MAX_ZIP_BYTES)]));
  assert.equal(store.getState().importing?.phase, "failed");
  assert.equal(store.getState().importing?.error?.code, "PAYLOAD_TOO_LARGE");
  assert.match(store.getState().importing?.error?.message ?? "", /big's files add up to 50\.0 MiB/);
  const many = Array.from({ length: MAX_FOLDER_FILES + 1 }, (_, i) => lazy(`many/f${i}`, 1));
  await store.getState().importFolder(folder("many", many));
  assert.equal(store.getState().importing?.error?.code, "IMPORT_TOO_MANY_ENTRIES");
  assert.match(store.getState().importing?.error?.message ?? "", /more than 10000 files/);
  await store.getState().importFolder(folder("empty", []));
  assert.equal(store.getState().importing?.error?.code, "IMPORT_INVALID");
  assert.equal(read, 0);
  assert.equal(api.calls.length, 0);
});

test("a folder the host refuses, or that cannot be read, ends the import with the reason", async () => {
  const api = fakeApi({
    importTaskFiles: () => {
      throw apiError(400, "IMPORT_NO_TASK_JSON", "no task.json at the top of the folder", "files");
    },
  });
  const store = createTasksStore(api);
  await store.getState().importFolder(folder("code", [folderFile("code/index.mjs", "x")]));
  assert.equal(store.getState().importing?.phase, "failed");
  assert.equal(store.getState().importing?.error?.code, "IMPORT_NO_TASK_JSON");
  const unreadable: FolderFile = {
    path: "x/task.json",
    size: 1,
    readBase64: () => Promise.reject(new Error("READ_FAILED: could not read task.json")),
  };
  await store.getState().importFolder(folder("x", [unreadable]));
  assert.equal(store.getState().importing?.error?.code, "READ_FAILED");
  assert.equal(api.calls.length, 1);
});

test("the host's refusal ends the import with its reason", async () => {
  const api = fakeApi({
    importTask: () => {
      throw apiError(409, "TASK_EXISTS", 'task "echo" already exists', "name");
    },
  });
  const store = createTasksStore(api);
  await store.getState().importZip(zip("echo.zip"));
  const i = store.getState().importing!;
  assert.equal(i.phase, "failed");
  assert.equal(i.error?.code, "TASK_EXISTS");
});

test("publishing and saving replace the task in the list and answer with any error", async () => {
  let versions: number[] = [];
  const api = fakeApi({
    listTasks: () => [task("echo")],
    publishVersion: () => task("echo", (versions = [...versions, versions.length + 1])),
    configureTask: (input) => {
      if ((input as { memoryMb?: number }).memoryMb === 1)
        throw apiError(400, "INVALID_INPUT", "memoryMb must be between 128 and 10240", "memoryMb");
      return { ...task("echo", versions), memoryMb: (input as { memoryMb: number }).memoryMb };
    },
  });
  const store = createTasksStore(api);
  await store.getState().load();
  assert.equal(await store.getState().publish("echo", "  "), null);
  assert.deepEqual(api.calls.at(-1)?.input, { task: "echo" });
  assert.equal((store.getState().items[0] as OwnedTaskView).versions.length, 1);
  assert.equal(await store.getState().configure("echo", { memoryMb: 256 }), null);
  assert.equal((store.getState().items[0] as OwnedTaskView).memoryMb, 256);
  const err = await store.getState().configure("echo", { memoryMb: 1 });
  assert.equal(err?.field, "memoryMb");
  assert.deepEqual(store.getState().busy, {});
});

test("a slow load for the previous profile never overwrites the current one's", async () => {
  const answers: ((v: OwnedTaskView[]) => void)[] = [];
  const api = fakeApi({ listTasks: () => new Promise((r) => answers.push(r)) });
  const store = createTasksStore(api);
  const first = store.getState().load();
  store.getState().reset();
  const second = store.getState().load();
  answers[1]!([task("mine")]);
  answers[0]!([task("theirs")]);
  await Promise.all([first, second]);
  assert.deepEqual(
    store.getState().items.map((t) => t.name),
    ["mine"],
  );
});

test("each owned task's last run is its newest log record; a task without one, or whose log fails, has none", async () => {
  const api = fakeApi({
    listTasks: () => [task("echo"), task("quiet"), task("broken")],
    queryLogs: ({ task: name }) => {
      if (name === "broken") throw apiError(500, "INTERNAL_ERROR", "disk");
      return name === "echo"
        ? [
            {
              t: "2026-11-23T10:00:00.000Z",
              inv: "r1",
              caller: "p1",
              kind: "end" as const,
              ok: true,
              durationMs: 5,
            },
          ]
        : [];
    },
  });
  const store = createTasksStore(api);
  await store.getState().load();
  await store.getState().loadLastRuns();
  assert.deepEqual(Object.keys(store.getState().lastRuns), ["echo"]);
  assert.deepEqual(
    api.calls.filter((c) => c.name === "queryLogs").map((c) => c.input),
    [
      { task: "echo", limit: 1 },
      { task: "quiet", limit: 1 },
      { task: "broken", limit: 1 },
    ],
  );
});
