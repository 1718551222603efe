// Aliases: names for versions. On this profile's own tasks (optionally split by weight between two versions), and
// cross-profile ones on tasks shared with it, with their own environment, secrets, memory and timeout.
import { useState } from "react";
import { useStore } from "zustand";
import type { AliasView, OwnedTaskView, SharedTaskView } from "../../main/contract.ts";
import { ButtonRow, CancelButton, Field, FieldProblems, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordList, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { RoutingEditor } from "../components/routing-editor.tsx";
import { useStores } from "../components/stores-context.ts";
import { envToText, parseEnvText } from "../logic/env-text.ts";
import type { ReadableError } from "../logic/errors.ts";
import { routingDraft, routingInput, routingText, toVersionRef } from "../logic/routing.ts";
import { SecretRows, secretsOf, type SecretRow } from "./secret-rows.tsx";

const optionalNumber = (v: string): number | null => (v.trim() === "" ? null : Number(v));

export function AliasesView() {
  const { aliases, tasks, ui, invoke, session, share } = useStores();
  const a = useStore(aliases);
  const taskList = useStore(tasks, (s) => s.items);
  const profiles = useStore(session, (s) => s.profiles);
  const query = useStore(ui, (s) => s.query);
  const [editing, setEditing] = useState<string | null>(null);
  const own = taskList.filter((t): t is OwnedTaskView => t.access === "owner");
  const shared = taskList.filter((t): t is SharedTaskView => t.access === "grantee");
  const [tab, setTab] = useState<"own" | "shared">(own.length === 0 && shared.length > 0 ? "shared" : "own");
  const ownerName = (accountId: string) => profiles.find((p) => p.accountId === accountId)?.name ?? accountId;
  const shown = a.items.filter((x) => matches(query, x.name, x.task.name, x.description));

  return (
    <section data-testid="view-aliases">
      <header className="view-head">
        <h1>Aliases</h1>
        <p>
          An alias names a version so callers keep one address while you publish. Tokens are minted for
          aliases, and a task another profile shares with this one runs through an alias of this profile.
        </p>
      </header>
      <ErrorNote error={a.error} />
      <RecordList
        none={a.loaded && a.items.length === 0}
        empty={
          <EmptyState testId="empty-aliases" title="No aliases yet">
            {own.length + shared.length === 0
              ? "Import a task first (Tasks), or have another profile share one (Grants); then name a version of it here."
              : "Create one below: pick a task and the version it should point at."}
          </EmptyState>
        }
        testId="aliases-table"
        columns={["Alias", "Task", "Points at", "Customization", ""]}
      >
        {shown.map((x) => (
          <tr key={x.id} data-testid={`alias-row-${x.name}`}>
            <td>
              <strong>{x.name}</strong>
              {x.crossProfile && (
                <>
                  {" "}
                  <Badge tone="info">cross-profile</Badge>
                </>
              )}
              {x.description && <div className="muted">{x.description}</div>}
            </td>
            <td>
              {x.task.name}
              {x.crossProfile && <div className="muted">owned by {ownerName(x.task.ownerAccountId)}</div>}
            </td>
            <td>{routingText(x.routing)}</td>
            <td className="small">
              {x.customization ? (
                <>
                  {Object.keys(x.customization.environment).length > 0 && (
                    <div>env {Object.keys(x.customization.environment).join(", ")}</div>
                  )}
                  {x.customization.secretNames.length > 0 && (
                    <div data-testid={`alias-secrets-${x.name}`}>
                      secrets {x.customization.secretNames.map((n) => `${n}=••••`).join(", ")}
                    </div>
                  )}
                  <div>
                    {x.customization.memoryMb ? `${x.customization.memoryMb} MB` : "task's memory"} ·{" "}
                    {x.customization.timeoutS ? `${x.customization.timeoutS} s` : "task's timeout"} · runs in
                    the {x.customization.runsIn}&apos;s VMs
                  </div>
                </>
              ) : (
                <span className="muted">the task&apos;s own</span>
              )}
            </td>
            <RowActions>
              <button
                className="btn small"
                type="button"
                data-testid={`alias-invoke-${x.name}`}
                onClick={() => {
                  invoke.getState().setTarget({
                    task: x.task.name,
                    qualifier: x.name,
                    ...(x.crossProfile ? { ownerAccountId: x.task.ownerAccountId } : {}),
                  });
                  ui.getState().go("invoke");
                }}
              >
                Invoke
              </button>
              <button
                className="btn small"
                type="button"
                data-testid={`alias-share-${x.name}`}
                title="Share with a teammate on another machine"
                onClick={() => share.getState().open(x.id)}
              >
                Share
              </button>
              <button
                className="btn small"
                type="button"
                onClick={() => setEditing(editing === x.id ? null : x.id)}
              >
                Edit
              </button>
              <DangerButton
                confirm={`Delete alias ${x.name}? Tokens minted for it stop working.`}
                run={() => aliases.getState().remove(x.id)}
                done={`Deleted alias ${x.name}`}
              >
                Delete
              </DangerButton>
            </RowActions>
          </tr>
        ))}
      </RecordList>
      {editing &&
        (() => {
          const alias = a.items.find((x) => x.id === editing);
          if (!alias) return null;
          return alias.crossProfile ? (
            <CustomizeForm key={alias.id} alias={alias} onDone={() => setEditing(null)} />
          ) : (
            <RoutingForm
              key={alias.id}
              alias={alias}
              task={own.find((t) => t.id === alias.task.id)}
              onDone={() => setEditing(null)}
            />
          );
        })()}
      <div className="panel">
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={tab === "own"}
            data-testid="alias-tab-own"
            onClick={() => setTab("own")}
          >
            On this profile&apos;s task
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === "shared"}
            data-testid="alias-tab-shared"
            onClick={() => setTab("shared")}
          >
            On a task shared with this profile
          </button>
        </div>
        {tab === "own" ? <OwnAliasForm tasks={own} /> : <SharedAliasForm tasks={shared} />}
      </div>
    </section>
  );
}

