// APIs: HTTP routes (`GET /orders/{id}`) bound to tasks or aliases, served on the local port; try a route here.
import { useState } from "react";
import { useStore } from "zustand";
import type { ApiView, OwnedTaskView } from "../../main/contract.ts";
import { CopyField } from "../components/copy-button.tsx";
import { ButtonRow, Field, Form, SubmitButton } from "../components/form.tsx";
import { DangerButton, RecordList, RowActions } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { curlRouteCommand } from "../logic/commands.ts";
import type { ReadableError } from "../logic/errors.ts";
import { formatMs } from "../logic/format.ts";
import { formatPayload } from "../logic/payload.ts";
import { identityInputs, ROUTE_METHODS, routePath, routeShape, withIdentity } from "../logic/route-try.ts";
import type { RouteTarget } from "../stores/apis-store.ts";
import { ApiAuthorizersPanel, routeAuthorizerText } from "./api-authorizers-panel.tsx";

interface TargetOption {
  key: string;
  label: string;
  target: RouteTarget;
}

const targetText = (t: RouteTarget) =>
  `${t.ownerAccountId ? `${t.ownerAccountId}/` : ""}${t.task}${t.qualifier ? `:${t.qualifier}` : ""}`;

export function ApisView() {
  const { apis, tasks, aliases, ui, transport, share } = useStores();
  const st = useStore(apis);
  const taskList = useStore(tasks, (s) => s.items);
  const held = useStore(aliases, (s) => s.items);
  const query = useStore(ui, (s) => s.query);
  const [selected, setSelected] = useState<string | null>(null);
  const own = taskList.filter((t): t is OwnedTaskView => t.access === "owner");
  const targets: TargetOption[] = [
    ...own.map((t) => ({ key: `t:${t.name}`, label: `${t.name} ($LATEST)`, target: { task: t.name } })),
    ...held.map((a) => ({
      key: `a:${a.id}`,
      label: `${a.task.name}:${a.name}${a.crossProfile ? " (cross-profile)" : ""}`,
      target: {
        task: a.task.name,
        qualifier: a.name,
        ...(a.crossProfile ? { ownerAccountId: a.task.ownerAccountId } : {}),
      },
    })),
  ];
  const current = st.items.find((a) => a.id === selected) ?? null;

  return (
    <section data-testid="view-apis">
      <header className="view-head">
        <h1>APIs</h1>
        <p>
          Routes on this machine&apos;s port at <code>{transport.baseUrl}/apis/&lt;name&gt;/…</code>; each
          request reaches its task as an API Gateway (HTTP API 2.0) event.
        </p>
      </header>
      <ErrorNote error={st.error} />
      <RecordList
        none={st.loaded && st.items.length === 0}
        empty={
          <EmptyState testId="empty-apis" title="No APIs yet">
            {targets.length === 0
              ? "Import a task first; then give it a route such as GET /hello below."
              : "Build one below: name it, add a route such as GET /orders/{id}, and pick the task or alias that answers it."}
          </EmptyState>
        }
        className="selectable"
        testId="apis-table"
        columns={["Name", "Access", "Routes", "Authorizers", "Path", ""]}
      >
        {st.items
          .filter((a) => matches(query, a.name, a.description))
          .map((a) => (
            <tr
              key={a.id}
              className={a.id === selected ? "selected" : ""}
              data-testid={`api-row-${a.name}`}
              onClick={() => setSelected(a.id === selected ? null : a.id)}
            >
              <td>
                <strong>{a.name}</strong>
              </td>
              <td>
                <Badge tone={a.access === "public" ? "warn" : "info"}>{a.access}</Badge>
              </td>
              <td className="small">
                {a.routes.map((r) => {
                  const auth = routeAuthorizerText(a, r);
                  return (
                    <div key={r.routeKey} data-testid={`api-route-${a.name}-${r.routeKey}`}>
                      <code>{r.routeKey}</code> → {targetText(r.target)}
                      {auth !== null && <span className="muted"> · checked by {auth}</span>}
                    </div>
                  );
                })}
              </td>
              <td className="small" data-testid={`api-authorizers-${a.name}`}>
                {a.authorizers.length === 0
                  ? "—"
                  : a.authorizers.map((x) => (
                      <div key={x.id}>
                        {x.name} <Badge tone="info">{x.type}</Badge>
                      </div>
                    ))}
              </td>
              <td className="mono">{a.path}</td>
              <RowActions>
                {a.access === "token" && (
                  <button
                    className="btn small"
                    type="button"
                    data-testid={`api-share-${a.name}`}
                    title="Share with a teammate on another machine"
                    onClick={(e) => {
                      e.stopPropagation();
                      share.getState().openApi(a.id);
                    }}
                  >
                    Share
                  </button>
                )}
                <DangerButton
                  inRow
                  confirm={`Delete API ${a.name}?`}
                  run={() => apis.getState().remove(a.id)}
                  done={`Deleted ${a.name}`}
                >
                  Delete
                </DangerButton>
              </RowActions>
            </tr>
          ))}
      </RecordList>
      {current && <ApiAuthorizersPanel key={current.id} api={current} targets={targets} />}
      {current && <TryRoute key={current.id} api={current} />}
      <CreateApiForm targets={targets} onCreated={setSelected} />
    </section>
  );
}

