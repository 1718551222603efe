// Grants: share this profile's tasks with other profiles (with limits), and see what others shared with it.
import { useState } from "react";
import { useStore } from "zustand";
import type { GrantView, OwnedTaskView } from "../../main/contract.ts";
import { Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordList, RowActions } from "../components/list.tsx";
import { EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatWhen } from "../logic/format.ts";

const allowedText = (allowed: string[] | null | undefined) =>
  allowed == null
    ? "the task's declared variables"
    : allowed.length === 0
      ? "no variables"
      : `variables ${allowed.join(", ")}`;

const limitsText = (g: GrantView) =>
  `${g.limits.maxMemoryMb ? `≤ ${g.limits.maxMemoryMb} MB` : "any memory"}, ${
    g.limits.maxTimeoutS ? `≤ ${g.limits.maxTimeoutS} s` : "any timeout"
  }, ${allowedText(g.limits.allowedEnvironment)}${
    (g.limits.callerPlacement ?? "none") === "none"
      ? ""
      : g.limits.callerPlacement === "code"
        ? ", may run in the grantee's VMs (code only)"
        : ", may run in the grantee's VMs (code and environment)"
  }`;

export function GrantsView() {
  const { grants, tasks, session, ui } = useStores();
  const g = useStore(grants);
  const taskList = useStore(tasks, (s) => s.items);
  const profiles = useStore(session, (s) => s.profiles);
  const activeId = useStore(session, (s) => s.activeId);
  const query = useStore(ui, (s) => s.query);
  const me = profiles.find((p) => p.id === activeId);
  const own = taskList.filter((t): t is OwnedTaskView => t.access === "owner");
  const given = g.items.filter((x) => x.task.ownerAccountId === me?.accountId);
  const received = g.items.filter((x) => x.task.ownerAccountId !== me?.accountId);
  const ownerName = (accountId: string) => profiles.find((p) => p.accountId === accountId)?.name ?? accountId;
  const now = Date.now();

  return (
    <section data-testid="view-grants">
      <header className="view-head">
        <h1>Grants</h1>
        <p>
          A grant lets another profile build aliases on one of this profile&apos;s tasks. It never sees the
          code or this profile&apos;s environment; you can cap the memory and timeout it may ask for.
        </p>
      </header>
      <ErrorNote error={g.error} />
      <ShareForm tasks={own} others={profiles.filter((p) => p.id !== activeId).map((p) => p.name)} />
      <h2>Shared by this profile</h2>
      <RecordList
        none={g.loaded && given.length === 0}
        empty={
          <EmptyState testId="empty-grants-given" title="Nothing shared yet">
            {own.length === 0
              ? "Import a task first, then share it here with a teammate's profile."
              : "Pick a task and a profile above to share it."}
          </EmptyState>
        }
        testId="grants-given-table"
        columns={["Task", "With", "Limits", "Since", ""]}
      >
        {given
          .filter((x) => matches(query, x.task.name, x.grantee.name))
          .map((x) => (
            <tr key={x.id} data-testid={`grant-row-${x.task.name}-${x.grantee.name}`}>
              <td>
                <strong>{x.task.name}</strong>
              </td>
              <td>
                {x.grantee.name} <span className="muted mono">{x.grantee.accountId}</span>
              </td>
              <td>{limitsText(x)}</td>
              <td>{formatWhen(x.createdAt, now)}</td>
              <RowActions>
                <DangerButton
                  confirm={`Stop sharing ${x.task.name} with ${x.grantee.name}? Their aliases on it stop working.`}
                  run={() => grants.getState().revoke(x.id)}
                  done="Grant revoked"
                >
                  Revoke
                </DangerButton>
              </RowActions>
            </tr>
          ))}
      </RecordList>
      <h2>Shared with this profile</h2>
      <RecordList
        none={g.loaded && received.length === 0}
        empty={
          <EmptyState testId="empty-grants-received" title="Nothing shared with this profile">
            When another profile shares a task with <strong>{me?.name ?? "this profile"}</strong> (account{" "}
            <code>{me?.accountId ?? "…"}</code>), it shows here and in Tasks; then make an alias on it in
            Aliases.
          </EmptyState>
        }
        testId="grants-received-table"
        columns={["Task", "From", "Limits", "Since", ""]}
      >
        {received.map((x) => (
          <tr key={x.id} data-testid={`grant-received-${x.task.name}`}>
            <td>
              <strong>{x.task.name}</strong>
            </td>
            <td>
              {ownerName(x.task.ownerAccountId)} <span className="muted mono">{x.task.ownerAccountId}</span>
            </td>
            <td>{limitsText(x)}</td>
            <td>{formatWhen(x.createdAt, now)}</td>
            <RowActions>
              <button className="btn small" type="button" onClick={() => ui.getState().go("aliases")}>
                Create an alias
              </button>
            </RowActions>
          </tr>
        ))}
      </RecordList>
    </section>
  );
}

