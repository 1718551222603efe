// Tasks: import, the list (runtime, versions, aliases), and one task's configuration, versions and publishing.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { LogRecord, OwnedTaskView, SharedTaskView } from "../../main/contract.ts";
import { Field, Form, SubmitButton } from "../components/form.tsx";
import { RecordList, RecordTable, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { FunctionSettingsPanel } from "./function-settings-panel.tsx";
import { envToText, parseEnvText } from "../logic/env-text.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatBytes, formatWhen } from "../logic/format.ts";
import { routingShortText } from "../logic/routing.ts";
import { ImportPanel } from "./import-panel.tsx";
import { RemoteAliasesBeside } from "./remotes-view.tsx";

export function TasksView() {
  const { tasks, aliases, ui, invoke } = useStores();
  const t = useStore(tasks);
  const held = useStore(aliases, (s) => s.items);
  const query = useStore(ui, (s) => s.query);
  const [selected, setSelected] = useState<string | null>(null);
  const own = t.items.filter((x): x is OwnedTaskView => x.access === "owner");
  const shared = t.items.filter((x): x is SharedTaskView => x.access === "grantee");
  const shownOwn = own.filter((x) => matches(query, x.name, x.description, x.runtime));
  const shownShared = shared.filter((x) => matches(query, x.name, x.ownerProfileName));
  const current = own.find((x) => x.name === selected) ?? null;
  const now = Date.now();
  const ownCount = own.length;

  // When each task last ran comes from its log: asked for when the view opens and when the list changes.
  useEffect(() => {
    if (ownCount > 0) void tasks.getState().loadLastRuns();
  }, [tasks, ownCount]);

  return (
    <section data-testid="view-tasks">
      <header className="view-head">
        <h1>Tasks</h1>
        <p>
          Functions this profile owns. Each runs in this profile&apos;s own VMs; versions are immutable
          snapshots.
        </p>
      </header>
      <ImportPanel onImported={setSelected} />
      <ErrorNote error={t.error} />
      <RecordList
        none={t.loaded && own.length === 0}
        empty={
          <EmptyState testId="empty-tasks" title="No tasks yet">
            Drop a zip above, or from a terminal run <code>hearth import ./my-task</code>. A task folder holds
            a <code>task.json</code> such as{" "}
            <code>{`{"name":"hello","runtime":"nodejs","handler":"index.handler"}`}</code> and an{" "}
            <code>index.mjs</code> exporting <code>handler</code>.
          </EmptyState>
        }
        className="selectable"
        testId="tasks-table"
        columns={["Name", "Runtime", "Memory", "Timeout", "Versions", "Aliases", "Last run", ""]}
      >
        {shownOwn.map((task) => {
          const names = held.filter((a) => a.task.id === task.id && !a.crossProfile).map((a) => a.name);
          return (
            <tr
              key={task.id}
              className={task.name === selected ? "selected" : ""}
              data-testid={`task-row-${task.name}`}
              onClick={() => setSelected(task.name === selected ? null : task.name)}
            >
              <td>
                <strong>{task.name}</strong>
                {task.description && <div className="muted">{task.description}</div>}
              </td>
              <td>{task.runtime}</td>
              <td>{task.memoryMb} MB</td>
              <td>{task.timeoutS} s</td>
              <td data-testid={`task-versions-${task.name}`}>
                {task.versions.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  versionList(task.versions.map((v) => v.version))
                )}
              </td>
              <td>{names.length ? names.join(", ") : <span className="muted">—</span>}</td>
              <td data-testid={`task-last-run-${task.name}`}>
                <LastRun record={t.lastRuns[task.name]} now={now} />
              </td>
              <RowActions>
                <button
                  className="btn small"
                  type="button"
                  data-testid={`task-invoke-${task.name}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    invoke.getState().setTarget({ task: task.name });
                    ui.getState().go("invoke");
                  }}
                >
                  Invoke
                </button>
              </RowActions>
            </tr>
          );
        })}
      </RecordList>
      {current && <TaskDetail key={current.id} task={current} onClose={() => setSelected(null)} />}
      {shared.length > 0 && (
        <>
          <h2>Shared with this profile</h2>
          <RecordTable
            testId="shared-tasks-table"
            columns={["Name", "Owner", "Runtime", "Versions", "Limits", ""]}
          >
            {shownShared.map((task) => (
              <tr key={task.id} data-testid={`shared-task-row-${task.name}`}>
                <td>
                  <strong>{task.name}</strong>
                </td>
                <td>
                  {task.ownerProfileName} <span className="muted mono">{task.ownerAccountId}</span>
                </td>
                <td>{task.runtime}</td>
                <td>{task.versions.length || <span className="muted">none</span>}</td>
                <td>
                  {task.limits.maxMemoryMb ? `≤ ${task.limits.maxMemoryMb} MB` : "any memory"},{" "}
                  {task.limits.maxTimeoutS ? `≤ ${task.limits.maxTimeoutS} s` : "any timeout"}
                </td>
                <RowActions>
                  <button className="btn small" type="button" onClick={() => ui.getState().go("aliases")}>
                    Create an alias
                  </button>
                </RowActions>
              </tr>
            ))}
          </RecordTable>
        </>
      )}
      <RemoteAliasesBeside />
    </section>
  );
}

function LastRun({ record, now }: { record: LogRecord | undefined; now: number }) {
  if (!record) return <span className="muted">never</span>;
  const failed = record.ok === false || record.error !== undefined;
  return (
    <span title={record.error ?? ""}>
      {formatWhen(record.t, now)}
      {record.kind === "end" && (
        <>
          {" "}
          <Badge tone={failed ? "bad" : "ok"}>{failed ? "failed" : "ok"}</Badge>
        </>
      )}
    </span>
  );
}

/** "1, 2, 3", or "1 … 12" for long histories. */
function versionList(versions: number[]): string {
  return versions.length <= 4 ? versions.join(", ") : `${versions[0]} … ${versions[versions.length - 1]}`;
}

function TaskDetail({ task, onClose }: { task: OwnedTaskView; onClose: () => void }) {
  const { tasks, aliases, ui } = useStores();
  const busy = useStore(tasks, (s) => Boolean(s.busy[task.name]));
  const allAliases = useStore(aliases, (s) => s.items);
  const held = allAliases.filter((a) => a.task.id === task.id && !a.crossProfile);
  const [memory, setMemory] = useState(String(task.memoryMb));
  const [timeout, setTimeoutS] = useState(String(task.timeoutS));
  const [handler, setHandler] = useState(task.handler);
  const [description, setDescription] = useState(task.description);
  const [env, setEnv] = useState(envToText(task.environment));
  const [publishNote, setPublishNote] = useState("");
  const [error, setError] = useState<ReadableError | null>(null);
  const parsedEnv = parseEnvText(env);
  const now = Date.now();
  const nextVersion = (task.versions[task.versions.length - 1]?.version ?? 0) + 1;

  useEffect(() => setError(null), [task.updatedAt]);

  const save = async () => {
    if (parsedEnv.problems.length) return;
    const err = await tasks.getState().configure(task.name, {
      memoryMb: Number(memory),
      timeoutS: Number(timeout),
      handler,
      description,
      environment: parsedEnv.values,
    });
    setError(err);
    if (!err) ui.getState().toast("ok", `Saved ${task.name}'s configuration ($LATEST)`);
  };

  const publish = async () => {
    const err = await tasks.getState().publish(task.name, publishNote);
    setError(err);
    if (!err) {
      setPublishNote("");
      ui.getState().toast("ok", `Published ${task.name} version ${nextVersion}`);
    }
  };

  return (
    <div className="panel" data-testid="task-detail">
      <div className="panel-head">
        <h2>
          {task.name} <span className="muted">$LATEST</span>
        </h2>
        <span className="muted mono">
          {task.runtime} · {task.handler} · {formatBytes(task.codeSize)} · sha256{" "}
          {task.codeSha256.slice(0, 12)}
        </span>
        <button className="btn small ghost" type="button" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      <div className="columns">
        <Form onSubmit={save} title="Configuration">
          <div className="field-row">
            <Field label="Memory (MB)">
              <input
                type="number"
                min={128}
                max={10240}
                step={64}
                value={memory}
                data-testid="config-memory"
                onChange={(e) => setMemory(e.target.value)}
              />
            </Field>
            <Field label="Timeout (s)">
              <input
                type="number"
                min={1}
                max={900}
                value={timeout}
                data-testid="config-timeout"
                onChange={(e) => setTimeoutS(e.target.value)}
              />
            </Field>
          </div>
          <Field label="Handler">
            <input
              value={handler}
              data-testid="config-handler"
              onChange={(e) => setHandler(e.target.value)}
            />
          </Field>
          <Field label="Description">
            <input value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field label="Environment" hint="(KEY=value, one per line)" problems={parsedEnv.problems}>
            <textarea
              rows={4}
              className="mono"
              value={env}
              data-testid="config-env"
              spellCheck={false}
              onChange={(e) => setEnv(e.target.value)}
            />
          </Field>
          <SubmitButton busy={busy} disabled={parsedEnv.problems.length > 0} testId="config-save">
            Save
          </SubmitButton>
        </Form>
        <div>
          <h3>Versions</h3>
          <div className="row-form">
            <input
              placeholder="What changed (optional)"
              value={publishNote}
              data-testid="publish-description"
              onChange={(e) => setPublishNote(e.target.value)}
            />
            <button
              className="btn primary"
              type="button"
              disabled={busy}
              onClick={publish}
              data-testid="publish-button"
            >
              Publish version {nextVersion}
            </button>
          </div>
          {task.versions.length === 0 ? (
            <p className="muted" data-testid="no-versions">
              No versions yet. Publishing freezes the current code and configuration as version 1, so aliases
              can point at it while $LATEST keeps changing.
            </p>
          ) : (
            <RecordTable
              className="compact"
              testId="versions-table"
              columns={["Version", "Description", "Memory / timeout", "Code", "Published"]}
            >
              {[...task.versions].reverse().map((v) => (
                <tr key={v.version} data-testid={`version-row-${v.version}`}>
                  <td>
                    <Badge tone="info">{v.version}</Badge>
                  </td>
                  <td>{v.description || <span className="muted">—</span>}</td>
                  <td>
                    {v.config.memoryMb} MB / {v.config.timeoutS} s
                  </td>
                  <td className="mono">{v.codeSha256.slice(0, 10)}</td>
                  <td>{formatWhen(v.createdAt, now)}</td>
                </tr>
              ))}
            </RecordTable>
          )}
          <h3>Aliases</h3>
          {held.length === 0 ? (
            <p className="muted">
              None. An alias (such as <code>prod</code>) names a version, so callers need not change when you
              publish.{" "}
              <button className="btn small" type="button" onClick={() => ui.getState().go("aliases")}>
                Create one
              </button>
            </p>
          ) : (
            <ul className="plain">
              {held.map((a) => (
                <li key={a.id}>
                  <strong>{a.name}</strong> → {routingShortText(a.routing)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <ErrorNote error={error} testId="task-error" />
      <FunctionSettingsPanel task={task} />
      <div className="danger-zone">
        <button
          className="btn small danger"
          type="button"
          disabled={busy}
          onClick={async () => {
            if (!window.confirm(`Delete task ${task.name}, its versions and aliases?`)) return;
            const err = await tasks.getState().remove(task.name);
            if (err) setError(err);
            else {
              ui.getState().toast("ok", `Deleted ${task.name}`);
              onClose();
            }
          }}
        >
          Delete task
        </button>
      </div>
    </div>
  );
}
