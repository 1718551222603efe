// Importing a task: drop a zip here or pick one, watch it read and upload, then go and invoke it.
import { useRef, useState, type DragEvent } from "react";
import { useStore } from "zustand";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ZipSource } from "../stores/tasks-store.ts";

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

export function ImportPanel({ onImported }: { onImported: (task: string) => void }) {
  const { tasks, ui, invoke } = useStores();
  const importing = useStore(tasks, (s) => s.importing);
  const [over, setOver] = useState(false);
  const [publish, setPublish] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const busy = importing?.phase === "reading" || importing?.phase === "uploading";

  const start = async (file: File | undefined) => {
    if (!file) return;
    const view = await tasks.getState().importZip(fileSource(file), { publish });
    if (input.current) input.current.value = "";
    if (view) {
      ui.getState().toast("ok", `Imported ${view.name}${publish ? " and published version 1" : ""}`);
      onImported(view.name);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const item = e.dataTransfer.items?.[0];
    const entry = item && "webkitGetAsEntry" in item ? item.webkitGetAsEntry() : null;
    if (entry?.isDirectory) {
      ui.getState().toast(
        "error",
        `${entry.name} is a folder: zip it first (task.json at the top), or run \`hearth import ${entry.name}\``,
      );
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
          Drop a .zip of a task folder here (task.json with name, runtime and handler, and its code), or
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
                Reading {importing.fileName}… {pct}%
              </span>
              <progress max={100} value={pct} />
            </>
          )}
          {importing.phase === "uploading" && (
            <>
              <span>Uploading {importing.fileName} and checking it…</span>
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