function ShareForm({ tasks: own, others }: { tasks: OwnedTaskView[]; others: string[] }) {
  const { grants, ui } = useStores();
  const [task, setTask] = useState("");
  const [grantee, setGrantee] = useState("");
  const [maxMemory, setMaxMemory] = useState("");
  const [maxTimeout, setMaxTimeout] = useState("");
  const [allowEnv, setAllowEnv] = useState("");
  const [placement, setPlacement] = useState<"none" | "code" | "code-and-environment">("none");
  const [error, setError] = useState<ReadableError | null>(null);
  if (own.length === 0) return null;
  const chosenTask = task || own[0]!.name;
  return (
    <Form
      className="panel form"
      testId="grant-form"
      title="Share a task"
      onSubmit={async () => {
        const to = grantee || others[0] || "";
        const err = await grants.getState().create({
          task: chosenTask,
          grantee: to,
          maxMemoryMb: maxMemory.trim() ? Number(maxMemory) : null,
          maxTimeoutS: maxTimeout.trim() ? Number(maxTimeout) : null,
          allowedEnvironment: allowEnv.trim()
            ? allowEnv
                .split(",")
                .map((n) => n.trim())
                .filter(Boolean)
            : null,
          callerPlacement: placement,
        });
        setError(err);
        if (!err) ui.getState().toast("ok", `Shared ${chosenTask} with ${to}`);
      }}
      error={error}
      errorTestId="grant-error"
    >
      <div className="field-row">
        <Field label="Task">
          <select
            value={chosenTask}
            data-testid="grant-task-select"
            onChange={(e) => setTask(e.target.value)}
          >
            {own.map((t) => (
              <option key={t.id}>{t.name}</option>
            ))}
          </select>
        </Field>
        <Field label="With profile (name or account id)">
          <input
            list="grant-profiles"
            value={grantee}
            placeholder={others[0] ?? "profile name or 12-digit account id"}
            data-testid="grant-grantee"
            onChange={(e) => setGrantee(e.target.value)}
          />
          <datalist id="grant-profiles">
            {others.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </Field>
        <Field label="Max memory (MB)">
          <input
            type="number"
            placeholder="no limit"
            value={maxMemory}
            data-testid="grant-max-memory"
            onChange={(e) => setMaxMemory(e.target.value)}
          />
        </Field>
        <Field label="Max timeout (s)">
          <input
            type="number"
            placeholder="no limit"
            value={maxTimeout}
            data-testid="grant-max-timeout"
            onChange={(e) => setMaxTimeout(e.target.value)}
          />
        </Field>
        <Field label="Variables its aliases may set">
          <input
            placeholder="those the task declares"
            title="Comma-separated names the grantee may set as environment or secrets. Interpreter and loader variables (NODE_*, PYTHON*, LD_*, PATH…) are never allowed."
            value={allowEnv}
            data-testid="grant-allow-env"
            onChange={(e) => setAllowEnv(e.target.value)}
          />
        </Field>
        <Field label="Where its aliases run">
          <select
            value={placement}
            data-testid="grant-placement"
            onChange={(e) => setPlacement(e.target.value as typeof placement)}
          >
            <option value="none">Only in my VMs</option>
            <option value="code">Also in theirs, without my environment</option>
            <option value="code-and-environment">Also in theirs, with my environment</option>
          </select>
        </Field>
      </div>
      <SubmitButton testId="grant-create">Share</SubmitButton>
    </Form>
  );
}
