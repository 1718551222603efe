// Profiles: create one (its credentials shown once), see them all, switch the one the window acts as.
import { useState } from "react";
import { useStore } from "zustand";
import { CopyField } from "../components/copy-button.tsx";
import { Form, SubmitButton } from "../components/form.tsx";
import { RecordList, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { formatWhen } from "../logic/format.ts";

export function CreatedCredentials() {
  const { session } = useStores();
  const created = useStore(session, (s) => s.created);
  const dismiss = useStore(session, (s) => s.dismissCreated);
  if (!created) return null;
  const { accessKeyId, secretAccessKey } = created.credentials;
  return (
    <div className="once" data-testid="created-credentials">
      <h3>Profile “{created.profile.name}” created: save its access key now</h3>
      <p>
        The secret is shown this once: Hearth keeps only its hash. Use the pair with the AWS SDKs or CLI
        (Lambda API on this port).
      </p>
      <label>Access key id</label>
      <CopyField value={accessKeyId} testId="created-access-key-id" />
      <label>Secret access key</label>
      <CopyField value={secretAccessKey} testId="created-secret" />
      <button className="btn" type="button" onClick={dismiss} data-testid="credentials-dismiss">
        I&apos;ve saved it
      </button>
    </div>
  );
}

export function CreateProfileForm({ autoFocus = false }: { autoFocus?: boolean }) {
  const { session, ui } = useStores();
  const creating = useStore(session, (s) => s.creating);
  const createError = useStore(session, (s) => s.createError);
  const [name, setName] = useState("");
  return (
    <Form
      className="row-form"
      onSubmit={async () => {
        if (await session.getState().create(name)) {
          ui.getState().toast("ok", `Profile ${name.trim()} created; the window now acts as it`);
          setName("");
        }
      }}
      error={createError}
      errorTestId="profile-create-error"
    >
      <input
        placeholder="New profile name, e.g. work"
        aria-label="Profile name"
        data-testid="profile-name-input"
        value={name}
        autoFocus={autoFocus}
        onChange={(e) => setName(e.target.value)}
      />
      <SubmitButton testId="profile-create" busy={creating} busyLabel="Creating…">
        Create profile
      </SubmitButton>
    </Form>
  );
}

export function ProfilesView() {
  const { session, ui } = useStores();
  const s = useStore(session);
  const query = useStore(ui, (u) => u.query);
  const now = Date.now();
  const shown = s.profiles.filter((p) => matches(query, p.name, p.accountId));
  return (
    <section data-testid="view-profiles">
      <header className="view-head">
        <h1>Profiles</h1>
        <p>
          A profile owns tasks, aliases, tokens and its own VMs. Profiles share tasks with each other by
          grants.
        </p>
      </header>
      <CreatedCredentials />
      <CreateProfileForm />
      <ErrorNote error={s.error} />
      <RecordList
        none={s.loaded && s.profiles.length === 0}
        empty={
          <EmptyState testId="empty-profiles" title="No profiles yet">
            Create one above: it gets an account id, an access key, and a warm VM to run its tasks.
          </EmptyState>
        }
        testId="profiles-table"
        columns={["Name", "Account", "Access keys", "Created", ""]}
      >
        {shown.map((p) => (
          <tr key={p.id} data-testid={`profile-row-${p.name}`}>
            <td>
              <strong>{p.name}</strong>
            </td>
            <td className="mono">{p.accountId}</td>
            <td className="mono">{p.accessKeyIds.join(", ")}</td>
            <td>{formatWhen(p.createdAt, now)}</td>
            <RowActions>
              {p.id === s.activeId ? (
                <Badge tone="ok">acting as</Badge>
              ) : (
                <button
                  className="btn small"
                  type="button"
                  data-testid={`profile-use-${p.name}`}
                  onClick={() => session.getState().switchTo(p.id)}
                >
                  Use
                </button>
              )}
            </RowActions>
          </tr>
        ))}
      </RecordList>
    </section>
  );
}
