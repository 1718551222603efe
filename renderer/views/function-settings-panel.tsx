// A task's Lambda settings in its panel: its function URLs, the resource policy (which accounts may invoke which
// ARN), how its asynchronous events are retried and where their success or failure goes, and its dead-letter target.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { OwnedTaskView } from "../../main/contract.ts";
import { RecordTable } from "../components/list.tsx";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { formatWhen } from "../logic/format.ts";

export function FunctionSettingsPanel({ task }: { task: OwnedTaskView }) {
  const { functionSettings, session, aliases, transport } = useStores();
  const st = useStore(functionSettings);
  const profiles = useStore(session, (s) => s.profiles);
  const activeId = useStore(session, (s) => s.activeId);
  const allAliases = useStore(aliases, (s) => s.items);
  const settings = st.byTask[task.name];
  const qualifiers = [
    ...task.versions.map((v) => String(v.version)),
    ...allAliases.filter((a) => a.task.id === task.id && !a.crossProfile).map((a) => a.name),
  ];
  const others = profiles.filter((p) => p.id !== activeId);
  const now = Date.now();

  useEffect(() => {
    void functionSettings.getState().load(task.name);
  }, [functionSettings, task.name, task.updatedAt]);

  const aliasNames = allAliases.filter((a) => a.task.id === task.id && !a.crossProfile).map((a) => a.name);
  const [urlQualifier, setUrlQualifier] = useState("");
  const [urlAuth, setUrlAuth] = useState<"NONE" | "AWS_IAM">("AWS_IAM");
  const [urlStream, setUrlStream] = useState(false);
  const [urlOrigins, setUrlOrigins] = useState("");
  const [sid, setSid] = useState("");
  const [principal, setPrincipal] = useState("");
  const [qualifier, setQualifier] = useState("");
  const latestEvent = settings?.eventInvokeConfigs.find((e) => e.qualifier === null);
  const [retries, setRetries] = useState("2");
  const [maxAge, setMaxAge] = useState("21600");
  const [onSuccess, setOnSuccess] = useState("");
  const [onFailure, setOnFailure] = useState("");
  const [deadLetter, setDeadLetter] = useState("");
  useEffect(() => {
    setRetries(String(latestEvent?.maximumRetryAttempts ?? 2));
    setMaxAge(String(latestEvent?.maximumEventAgeSeconds ?? 21600));
    setOnSuccess(latestEvent?.onSuccess ?? "");
    setOnFailure(latestEvent?.onFailure ?? "");
    setDeadLetter(settings?.deadLetterArn ?? "");
  }, [latestEvent, settings?.deadLetterArn]);

  const arn = (q: string | null) =>
    `arn:aws:lambda:REGION:${settings?.accountId ?? "ACCOUNT"}:function:${task.name}${q === null ? "" : `:${q}`}`;
  const nameOf = (account: string, name: string | null) => name ?? account;
  const s = functionSettings.getState();

  return (
    <div className="function-settings" data-testid="function-settings">
      <h3>Function URLs</h3>
      <p className="muted small">
        A URL answers plain HTTP with Lambda&apos;s payload-2.0 event. Auth NONE: whoever reaches this port
        may call it. AWS_IAM: requests signed (SigV4, service lambda) with this profile&apos;s key, or an
        account&apos;s a statement allows (lambda:InvokeFunctionUrl).
      </p>
      {settings && settings.urls.length === 0 ? (
        <p className="muted" data-testid="url-empty">
          No function URL.
        </p>
      ) : (
        <RecordTable
          className="compact"
          testId="url-table"
          columns={["Target", "URL", "Auth", "Mode", "CORS origins", ""]}
        >
          {(settings?.urls ?? []).map((u) => (
            <tr key={u.urlId} data-testid={`url-row-${u.qualifier ?? "$LATEST"}`}>
              <td className="mono">
                {task.name}
                {u.qualifier === null ? "" : `:${u.qualifier}`}
              </td>
              <td className="mono small" data-testid="url-address">
                {`${transport.baseUrl}${u.path}`}
              </td>
              <td data-testid="url-auth">{u.authType}</td>
              <td>{u.invokeMode === "RESPONSE_STREAM" ? "streamed" : "buffered"}</td>
              <td className="small">{u.cors ? u.cors.allowOrigins.join(", ") : ""}</td>
              <td>
                <button
                  type="button"
                  className="btn small danger"
                  data-testid={`url-remove-${u.qualifier ?? "$LATEST"}`}
                  disabled={st.busy}
                  onClick={() =>
                    void s.deleteFunctionUrl({
                      task: task.name,
                      ...(u.qualifier !== null ? { qualifier: u.qualifier } : {}),
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </RecordTable>
      )}
      <form
        className="row-form"
        data-testid="url-form"
        onSubmit={(e) => {
          e.preventDefault();
          const origins = urlOrigins
            .split(/[\s,]+/)
            .map((o) => o.trim())
            .filter((o) => o !== "");
          void s.putFunctionUrl({
            task: task.name,
            ...(urlQualifier !== "" ? { qualifier: urlQualifier } : {}),
            authType: urlAuth,
            invokeMode: urlStream ? "RESPONSE_STREAM" : "BUFFERED",
            allowOrigins: origins.length ? origins : null,
          });
        }}
      >
        <select
          value={urlQualifier}
          data-testid="url-qualifier"
          onChange={(e) => setUrlQualifier(e.target.value)}
        >
          <option value="">the function ($LATEST)</option>
          {aliasNames.map((q) => (
            <option key={q} value={q}>
              {q}
            </option>
          ))}
        </select>
        <select
          value={urlAuth}
          data-testid="url-auth-type"
          onChange={(e) => setUrlAuth(e.target.value === "NONE" ? "NONE" : "AWS_IAM")}
        >
          <option value="AWS_IAM">AWS_IAM (signed)</option>
          <option value="NONE">NONE (anyone reaching the port)</option>
        </select>
        <label className="check">
          <input
            type="checkbox"
            checked={urlStream}
            data-testid="url-stream"
            onChange={(e) => setUrlStream(e.target.checked)}
          />{" "}
          stream responses
        </label>
        <input
          placeholder="CORS origins (optional)"
          value={urlOrigins}
          data-testid="url-origins"
          onChange={(e) => setUrlOrigins(e.target.value)}
        />
        <button type="submit" className="btn primary" data-testid="url-save" disabled={st.busy}>
          Save URL
        </button>
      </form>

      <h3>Resource policy</h3>
      <p className="muted small">
        Each statement lets another profile&apos;s account invoke exactly the ARN it names (the function, one
        version or one alias) with this task&apos;s configuration, in this profile&apos;s VMs. It never reads
        the code, configuration or policy.
      </p>
      {settings && settings.policy.length === 0 ? (
        <p className="muted" data-testid="policy-empty">
          No statements: only this profile invokes {task.name}.
        </p>
      ) : (
        <RecordTable
          className="compact"
          testId="policy-table"
          columns={["Statement", "Account", "ARN", "Added", ""]}
        >
          {(settings?.policy ?? []).map((p) => (
            <tr key={`${p.qualifier ?? ""}/${p.statementId}`} data-testid={`policy-row-${p.statementId}`}>
              <td className="mono">{p.statementId}</td>
              <td>
                {nameOf(p.principalAccountId, p.principalName)}{" "}
                <span className="muted mono">{p.principalAccountId}</span>
              </td>
              <td className="mono small">
                {arn(p.qualifier)}
                {p.action === "lambda:InvokeFunctionUrl" ? " (its URL)" : ""}
              </td>
              <td>{formatWhen(p.createdAt, now)}</td>
              <td>
                <button
                  type="button"
                  className="btn small danger"
                  data-testid={`policy-remove-${p.statementId}`}
                  disabled={st.busy}
                  onClick={() =>
                    void s.removePermission({
                      task: task.name,
                      statementId: p.statementId,
                      ...(p.qualifier !== null ? { qualifier: p.qualifier } : {}),
                    })
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </RecordTable>
      )}
      <form
        className="row-form"
        data-testid="policy-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s
            .addPermission({
              task: task.name,
              statementId: sid,
              principal,
              ...(qualifier !== "" ? { qualifier } : {}),
            })
            .then((ok) => {
              if (ok) setSid("");
            });
        }}
      >
        <input
          placeholder="Statement id"
          value={sid}
          data-testid="policy-sid"
          onChange={(e) => setSid(e.target.value)}
        />
        <select
          value={principal}
          data-testid="policy-principal"
          onChange={(e) => setPrincipal(e.target.value)}
        >
          <option value="">Account…</option>
          {others.map((p) => (
            <option key={p.id} value={p.accountId}>
              {p.name} ({p.accountId})
            </option>
          ))}
        </select>
        <select
          value={qualifier}
          data-testid="policy-qualifier"
          onChange={(e) => setQualifier(e.target.value)}
        >
          <option value="">the function ($LATEST)</option>
          {qualifiers.map((q) => (
            <option key={q} value={q}>
              {q}
            </option>
          ))}
        </select>
        <button
          type="submit"
          className="btn primary"
          data-testid="policy-add"
          disabled={st.busy || sid === "" || principal === ""}
        >
          Allow
        </button>
      </form>

      <h3>Asynchronous invocation</h3>
      <p className="muted small">
        An event (InvocationType Event) that fails is retried up to this many times, and dropped once older
        than its maximum age; its record then goes to the destination named for its success or failure, and
        its payload to the dead-letter target. Destinations are function ARNs this profile may invoke.
      </p>
      {(settings?.eventInvokeConfigs ?? [])
        .filter((e) => e.qualifier !== null)
        .map((e) => (
          <p key={e.qualifier} className="muted small" data-testid={`event-config-${e.qualifier}`}>
            {task.name}:{e.qualifier}: {e.maximumRetryAttempts} retries, {e.maximumEventAgeSeconds} s, success
            → {e.onSuccess ?? "nothing"}, failure → {e.onFailure ?? "nothing"}
          </p>
        ))}
      <form
        className="form"
        data-testid="event-config-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s.putEventInvokeConfig({
            task: task.name,
            maximumRetryAttempts: Number(retries),
            maximumEventAgeSeconds: Number(maxAge),
            onSuccess: onSuccess.trim() === "" ? null : onSuccess.trim(),
            onFailure: onFailure.trim() === "" ? null : onFailure.trim(),
          });
        }}
      >
        <div className="field-row">
          <label>
            Retries
            <select value={retries} data-testid="event-retries" onChange={(e) => setRetries(e.target.value)}>
              <option value="0">0</option>
              <option value="1">1</option>
              <option value="2">2</option>
            </select>
          </label>
          <label>
            Maximum age (s)
            <input
              type="number"
              min={60}
              max={21600}
              value={maxAge}
              data-testid="event-max-age"
              onChange={(e) => setMaxAge(e.target.value)}
            />
          </label>
        </div>
        <label>
          On success
          <input
            className="mono"
            placeholder="arn:aws:lambda:REGION:ACCOUNT:function:NAME"
            value={onSuccess}
            data-testid="event-on-success"
            onChange={(e) => setOnSuccess(e.target.value)}
          />
        </label>
        <label>
          On failure
          <input
            className="mono"
            placeholder="arn:aws:lambda:REGION:ACCOUNT:function:NAME"
            value={onFailure}
            data-testid="event-on-failure"
            onChange={(e) => setOnFailure(e.target.value)}
          />
        </label>
        <div className="row-form">
          <button type="submit" className="btn primary" data-testid="event-config-save" disabled={st.busy}>
            Save
          </button>
          {latestEvent && (
            <button
              type="button"
              className="btn small"
              data-testid="event-config-reset"
              disabled={st.busy}
              onClick={() => void s.deleteEventInvokeConfig({ task: task.name })}
            >
              Back to defaults
            </button>
          )}
          <span className="muted small" data-testid="event-config-status">
            {latestEvent
              ? `set ${formatWhen(latestEvent.updatedAt, now)}`
              : "Lambda's defaults: 2 retries, 6 h"}
          </span>
        </div>
      </form>
      <form
        className="row-form"
        data-testid="dead-letter-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s.setDeadLetter({
            task: task.name,
            targetArn: deadLetter.trim() === "" ? null : deadLetter.trim(),
          });
        }}
      >
        <label>
          Dead-letter target
          <input
            className="mono"
            placeholder="arn:aws:lambda:REGION:ACCOUNT:function:NAME (none)"
            value={deadLetter}
            data-testid="dead-letter-arn"
            onChange={(e) => setDeadLetter(e.target.value)}
          />
        </label>
        <button type="submit" className="btn" data-testid="dead-letter-save" disabled={st.busy}>
          Save
        </button>
      </form>
      <ErrorNote error={st.error} testId="function-settings-error" />
    </div>
  );
}