function OwnAliasForm({ tasks: own }: { tasks: OwnedTaskView[] }) {
  const { aliases, ui } = useStores();
  const [taskName, setTaskName] = useState(own[0]?.name ?? "");
  const [name, setName] = useState("");
  const [routing, setRouting] = useState(() => routingDraft(null, []));
  const [error, setError] = useState<ReadableError | null>(null);
  const task = own.find((t) => t.name === taskName) ?? own[0];
  if (!task) {
    return <p className="muted">Import a task first; its aliases are made here.</p>;
  }
  const versions = task.versions.map((v) => v.version);
  return (
    <Form
      testId="own-alias-form"
      onSubmit={async () => {
        const err = await aliases
          .getState()
          .createOwn({ task: task.name, name: name.trim(), ...routingInput(routing) });
        setError(err);
        if (!err) {
          ui.getState().toast("ok", `Alias ${name.trim()} now points at ${task.name} ${routing.version}`);
          setName("");
        }
      }}
      error={error}
      errorTestId="alias-error"
    >
      <RoutingEditor
        versions={versions}
        draft={routing}
        onChange={setRouting}
        testIdPrefix="alias"
        split="below"
      >
        <Field label="Task">
          <select
            value={task.name}
            data-testid="alias-task-select"
            onChange={(e) => {
              setTaskName(e.target.value);
              setRouting({ ...routing, version: "$LATEST" });
            }}
          >
            {own.map((t) => (
              <option key={t.id}>{t.name}</option>
            ))}
          </select>
        </Field>
        <Field label="Alias name">
          <input
            value={name}
            placeholder="prod"
            data-testid="alias-name"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
      </RoutingEditor>
      <SubmitButton testId="alias-create">Create alias</SubmitButton>
    </Form>
  );
}

