// Invoke: pick a task (and version or alias), write a JSON payload, run it, watch its logs stream, read the outcome.
import { useEffect, useRef, useState } from "react";
import { useStore } from "zustand";
import type { AliasView, OwnedTaskView, SharedTaskView, TaskView } from "../../main/contract.ts";
import { Badge, EmptyState, ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { formatMs } from "../logic/format.ts";
import { taskRefOf } from "../logic/metrics-scope.ts";
import { formatPayload } from "../logic/payload.ts";
import type { InvokeTarget } from "../stores/invoke-store.ts";
import type { TestEventTask } from "../stores/test-events-store.ts";
import type { ReadableError } from "../logic/errors.ts";

/** Each target as one option value: owner account (or empty) and task name. */
const taskKey = (t: TaskView): string =>
  t.access === "owner" ? `:${t.name}` : `${t.ownerAccountId}:${t.name}`;

function qualifiersFor(task: TaskView, aliases: AliasView[]): { value: string; label: string }[] {
  const mine = aliases.filter((a) => a.task.id === task.id);
  if (task.access === "grantee") {
    return mine.map((a) => ({ value: a.name, label: `alias ${a.name}` }));
  }
  return [
    { value: "$LATEST", label: "$LATEST (current code)" },
    ...[...task.versions].reverse().map((v) => ({ value: String(v.version), label: `version ${v.version}` })),
    ...mine.map((a) => ({ value: a.name, label: `alias ${a.name} → ${String(a.routing.version)}` })),
  ];
}

export function InvokeView() {
  const { tasks, aliases, invoke, ui, remotes, logs } = useStores();
  const taskList = useStore(tasks, (s) => s.items);
  // Remote APIs are called route by route through the port, not invoked as functions.
  const remoteList = useStore(remotes, (s) => s.items).filter((r) => r.kind === "alias");
  const tasksLoaded = useStore(tasks, (s) => s.loaded);
  const held = useStore(aliases, (s) => s.items);
  const st = useStore(invoke);
  const editor = useRef<HTMLTextAreaElement>(null);
  const logEnd = useRef<HTMLDivElement>(null);
  const [, tick] = useState(0);

  const selectedTask =
    st.target === null
      ? null
      : (taskList.find((t) =>
          st.target!.ownerAccountId
            ? t.access === "grantee" &&
              t.ownerAccountId === st.target!.ownerAccountId &&
              t.name === st.target!.task
            : t.access === "owner" && t.name === st.target!.task,
        ) ?? null);
  const qualifiers = selectedTask ? qualifiersFor(selectedTask, held) : [];
  // A bare name that is no task of this profile's is one of its remote aliases (the two never share a name).
  const selectedRemote =
    st.target !== null && !selectedTask && !st.target.qualifier && !st.target.ownerAccountId
      ? (remoteList.find((r) => r.name === st.target!.task) ?? null)
      : null;

  // Default to the first task, so the editor is ready as soon as the view opens.
  useEffect(() => {
    if (st.target === null && taskList[0]) pick(taskList[0]);
    else if (st.target === null && remoteList[0]) invoke.getState().setTarget({ task: remoteList[0].name });
  });

  // A running invocation's clock.
  useEffect(() => {
    if (!st.running) return;
    const h = setInterval(() => tick((n) => n + 1), 100);
    return () => clearInterval(h);
  }, [st.running]);

  useEffect(() => {
    logEnd.current?.scrollIntoView({ block: "nearest" });
  }, [st.logs.length]);

  function pick(task: TaskView | undefined, qualifier?: string) {
    if (!task) return;
    const target: InvokeTarget =
      task.access === "owner"
        ? { task: task.name, ...(qualifier && qualifier !== "$LATEST" ? { qualifier } : {}) }
        : {
            task: task.name,
            ownerAccountId: task.ownerAccountId,
            ...(qualifier
              ? { qualifier }
              : qualifiersFor(task, held)[0]
                ? { qualifier: qualifiersFor(task, held)[0]!.value }
                : {}),
          };
    invoke.getState().setTarget(target);
  }

  if (tasksLoaded && taskList.length === 0 && remoteList.length === 0) {
    return (
      <section data-testid="view-invoke">
        <header className="view-head">
          <h1>Invoke</h1>
        </header>
        <EmptyState testId="empty-invoke" title="Nothing to invoke yet">
          Import a task first (Tasks → drop a zip), or ask another profile to share one with this profile.{" "}
          <button className="btn small" type="button" onClick={() => ui.getState().go("tasks")}>
            Go to Tasks
          </button>
        </EmptyState>
      </section>
    );
  }

  const r = st.result;
  const needsAlias = selectedTask?.access === "grantee" && qualifiers.length === 0;
  const canRun = !st.running && st.target !== null && st.payloadProblem === null && !needsAlias;

  return (
    <section data-testid="view-invoke">
      <header className="view-head">
        <h1>Invoke</h1>
        <p>
          Runs the task in this profile&apos;s VM with the payload as its event. <kbd>Ctrl</kbd>+
          <kbd>Enter</kbd> runs.
        </p>
      </header>
      <div className="toolbar">
        <label>
          Task
          <select
            data-testid="invoke-task-select"
            value={
              selectedTask ? taskKey(selectedTask) : selectedRemote ? `remote:${selectedRemote.name}` : ""
            }
            disabled={st.running}
            onChange={(e) => {
              const v = e.target.value;
              if (v.startsWith("remote:")) invoke.getState().setTarget({ task: v.slice("remote:".length) });
              else pick(taskList.find((t) => taskKey(t) === v));
            }}
          >
            {!selectedTask && !selectedRemote && <option value="">Choose a task</option>}
            {taskList.map((t) => (
              <option key={taskKey(t)} value={taskKey(t)}>
                {t.access === "owner"
                  ? t.name
                  : `${t.name} (shared by ${(t as SharedTaskView).ownerProfileName})`}
              </option>
            ))}
            {remoteList.map((r) => (
              <option key={`remote:${r.name}`} value={`remote:${r.name}`}>
                {`${r.name} (remote alias)`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Version or alias
          <select
            data-testid="invoke-qualifier-select"
            value={st.target?.qualifier ?? (selectedTask?.access === "owner" ? "$LATEST" : "")}
            disabled={st.running || !selectedTask || qualifiers.length === 0}
            onChange={(e) => pick(selectedTask ?? undefined, e.target.value)}
          >
            {qualifiers.length === 0 && (
              <option value="">{selectedRemote ? "the owner's alias" : "no alias yet"}</option>
            )}
            {qualifiers.map((q) => (
              <option key={q.value} value={q.value}>
                {q.label}
              </option>
            ))}
          </select>
        </label>
        {selectedTask?.access === "owner" && <OwnedSummary task={selectedTask} />}
        {selectedRemote && (
          <span className="muted small" data-testid="invoke-remote-note">
            runs on its owner&apos;s machine at {selectedRemote.endpoint}
          </span>
        )}
      </div>
      {needsAlias && (
        <p className="note">
          A task shared with this profile runs through an alias of its own.{" "}
          <button className="btn small" type="button" onClick={() => ui.getState().go("aliases")}>
            Create an alias
          </button>
        </p>
      )}
      <div className="invoke-grid">
        <div className="editor">
          <div className="panel-title">
            Payload (JSON)
            <button
              className="btn small ghost"
              type="button"
              onClick={() => invoke.getState().setPayload(formatPayload(st.payload))}
            >
              Format
            </button>
          </div>
          {selectedTask && (
            <SavedEvents
              task={
                selectedTask.access === "owner"
                  ? { task: selectedTask.name }
                  : { task: selectedTask.name, ownerAccountId: selectedTask.ownerAccountId }
              }
              payload={st.payload}
              payloadOk={st.payloadProblem === null}
              disabled={st.running}
              onPick={(payload) => invoke.getState().setPayload(payload)}
            />
          )}
          <textarea
            ref={editor}
            className={`mono payload${st.payloadProblem ? " invalid" : ""}`}
            data-testid="payload-editor"
            spellCheck={false}
            value={st.payload}
            aria-invalid={st.payloadProblem !== null}
            onChange={(e) => invoke.getState().setPayload(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void invoke.getState().run();
              }
            }}
          />
          {st.payloadProblem ? (
            <div className="field-error" data-testid="payload-error">
              Line {st.payloadProblem.line}, column {st.payloadProblem.column}: {st.payloadProblem.message}
            </div>
          ) : (
            <div className="muted small">Valid JSON{st.payload.trim() === "" ? " (empty sends {})" : ""}</div>
          )}
          <div className="run-row">
            <button
              className="btn primary"
              type="button"
              data-testid="run-button"
              disabled={!canRun}
              onClick={() => void invoke.getState().run()}
            >
              {st.running ? "Running…" : "Run"}
            </button>
            <span className="muted" data-testid="invoke-status">
              {st.running
                ? `running ${formatMs(Date.now() - (st.startedAt ?? Date.now()))}`
                : st.elapsedMs !== null
                  ? `round trip ${formatMs(st.elapsedMs)}`
                  : ""}
            </span>
          </div>
        </div>
        <div className="logs">
          <div className="panel-title">
            Live logs {st.logs.length > 0 && <span className="muted">({st.logs.length})</span>}
          </div>
          <div className="log-box mono" data-testid="live-logs">
            {st.logs.length === 0 && (
              <span className="muted">
                {st.running
                  ? "waiting for output…"
                  : "Logs appear here line by line as the task prints them."}
              </span>
            )}
            {st.logs.map((l, i) => (
              <div
                key={i}
                className={`log-line ${l.stream}`}
                data-testid="log-line"
                data-at-ms={Math.round(l.atMs)}
              >
                <span className="log-t">{l.t.slice(11, 23)}</span> {l.line}
              </div>
            ))}
            <div ref={logEnd} />
          </div>
        </div>
        <div className="result">
          <div className="panel-title">Result</div>
          <div className="result-box" data-testid="result-panel">
            {r && (
              <>
                <div className="meta" data-testid="invoke-meta">
                  <Badge tone={r.ok ? "ok" : "bad"} testId="result-state">
                    {r.ok ? "succeeded" : "failed"}
                  </Badge>
                  <span data-testid="result-duration">{formatMs(r.durationMs)}</span>
                  <span data-testid="result-version">
                    version {r.servedVersion}
                    {r.servedVersion !== r.version ? ` (asked ${r.version})` : ""}
                  </span>
                  {r.coldStart && <Badge tone="info">cold start</Badge>}
                  <span>{r.maxMemoryUsedMb} MB peak</span>
                  {selectedTask ? (
                    <button
                      type="button"
                      className="link mono"
                      data-testid="result-request-id"
                      title="Open this call in Logs, with its timeline"
                      onClick={() => {
                        logs.getState().showInvocation(r.requestId, taskRefOf(selectedTask));
                        ui.getState().go("logs");
                      }}
                    >
                      {r.requestId}
                    </button>
                  ) : (
                    // A remote alias runs on its owner's machine: this host keeps no record of the call.
                    <span className="muted mono" data-testid="result-request-id">
                      {r.requestId}
                    </span>
                  )}
                </div>
                {r.ok ? (
                  <pre className="mono" data-testid="result-json">
                    {JSON.stringify(r.result, null, 2)}
                  </pre>
                ) : (
                  <div className="handler-error" data-testid="invoke-error">
                    <strong>{r.error?.errorType ?? "Error"}</strong>: {r.error?.errorMessage}
                    {r.error?.trace && r.error.trace.length > 0 && (
                      <pre className="mono">{r.error.trace.join("\n")}</pre>
                    )}
                  </div>
                )}
              </>
            )}
            {st.error && <ErrorNote error={st.error} testId="invoke-error" />}
          </div>
        </div>
      </div>
    </section>
  );
}

function OwnedSummary({ task }: { task: OwnedTaskView }) {
  return (
    <span className="muted small">
      {task.runtime} · {task.memoryMb} MB · {task.timeoutS} s timeout
    </span>
  );
}

type EventForm = { kind: "save-as" | "rename"; name: string } | { kind: "delete" } | null;

/**
 * The chosen task's saved test events beside the payload: pick one into the editor, save the editor under its
 * name or a new one, rename or delete it. They are this profile's own, kept by the host.
 */
function SavedEvents({
  task,
  payload,
  payloadOk,
  disabled,
  onPick,
}: {
  task: TestEventTask;
  payload: string;
  payloadOk: boolean;
  disabled: boolean;
  onPick: (payload: string) => void;
}) {
  const { testEvents } = useStores();
  const ev = useStore(testEvents);
  const [form, setForm] = useState<EventForm>(null);
  const [problem, setProblem] = useState<ReadableError | null>(null);
  const [busy, setBusy] = useState(false);
  const key = `${task.ownerAccountId ?? ""}:${task.task}`;

  useEffect(() => {
    void testEvents.getState().show(task);
    setForm(null);
    setProblem(null);
    // The task is named by its key: a new object of the same task is not a change.
  }, [key, testEvents]);

  const selected = ev.selected !== null && ev.items.some((e) => e.name === ev.selected) ? ev.selected : null;
  const act = async (run: () => Promise<ReadableError | null>) => {
    setBusy(true);
    const err = await run();
    setBusy(false);
    setProblem(err);
    if (!err) setForm(null);
  };
  const off = disabled || busy;

  return (
    <div className="saved-events" data-testid="saved-events">
      <div className="toolbar small">
        <label>
          Saved event
          <select
            data-testid="saved-event-select"
            value={selected ?? ""}
            disabled={off || ev.items.length === 0}
            onChange={(e) => {
              const name = e.target.value || null;
              testEvents.getState().select(name);
              const found = ev.items.find((x) => x.name === name);
              if (found) onPick(found.payload);
              setForm(null);
              setProblem(null);
            }}
          >
            <option value="">
              {ev.items.length === 0 ? "none saved yet" : `choose (${ev.items.length})`}
            </option>
            {ev.items.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <button
          className="btn small"
          type="button"
          data-testid="saved-event-save"
          disabled={off || selected === null || !payloadOk}
          title={selected ? `save the payload as "${selected}"` : "choose a saved event, or use Save as"}
          onClick={() => void act(() => testEvents.getState().save(selected!, payload))}
        >
          Save
        </button>
        <button
          className="btn small"
          type="button"
          data-testid="saved-event-save-as"
          disabled={off || !payloadOk}
          onClick={() => setForm({ kind: "save-as", name: "" })}
        >
          Save as…
        </button>
        <button
          className="btn small"
          type="button"
          data-testid="saved-event-rename"
          disabled={off || selected === null}
          onClick={() => setForm({ kind: "rename", name: selected ?? "" })}
        >
          Rename…
        </button>
        <button
          className="btn small ghost"
          type="button"
          data-testid="saved-event-delete"
          disabled={off || selected === null}
          onClick={() => setForm({ kind: "delete" })}
        >
          Delete
        </button>
      </div>
      {form && form.kind !== "delete" && (
        <form
          className="inline-form"
          data-testid="saved-event-form"
          onSubmit={(e) => {
            e.preventDefault();
            const name = form.name.trim();
            void act(() =>
              form.kind === "save-as"
                ? testEvents.getState().save(name, payload, true)
                : testEvents.getState().rename(selected!, name),
            );
          }}
        >
          <label>
            {form.kind === "save-as" ? "Save the payload as" : `Rename "${selected}" to`}
            <input
              data-testid="saved-event-name"
              value={form.name}
              autoFocus
              maxLength={64}
              placeholder="e.g. big-upload"
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          </label>
          <button className="btn small primary" type="submit" data-testid="saved-event-ok" disabled={busy}>
            {form.kind === "save-as" ? "Save" : "Rename"}
          </button>
          <button className="btn small ghost" type="button" onClick={() => setForm(null)}>
            Cancel
          </button>
        </form>
      )}
      {form?.kind === "delete" && selected && (
        <div className="inline-form" data-testid="saved-event-confirm">
          Delete the saved event &quot;{selected}&quot;?
          <button
            className="btn small danger"
            type="button"
            data-testid="saved-event-delete-ok"
            disabled={busy}
            onClick={() => void act(() => testEvents.getState().remove(selected))}
          >
            Delete
          </button>
          <button className="btn small ghost" type="button" onClick={() => setForm(null)}>
            Cancel
          </button>
        </div>
      )}
      {(problem ?? ev.error) && <ErrorNote error={problem ?? ev.error} testId="saved-event-error" />}
    </div>
  );
}
