// What the owner reads of the trace export: where spans go, which headers go with them (names only), how it goes.

export interface TelemetryView {
  otlpEndpoint: string | null;
  /** Where the traces are POSTed (the endpoint with OTLP's /v1/traces when it named no path). */
  tracesUrl: string | null;
  /** The names of the headers sent; their values stay with the host. */
  otlpHeaderNames: string[];
  /** Where the setting came from: the window or CLI, OpenTelemetry's environment variables, or nowhere. */
  source: "setting" | "environment" | "none";
  /** Calls exported, dropped (a full queue, a failed POST) and failed POSTs since the export began. */
  figures: { exported: number; dropped: number; failedBatches: number; lastError?: string } | null;
}