function SharedAliasForm({ tasks: shared }: { tasks: SharedTaskView[] }) {
  const { aliases, ui } = useStores();
  const [taskId, setTaskId] = useState(shared[0]?.id ?? "");
  const [name, setName] = useState("");
  const [routing, setRouting] = useState(() => routingDraft(null, []));
  const [env, setEnv] = useState("");
  const [secrets, setSecrets] = useState<SecretRow[]>([]);
  const [memory, setMemory] = useState("");
  const [timeout, setTimeoutS] = useState("");
  const [runsIn, setRunsIn] = useState<"owner" | "caller">("owner");
  const [error, setError] = useState<ReadableError | null>(null);
  const task = shared.find((t) => t.id === taskId) ?? shared[0];
  if (!task) {
    return (
      <EmptyState testId="empty-shared-tasks" title="No task is shared with this profile">
        The owner of a task shares it from their profile (Grants → Share a task); then this profile can make
        an alias on it with its own environment and secrets.
      </EmptyState>
    );
  }
  const parsedEnv = parseEnvText(env);
  const parsedSecrets = secretsOf(secrets);
  return (
    <Form
      testId="shared-alias-form"
      autoComplete="off"
      onSubmit={async () => {
        if (parsedEnv.problems.length || parsedSecrets.problem) return;
        const err = await aliases.getState().createShared({
          ownerAccountId: task.ownerAccountId,
          task: task.name,
          name: name.trim(),
          version: toVersionRef(routing.version),
          environment: parsedEnv.values,
          secrets: parsedSecrets.secrets,
          memoryMb: optionalNumber(memory),
          timeoutS: optionalNumber(timeout),
          runsIn,
        });
        setError(err);
        if (!err) {
          ui.getState().toast(
            "ok",
            `Alias ${name.trim()} created on ${task.ownerProfileName}'s ${task.name}`,
          );
          // The secret values leave the window's memory with the form.
          setSecrets([]);
          setName("");
        }
      }}
      error={error}
      errorTestId="shared-alias-error"
    >
      <RoutingEditor
        versions={task.versions.map((v) => v.version)}
        draft={routing}
        onChange={setRouting}
        testIdPrefix="shared-alias"
        split="none"
      >
        <Field label="Shared task">
          <select
            value={task.id}
            data-testid="shared-task-select"
            onChange={(e) => setTaskId(e.target.value)}
          >
            {shared.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} — from {t.ownerProfileName}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Alias name">
          <input
            value={name}
            placeholder="mine"
            data-testid="shared-alias-name"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
      </RoutingEditor>
      <Field
        label="Environment overrides"
        hint="(KEY=value per line; visible to you later)"
        problems={parsedEnv.problems}
      >
        <textarea
          rows={3}
          className="mono"
          value={env}
          spellCheck={false}
          data-testid="shared-alias-env"
          onChange={(e) => setEnv(e.target.value)}
        />
      </Field>
      <div>
        Secrets <span className="muted">(sealed on this machine; only their names are ever shown again)</span>
        <SecretRows rows={secrets} onChange={setSecrets} testIdPrefix="shared-alias-secret" />
        <FieldProblems problems={[parsedSecrets.problem]} />
      </div>
      <div className="field-row">
        <Field label={`Memory (MB)${task.limits.maxMemoryMb ? ` ≤ ${task.limits.maxMemoryMb}` : ""}`}>
          <input
            type="number"
            placeholder={`task's: ${task.memoryMb}`}
            value={memory}
            data-testid="shared-alias-memory"
            onChange={(e) => setMemory(e.target.value)}
          />
        </Field>
        <Field label={`Timeout (s)${task.limits.maxTimeoutS ? ` ≤ ${task.limits.maxTimeoutS}` : ""}`}>
          <input
            type="number"
            placeholder={`task's: ${task.timeoutS}`}
            value={timeout}
            data-testid="shared-alias-timeout"
            onChange={(e) => setTimeoutS(e.target.value)}
          />
        </Field>
        <Field label="Runs in">
          <RunsInSelect value={runsIn} onChange={setRunsIn} testId="shared-alias-runs-in" />
        </Field>
      </div>
      <SubmitButton testId="shared-alias-create">Create cross-profile alias</SubmitButton>
    </Form>
  );
}

function RunsInSelect({
  value,
  onChange,
  testId,
}: {
  value: "owner" | "caller";
  onChange: (v: "owner" | "caller") => void;
  testId?: string;
}) {
  return (
    <select
      value={value}
      data-testid={testId}
      onChange={(e) => onChange(e.target.value as "owner" | "caller")}
    >
      <option value="owner">the owner&apos;s VMs</option>
      <option value="caller">this profile&apos;s VMs</option>
    </select>
  );
}