interface RouteRow {
  method: string;
  path: string;
  target: string;
}

function CreateApiForm({ targets, onCreated }: { targets: TargetOption[]; onCreated: (id: string) => void }) {
  const { apis, ui } = useStores();
  const [name, setName] = useState("");
  const [access, setAccess] = useState<"public" | "token">("token");
  const [rows, setRows] = useState<RouteRow[]>([{ method: "GET", path: "/", target: "" }]);
  const [error, setError] = useState<ReadableError | null>(null);
  if (targets.length === 0) return null;
  const update = (i: number, patch: Partial<RouteRow>) =>
    setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Form
      className="panel form"
      testId="api-form"
      title="Build an API"
      onSubmit={async () => {
        const routes = rows.map((r) => ({
          routeKey: `${r.method} ${r.path.trim()}`,
          target: (targets.find((t) => t.key === r.target) ?? targets[0]!).target,
        }));
        const before = new Set(apis.getState().items.map((a) => a.id));
        const err = await apis.getState().create({ name: name.trim(), access, routes });
        setError(err);
        if (!err) {
          ui.getState().toast("ok", `API ${name.trim()} is served at /apis/${name.trim()}`);
          const made = apis.getState().items.find((a) => !before.has(a.id));
          if (made) onCreated(made.id);
          setName("");
          setRows([{ method: "GET", path: "/", target: "" }]);
        }
      }}
      error={error}
      errorTestId="api-error"
    >
      <div className="field-row">
        <Field label="Name">
          <input
            value={name}
            placeholder="shop"
            data-testid="api-name"
            onChange={(e) => setName(e.target.value)}
          />
        </Field>
        <Field label="Who may call it">
          <select
            value={access}
            data-testid="api-access"
            onChange={(e) => setAccess(e.target.value as "public" | "token")}
          >
            <option value="token">bearers of an API token</option>
            <option value="public">anyone who reaches the port</option>
          </select>
        </Field>
      </div>
      {rows.map((r, i) => (
        <div className="field-row route-row" key={i}>
          <select
            value={r.method}
            aria-label="Method"
            onChange={(e) => update(i, { method: e.target.value })}
          >
            {ROUTE_METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
          <input
            className="mono"
            value={r.path}
            aria-label="Path"
            placeholder="/orders/{id}"
            data-testid={`api-route-path-${i}`}
            onChange={(e) => update(i, { path: e.target.value })}
          />
          <span>→</span>
          <select
            value={r.target || targets[0]!.key}
            aria-label="Target"
            data-testid={`api-route-target-${i}`}
            onChange={(e) => update(i, { target: e.target.value })}
          >
            {targets.map((t) => (
              <option key={t.key} value={t.key}>
                {t.label}
              </option>
            ))}
          </select>
          {rows.length > 1 && (
            <button
              className="btn small ghost"
              type="button"
              onClick={() => setRows(rows.filter((_, j) => j !== i))}
            >
              ✕
            </button>
          )}
        </div>
      ))}
      <ButtonRow>
        <button
          className="btn small"
          type="button"
          onClick={() => setRows([...rows, { method: "GET", path: "/", target: "" }])}
        >
          Add a route
        </button>
        <SubmitButton testId="api-create">Create API</SubmitButton>
      </ButtonRow>
    </Form>
  );
}

