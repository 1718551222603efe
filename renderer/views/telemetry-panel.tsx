// The Monitor's export setting: the OpenTelemetry collector each invocation goes to as a span (its phases as child
// spans), the headers sent with it (values never shown back), and how the export is going.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { parseHeaderLines } from "../stores/telemetry-store.ts";

export function TelemetryPanel() {
  const { telemetry } = useStores();
  const st = useStore(telemetry);
  const [endpoint, setEndpoint] = useState("");
  const [headers, setHeaders] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    void telemetry.getState().load();
    const poll = setInterval(() => void telemetry.getState().load(), 5000);
    return () => clearInterval(poll);
  }, [telemetry]);

  const v = st.view;
  const f = v?.figures ?? null;
  const save = async (to: string | null) => {
    setProblem(null);
    let parsed: Record<string, string>;
    try {
      parsed = to === null ? {} : parseHeaderLines(headers);
    } catch (err) {
      setProblem((err as Error).message);
      return;
    }
    if (to !== null && !/^https?:\/\/\S+$/.test(to)) {
      setProblem("the collector's address starts with http:// or https://");
      return;
    }
    if (await telemetry.getState().save(to, parsed)) {
      setEndpoint("");
      setHeaders("");
    }
  };

  return (
    <details className="telemetry-panel" data-testid="telemetry-panel">
      <summary>
        Export to OpenTelemetry:{" "}
        <strong data-testid="telemetry-status">
          {v === null ? "…" : v.otlpEndpoint === null ? "off" : (v.tracesUrl ?? v.otlpEndpoint)}
        </strong>
        {f && (
          <span className="muted small" data-testid="telemetry-figures">
            {" "}
            · {f.exported} exported, {f.dropped} dropped, {f.failedBatches} failed POSTs
          </span>
        )}
      </summary>
      <p className="muted small">
        Each invocation goes to the collector (Jaeger, Grafana Tempo, an OpenTelemetry Collector) over
        OTLP/HTTP as a span named after its task, with one child span per phase of its timeline. An address
        without a path gets /v1/traces.{" "}
        {v?.source === "environment" && "Set now by OTEL_EXPORTER_OTLP_ENDPOINT; a setting here wins."}
        {v && v.otlpHeaderNames.length > 0 && ` Headers sent: ${v.otlpHeaderNames.join(", ")}.`}
      </p>
      {f?.lastError && <p className="error-note">Last failure: {f.lastError}</p>}
      <div className="field-row">
        <label>
          Collector address
          <input
            data-testid="telemetry-endpoint"
            placeholder="http://127.0.0.1:4318"
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
          />
        </label>
        <label>
          Headers (name=value, one per line; kept, never shown again)
          <textarea
            data-testid="telemetry-headers"
            rows={2}
            value={headers}
            onChange={(e) => setHeaders(e.target.value)}
          />
        </label>
      </div>
      <div className="row-form">
        <button
          type="button"
          className="btn primary"
          data-testid="telemetry-save"
          disabled={st.saving || endpoint.trim() === ""}
          onClick={() => void save(endpoint.trim())}
        >
          Export to this collector
        </button>
        <button
          type="button"
          className="btn"
          data-testid="telemetry-off"
          disabled={st.saving || v?.otlpEndpoint === null}
          onClick={() => void save(null)}
        >
          Turn off
        </button>
      </div>
      {problem && (
        <p className="error-note" role="alert" data-testid="telemetry-problem">
          {problem}
        </p>
      )}
      <ErrorNote error={st.error} testId="telemetry-error" />
    </details>
  );
}