function RoutingForm({
  alias,
  task,
  onDone,
}: {
  alias: AliasView;
  task: OwnedTaskView | undefined;
  onDone: () => void;
}) {
  const { aliases, ui } = useStores();
  const versions = task?.versions.map((v) => v.version) ?? [];
  const [routing, setRouting] = useState(() => routingDraft(alias.routing, versions));
  const [error, setError] = useState<ReadableError | null>(null);
  return (
    <Form
      className="panel form"
      testId="routing-form"
      title={<>Re-point {alias.name}</>}
      onSubmit={async () => {
        const { version, split } = routingInput(routing);
        const err = await aliases.getState().route(alias.id, version, split);
        setError(err);
        if (!err) {
          ui.getState().toast("ok", `Alias ${alias.name} re-pointed`);
          onDone();
        }
      }}
      error={error}
    >
      <RoutingEditor
        versions={versions}
        draft={routing}
        onChange={setRouting}
        testIdPrefix="routing"
        split="inline"
      />
      <ButtonRow>
        <SubmitButton>Save</SubmitButton>
        <CancelButton onCancel={onDone} />
      </ButtonRow>
    </Form>
  );
}

function CustomizeForm({ alias, onDone }: { alias: AliasView; onDone: () => void }) {
  const { aliases, ui } = useStores();
  const c = alias.customization!;
  const [env, setEnv] = useState(envToText(c.environment));
  const [newSecrets, setNewSecrets] = useState<SecretRow[]>([]);
  const [removed, setRemoved] = useState<string[]>([]);
  const [memory, setMemory] = useState(c.memoryMb === null ? "" : String(c.memoryMb));
  const [timeout, setTimeoutS] = useState(c.timeoutS === null ? "" : String(c.timeoutS));
  const [runsIn, setRunsIn] = useState(c.runsIn);
  const [error, setError] = useState<ReadableError | null>(null);
  const parsedEnv = parseEnvText(env);
  const parsedSecrets = secretsOf(newSecrets);
  return (
    <Form
      className="panel form"
      testId="customize-form"
      autoComplete="off"
      title={<>Customize {alias.name}</>}
      onSubmit={async () => {
        if (parsedEnv.problems.length || parsedSecrets.problem) return;
        const secrets: Record<string, string | null> = { ...parsedSecrets.secrets };
        for (const n of removed) secrets[n] = null;
        const err = await aliases.getState().customize(alias.id, {
          environment: parsedEnv.values,
          ...(Object.keys(secrets).length ? { secrets } : {}),
          memoryMb: optionalNumber(memory),
          timeoutS: optionalNumber(timeout),
          runsIn,
        });
        setError(err);
        if (!err) {
          setNewSecrets([]);
          ui.getState().toast("ok", `Alias ${alias.name} updated`);
          onDone();
        }
      }}
      error={error}
    >
      <Field label="Environment overrides">
        <textarea rows={3} className="mono" value={env} onChange={(e) => setEnv(e.target.value)} />
      </Field>
      <div>
        Secrets set now: {c.secretNames.length === 0 && <span className="muted">none</span>}
        {c.secretNames.map((n) => (
          <label key={n} className="check">
            <input
              type="checkbox"
              checked={removed.includes(n)}
              onChange={(e) =>
                setRemoved(e.target.checked ? [...removed, n] : removed.filter((x) => x !== n))
              }
            />
            remove <code>{n}</code>
          </label>
        ))}
        <div className="muted small">To change a secret, add it again with its new value.</div>
        <SecretRows rows={newSecrets} onChange={setNewSecrets} testIdPrefix="customize-secret" />
      </div>
      <div className="field-row">
        <Field label="Memory (MB)">
          <input
            type="number"
            placeholder="task's"
            value={memory}
            onChange={(e) => setMemory(e.target.value)}
          />
        </Field>
        <Field label="Timeout (s)">
          <input
            type="number"
            placeholder="task's"
            value={timeout}
            onChange={(e) => setTimeoutS(e.target.value)}
          />
        </Field>
        <Field label="Runs in">
          <RunsInSelect value={runsIn} onChange={setRunsIn} />
        </Field>
      </div>
      <ButtonRow>
        <SubmitButton>Save</SubmitButton>
        <CancelButton onCancel={onDone} />
      </ButtonRow>
    </Form>
  );
}