function TryRoute({ api }: { api: ApiView }) {
  const { apis, transport } = useStores();
  const st = useStore(apis);
  const [routeKey, setRouteKey] = useState(api.routes[0]?.routeKey ?? "");
  const [values, setValues] = useState<Record<string, string>>({});
  const [method, setMethod] = useState("GET");
  const [body, setBody] = useState("");
  const [identity, setIdentity] = useState<Record<string, string>>({});
  const shape = routeShape(routeKey);
  const actualMethod = shape.method ?? method;
  const inputs = identityInputs(api, routeKey);
  const sent = withIdentity(routePath(api.path, shape, values), {}, inputs, identity);
  const path = sent.path;
  const token = st.tokens[api.id];
  return (
    <div className="panel" data-testid="try-route">
      <h3>Try {api.name}</h3>
      <div className="field-row">
        <label>
          Route
          <select
            value={routeKey}
            data-testid="try-route-select"
            onChange={(e) => setRouteKey(e.target.value)}
          >
            {api.routes.map((r) => (
              <option key={r.routeKey}>{r.routeKey}</option>
            ))}
          </select>
        </label>
        {shape.method === null && (
          <label>
            Method
            <select value={method} onChange={(e) => setMethod(e.target.value)}>
              {ROUTE_METHODS.filter((m) => m !== "ANY").map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        )}
        {shape.params.map((p) => (
          <label key={p.name}>
            {`{${p.name}${p.greedy ? "+" : ""}}`}
            <input
              value={values[p.name] ?? ""}
              data-testid={`try-param-${p.name}`}
              onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}
            />
          </label>
        ))}
      </div>
      {inputs.length > 0 && (
        <div className="field-row" data-testid="try-identity">
          {inputs.map((i) => {
            const k = `${i.kind}:${i.name}`;
            return (
              <label key={k}>
                {i.kind === "header" ? `${i.name} header` : `?${i.name}`}{" "}
                <span className="muted">(the route's authorizer reads it)</span>
                <input
                  className="mono"
                  value={identity[k] ?? ""}
                  data-testid={`try-identity-${i.kind}-${i.name}`}
                  onChange={(e) => setIdentity({ ...identity, [k]: e.target.value })}
                />
              </label>
            );
          })}
        </div>
      )}
      {actualMethod !== "GET" && actualMethod !== "HEAD" && (
        <label>
          Body
          <textarea rows={3} className="mono" value={body} onChange={(e) => setBody(e.target.value)} />
        </label>
      )}
      <div className="row-form">
        <code className="mono">
          {actualMethod} {path}
        </code>
        {api.access === "token" && !token && (
          <button className="btn small" type="button" onClick={() => void apis.getState().mintToken(api.id)}>
            Mint an API token to try it
          </button>
        )}
        <button
          className="btn primary"
          type="button"
          data-testid="try-send"
          disabled={st.trying || !transport.tryRoute}
          onClick={() =>
            void apis.getState().tryRoute(
              {
                method: actualMethod,
                path,
                headers: { ...sent.headers, ...(body ? { "content-type": "application/json" } : {}) },
                ...(body ? { body } : {}),
              },
              api.id,
            )
          }
        >
          {st.trying ? "Sending…" : "Send"}
        </button>
      </div>
      <CopyField
        value={curlRouteCommand(transport.baseUrl, actualMethod, path, token, sent.headers)}
        testId="try-curl"
        label="Copy curl"
      />
      <ErrorNote error={st.tryError} />
      {st.tried && (
        <div className="tried" data-testid="try-response">
          <div className="meta">
            <Badge tone={st.tried.status < 400 ? "ok" : "bad"} testId="try-status">
              {st.tried.status}
            </Badge>
            <span>{formatMs(st.tried.ms)}</span>
            <span className="muted">{st.tried.headers["content-type"] ?? ""}</span>
          </div>
          <pre className="mono">{formatPayload(st.tried.body)}</pre>
        </div>
      )}
    </div>
  );
}
