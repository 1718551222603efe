// Projects: a folder of this machine (AWS SAM template.yaml, serverless.yml or task.json) opened as tasks and an API,
// followed as it is saved, with each reload and each error (file and line) shown as it happens.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { ProjectStatus } from "../../main/contract.ts";
import { ButtonRow, Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatWhen } from "../logic/format.ts";

/** How often the view asks for the projects' state while it is on screen. */
const POLL_MS = 1000;

const KIND: Record<ProjectStatus["kind"], string> = {
  sam: "AWS SAM",
  serverless: "Serverless",
  task: "task.json",
};

const at = (file?: string, line?: number) => (file ? `${file}${line ? `:${line}` : ""}` : "");

export function ProjectsView() {
  const { projects, ui } = useStores();
  const st = useStore(projects);
  const query = useStore(ui, (s) => s.query);
  const [dir, setDir] = useState("");
  const [apiName, setApiName] = useState("");
  const [access, setAccess] = useState<"public" | "token">("public");
  const [error, setError] = useState<ReadableError | null>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    void projects.getState().load();
    const t = setInterval(() => {
      setNow(Date.now());
      void projects.getState().load();
    }, POLL_MS);
    return () => clearInterval(t);
  }, [projects]);

  return (
    <section data-testid="view-projects">
      <header className="view-head">
        <h1>Projects</h1>
        <p>
          Open a folder of this machine holding an AWS SAM <code>template.yaml</code>, a{" "}
          <code>serverless.yml</code> or a <code>task.json</code>: its functions become tasks, its HTTP events
          an API on the local port, and every save reloads what it touched while the old code keeps serving.
          The project is only read, never written. (<code>hearth dev DIR</code> does the same in a terminal.)
        </p>
      </header>
      <Form
        testId="project-open-form"
        title="Open project…"
        onSubmit={async () => {
          setError(null);
          const e = await projects.getState().open({ dir, apiName, access });
          setError(e);
          if (!e) setDir("");
        }}
        error={error}
        errorTestId="project-open-error"
      >
        <Field label="Folder" hint="a path on this machine">
          <input
            data-testid="project-dir"
            value={dir}
            placeholder="/home/me/src/orders-service"
            onChange={(e) => setDir(e.target.value)}
          />
        </Field>
        <Field label="API name" hint="optional: the folder's or service's name">
          <input
            data-testid="project-api-name"
            value={apiName}
            onChange={(e) => setApiName(e.target.value)}
          />
        </Field>
        <Field label="Who may call its routes">
          <select
            data-testid="project-access"
            value={access}
            onChange={(e) => setAccess(e.target.value as "public" | "token")}
          >
            <option value="public">anyone reaching the port</option>
            <option value="token">holders of an API token</option>
          </select>
        </Field>
        <ButtonRow>
          <SubmitButton testId="project-open" busy={st.opening} busyLabel="Opening… (uploading functions)">
            Open project
          </SubmitButton>
        </ButtonRow>
      </Form>
      <ErrorNote error={st.error} />
      {st.loaded && st.items.length === 0 && (
        <EmptyState testId="empty-projects" title="No project open">
          Name a project&apos;s folder above. Its functions are imported and kept in step with your saves.
        </EmptyState>
      )}
      {st.items
        .filter((p) => matches(query, p.dir, p.apiName, ...p.functions.map((f) => f.task)))
        .map((p) => (
          <ProjectCard key={p.id} project={p} now={now} />
        ))}
    </section>
  );
}

function ProjectCard({ project: p, now }: { project: ProjectStatus; now: number }) {
  const { projects, transport, ui } = useStores();
  const r = p.lastReload;
  return (
    <article className="panel" data-testid={`project-${p.apiName}`}>
      <header className="row-form">
        <h2>
          {p.apiName} <span className="muted small">{p.dir}</span>
        </h2>
        <Badge tone="info">{`${KIND[p.kind]} · ${p.file}`}</Badge>
        {p.watching ? (
          <Badge tone="ok" testId="project-watching">
            watching
          </Badge>
        ) : (
          <Badge tone="warn">not watching</Badge>
        )}
        <DangerButton
          testId={`project-close-${p.apiName}`}
          confirm={`Stop following ${p.dir}? Its tasks and API stay.`}
          run={() => projects.getState().close(p.id)}
          done={`Closed ${p.apiName}; its tasks and API stay`}
        >
          Close
        </DangerButton>
      </header>
      <p data-testid="project-last-reload" className={r && !r.ok ? "error-note" : "muted"}>
        {r === null
          ? `Opened ${formatWhen(p.openedAt, now)}; no save since.`
          : `Last reload ${formatWhen(r.at, now)} (${r.changed.slice(0, 3).join(", ")}${r.changed.length > 3 ? "…" : ""}): ${
              r.ok ? "" : "failed: "
            }${r.file ? `${at(r.file, r.line)}: ` : ""}${r.message}${
              r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ""
            }${r.ok ? "" : " — the code already running keeps serving"}`}
      </p>
      <table className="records" data-testid="project-functions">
        <thead>
          <tr>
            <th>Function</th>
            <th>Task</th>
            <th>Runtime</th>
            <th>Last upload</th>
          </tr>
        </thead>
        <tbody>
          {p.functions.map((f) => (
            <tr key={f.id} data-testid={`project-fn-${f.id}`}>
              <td>{f.id}</td>
              <td>
                <button type="button" className="btn ghost small" onClick={() => ui.getState().go("tasks")}>
                  {f.task}
                </button>
              </td>
              <td>{f.runtime}</td>
              <td>
                {f.last === null ? (
                  <span className="muted">not yet</span>
                ) : f.last.ok ? (
                  <>
                    <Badge tone="ok">ok</Badge> {f.last.message}{" "}
                    <span className="muted small">{formatWhen(f.last.at, now)}</span>
                  </>
                ) : (
                  <span data-testid={`project-fn-error-${f.id}`}>
                    <Badge tone="bad">error</Badge> {at(f.last.file, f.last.line)}
                    {f.last.file ? ": " : ""}
                    {f.last.message}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {p.routes.length > 0 && (
        <ul className="plain" data-testid="project-routes">
          {p.routes.map((route) => {
            const url = `${transport.baseUrl}${route.path.replace(/\{[^}]+\}/g, "1")}`;
            return (
              <li key={`${route.method} ${route.path}`}>
                <code>{route.method}</code>{" "}
                {route.method === "GET" || route.method === "ANY" ? (
                  <a href={url} target="_blank" rel="noreferrer noopener">
                    {transport.baseUrl}
                    {route.path}
                  </a>
                ) : (
                  <code>
                    {transport.baseUrl}
                    {route.path}
                  </code>
                )}{" "}
                <span className="muted">→ {route.task}</span>
              </li>
            );
          })}
        </ul>
      )}
      {p.notes.length > 0 && (
        <details data-testid="project-notes">
          <summary>Not honoured here ({p.notes.length})</summary>
          <ul className="plain">
            {p.notes.map((n) => (
              <li key={`${n.file}:${n.line}:${n.message}`}>
                <code>{at(n.file, n.line)}</code> {n.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      <details data-testid="project-log">
        <summary>Session log</summary>
        <pre className="log-box">{p.log.join("\n")}</pre>
      </details>
    </article>
  );
}
