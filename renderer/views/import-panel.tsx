// Importing a task: drop a folder or a zip here or pick one, watch it read and upload, then go and invoke it.
import { useRef, useState, type DragEvent } from "react";
import { useStore } from "zustand";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { droppedFolder, pickedFolder } from "../logic/folder-files.ts";
import type { OwnedTaskView } from "../../main/contract.ts";
import { mibText, type FolderSource, type ImportProgress, type ZipSource } from "../stores/tasks-store.ts";

function fileSource(file: File): ZipSource {
  return {
    name: file.name,
    size: file.size,
    readBase64: (onProgress) =>
      new Promise((resolve, reject) => {
        const reader = new FileReader();
        reader.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
        reader.onerror = () => reject(new Error(`READ_FAILED: could not read ${file.name}`));
        reader.onload = () => {
          const url = String(reader.result);
          resolve(url.slice(url.indexOf(",") + 1));
        };
        reader.readAsDataURL(file);
      }),
  };
}

/** "echo.zip", or a folder's "12 files of echo" (counting up while a dropped folder is walked). */
function readingWhat(p: ImportProgress): string {
  if (p.files === undefined) return p.fileName;
  return `${p.files} file${p.files === 1 ? "" : "s"} of ${p.fileName}`;
}

export function ImportPanel({ onImported }: { onImported: (task: string) => void }) {
  const { tasks, ui, invoke } = useStores();
  const importing = useStore(tasks, (s) => s.importing);
  const [over, setOver] = useState(false);
  const [publish, setPublish] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement | null>(null);
  const busy = importing?.phase === "reading" || importing?.phase === "uploading";

  const finish = (view: OwnedTaskView | null) => {
    if (input.current) input.current.value = "";
    if (folderInput.current) folderInput.current.value = "";
    if (view) {
      ui.getState().toast("ok", `Imported ${view.name}${publish ? " and published version 1" : ""}`);
      onImported(view.name);
    }
  };

  const start = async (file: File | undefined) => {
    if (!file) return;
    finish(await tasks.getState().importZip(fileSource(file), { publish }));
  };

  const startFolder = async (folder: FolderSource) => {
    finish(await tasks.getState().importFolder(folder, { publish }));
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (busy) {
      ui.getState().toast("error", "Another import is still running");
      return;
    }
    // Entries exist only while the drop event runs: take them all now, walk them after.
    const entries = [...(e.dataTransfer.items ?? [])]
      .filter((item) => item.kind === "file" && "webkitGetAsEntry" in item)
      .map((item) => item.webkitGetAsEntry())
      .filter((entry): entry is FileSystemEntry => entry !== null);
    // One file is a zip (or refused as not one); a folder, or several files, is the task's folder.
    if (entries.length > 1 || entries[0]?.isDirectory) {
      void startFolder(droppedFolder(entries));
      return;
    }
    void start(e.dataTransfer.files[0]);
  };

  const pct = Math.round((importing?.fraction ?? 0) * 100);
  return (
    <div
      className={`dropzone${over ? " over" : ""}`}
      data-testid="import-dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <div className="dropzone-main">
        <strong>Import a task</strong>
        <span className="muted">
          Drop a task folder or a .zip of one here (task.json with name, runtime and handler, and its code),
          or
        </span>
        <label className="btn">
          Choose a zip…
          <input
            ref={input}
            type="file"
            accept=".zip,application/zip"
            data-testid="import-file-input"
            disabled={busy}
            onChange={(e) => void start(e.target.files?.[0])}
          />
        </label>
        <label className="btn">
          Choose folder…
          <input
            ref={(el) => {
              folderInput.current = el;
              // Not in React's attribute types: the browser's folder picker, files named `folder/…`.
              el?.setAttribute("webkitdirectory", "");
            }}
            type="file"
            data-testid="import-folder-input"
            disabled={busy}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              if (files.length) void startFolder(pickedFolder(files));
            }}
          />
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={publish}
            data-testid="import-publish"
            onChange={(e) => setPublish(e.target.checked)}
          />
          publish version 1 at once
        </label>
      </div>
      {importing && (
        <div className="import-progress" data-testid="import-progress" data-phase={importing.phase}>
          {importing.phase === "reading" && (
            <>
              <span>
                Reading {readingWhat(importing)}… {pct}%
              </span>
              <progress max={100} value={pct} />
            </>
          )}
          {importing.phase === "uploading" && (
            <>
              <span>
                Uploading{" "}
                {importing.bytes === undefined
                  ? importing.fileName
                  : `${mibText(importing.bytes)} of ${importing.fileName}`}{" "}
                and checking it…
              </span>
              <progress />
            </>
          )}
          {importing.phase === "done" && (
            <span>
              Imported <strong>{importing.task}</strong> from {importing.fileName}.{" "}
              <button
                className="btn small"
                type="button"
                onClick={() => {
                  invoke.getState().setTarget({ task: importing.task! });
                  ui.getState().go("invoke");
                }}
              >
                Invoke it
              </button>{" "}
              <button
                className="btn small ghost"
                type="button"
                onClick={() => tasks.getState().clearImport()}
              >
                Close
              </button>
            </span>
          )}
          {importing.phase === "failed" && (
            <>
              <ErrorNote error={importing.error ?? null} testId="import-error" />
              <button
                className="btn small ghost"
                type="button"
                onClick={() => tasks.getState().clearImport()}
              >
                Close
              </button>
            </>
          )}
        </div>
      )}
    </div>
  );
}
