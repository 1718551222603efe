// Remote aliases: teammates' shared aliases on other machines, added from a share link and invoked here by their
// local names like this profile's own tasks; the call runs on the owner's machine and its logs stream back.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import { REMOTE_API_PATH } from "../../main/contract.ts";
import { Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordList, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatWhen } from "../logic/format.ts";

export function RemotesView() {
  const { remotes, invoke, ui, transport } = useStores();
  const st = useStore(remotes);
  const query = useStore(ui, (s) => s.query);
  const [link, setLink] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<ReadableError | null>(null);
  const [busy, setBusy] = useState(false);
  const now = Date.now();
  useEffect(() => {
    void remotes.getState().load();
  }, [remotes]);

  const invokeRemote = (remoteName: string) => {
    invoke.getState().setTarget({ task: remoteName });
    ui.getState().go("invoke");
  };

  return (
    <section data-testid="view-remotes">
      <header className="view-head">
        <h1>Remote aliases</h1>
        <p>
          A teammate shares an alias from their machine as a <code>hearth://share</code> link. Add it here and
          invoke it by its name, from this window, the CLI, this Hearth&apos;s port or the AWS tools: it runs
          on their machine, over a connection pinned to their certificate, and only its result and your
          call&apos;s logs come back.
        </p>
      </header>
      {st.pending && (
        <div className="once" data-testid="pending-link">
          <h3>Add the link this app was opened with?</h3>
          <p>
            <strong>{st.pending.name ?? "(no name)"}</strong> at <code>{st.pending.endpoint}</code>, pinned to{" "}
            <code>{st.pending.fingerprint.slice(0, 23)}…</code>
          </p>
          <div className="run-row">
            <button
              className="btn primary"
              type="button"
              data-testid="pending-add"
              onClick={async () => {
                const err = await remotes.getState().add({ parts: st.pending!, name });
                setError(err);
                if (!err) ui.getState().toast("ok", "Remote alias added");
              }}
            >
              Add remote alias
            </button>
            <button className="btn ghost" type="button" onClick={() => remotes.getState().setPending(null)}>
              Dismiss
            </button>
          </div>
        </div>
      )}
      <Form
        className="panel form"
        testId="remote-add-form"
        title="Add from link"
        onSubmit={async () => {
          setBusy(true);
          const err = await remotes.getState().add({ link, name });
          setBusy(false);
          setError(err);
          if (!err) {
            setLink("");
            setName("");
            ui.getState().toast("ok", "Remote alias added");
          }
        }}
        error={error}
        errorTestId="remote-error"
      >
        <Field label="Share link">
          <textarea
            className="mono"
            rows={3}
            value={link}
            spellCheck={false}
            placeholder="hearth://share?endpoint=…&token=…&fingerprint=sha256:…&name=…"
            data-testid="remote-link"
            aria-invalid={error?.field !== undefined && error.field !== "name"}
            onChange={(e) => setLink(e.target.value)}
          />
        </Field>
        <div className="field-row">
          <Field label="Call it (optional)">
            <input
              value={name}
              placeholder="the name in the link"
              data-testid="remote-name"
              aria-invalid={error?.field === "name"}
              onChange={(e) => setName(e.target.value)}
            />
          </Field>
        </div>
        <SubmitButton testId="remote-add" busy={busy}>
          Add remote alias
        </SubmitButton>
      </Form>
      <ErrorNote error={st.error} />
      <RecordList
        none={st.loaded && st.items.length === 0}
        empty={
          <EmptyState testId="empty-remotes" title="No remote aliases yet">
            Paste a share link a teammate sent you above. Their Hearth must be sharing (
            <code>hearth serve --share ADDRESS</code>) on an address this machine reaches.
          </EmptyState>
        }
        className="remotes-table"
        testId="remotes-table"
        columns={["Name", "Owner's listener", "Pinned certificate", "Added", "Last used", ""]}
      >
        {st.items
          .filter((r) => matches(query, r.name, r.endpoint))
          .map((r) => (
            <tr key={r.id} data-testid={`remote-row-${r.name}`}>
              <td>
                <strong>{r.name}</strong>{" "}
                <Badge tone="info">{r.kind === "api" ? "remote API" : "remote"}</Badge>
              </td>
              <td>
                <code>{r.endpoint}</code>
                {r.kind === "api" && (
                  <div className="muted small" data-testid={`remote-api-path-${r.name}`}>
                    its routes here, with this profile&apos;s credentials:{" "}
                    <code>
                      {transport.baseUrl}
                      {REMOTE_API_PATH}/{r.name}/…
                    </code>
                  </div>
                )}
              </td>
              <td className="mono small" title={r.fingerprint}>
                {r.fingerprint.slice(0, 23)}…
              </td>
              <td>{formatWhen(r.createdAt, now)}</td>
              <td>{formatWhen(r.lastUsedAt, now)}</td>
              <RowActions>
                {r.kind === "alias" && (
                  <button
                    className="btn small"
                    type="button"
                    data-testid={`remote-invoke-${r.name}`}
                    onClick={() => invokeRemote(r.name)}
                  >
                    Invoke
                  </button>
                )}
                <DangerButton
                  testId={`remote-remove-${r.name}`}
                  confirm={`Remove remote alias ${r.name}? Its owner can still revoke the token.`}
                  run={() => remotes.getState().remove(r.name)}
                  done={`Removed ${r.name}`}
                >
                  Remove
                </DangerButton>
              </RowActions>
            </tr>
          ))}
      </RecordList>
    </section>
  );
}

/** The profile's remote aliases under its own tasks: invoked the same way, managed in Remote aliases. Nothing if none. */
export function RemoteAliasesBeside() {
  const { remotes, invoke, ui } = useStores();
  const items = useStore(remotes, (s) => s.items).filter((r) => r.kind === "alias");
  if (items.length === 0) return null;
  return (
    <div className="panel" data-testid="tasks-remotes">
      <div className="panel-head">
        <h2>Remote aliases</h2>
        <button className="btn small" type="button" onClick={() => ui.getState().go("remotes")}>
          Manage
        </button>
      </div>
      <table className="grid">
        <tbody>
          {items.map((r) => (
            <tr key={r.id} data-testid={`tasks-remote-${r.name}`}>
              <td>
                <strong>{r.name}</strong> <Badge tone="info">remote</Badge>
              </td>
              <td className="muted">runs on {r.endpoint}</td>
              <td className="actions">
                <button
                  className="btn small"
                  type="button"
                  onClick={() => {
                    invoke.getState().setTarget({ task: r.name });
                    ui.getState().go("invoke");
                  }}
                >
                  Invoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
