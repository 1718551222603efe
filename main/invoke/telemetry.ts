// Where invocation traces go: an OpenTelemetry collector (OTLP/HTTP) the owner names in the window, the CLI, or
// OpenTelemetry's usual environment variables; the setting is kept beside the document and followed at once.
import { join } from "node:path";
import { z } from "zod";
import { HearthError } from "../domain/model/errors.ts";
import type { HearthStore } from "../store/hearth-store.ts";
import { AtomicJsonFile } from "../store/atomic-json-file.ts";
import type { InvocationMetrics } from "./invocation-metrics.ts";
import type { TelemetryView } from "../domain/metrics/telemetry-view.ts";
import { OtlpExporter, otlpTracesUrl } from "./otlp-export.ts";

export const TELEMETRY_FILE = "telemetry.json";

export interface TelemetrySetting {
  /** The collector's OTLP/HTTP address; null: no export. */
  otlpEndpoint: string | null;
  /** Headers sent with each export (an API key, a tenant): kept, never shown back. */
  otlpHeaders: Record<string, string>;
}

const savedSchema = z.object({
  otlpEndpoint: z.string().nullable(),
  otlpHeaders: z.record(z.string(), z.string()).default({}),
});

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value,key2=value2` with values URL-encoded. */
export function parseOtelHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? "").split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** The export OpenTelemetry's own environment variables ask for, if any. */
export function telemetryFromEnv(env: NodeJS.ProcessEnv): TelemetrySetting | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!traces && !base) return null;
  // The traces variable is the full address; the general one is a base that gets /v1/traces.
  const endpoint = traces || `${base!.replace(/\/+$/, "")}/v1/traces`;
  return {
    otlpEndpoint: endpoint,
    otlpHeaders: parseOtelHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS),
  };
}

export class Telemetry {
  private readonly file: AtomicJsonFile;
  private setting: TelemetrySetting | null = null;
  private source: TelemetryView["source"] = "none";
  private exporter: OtlpExporter | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    dataDir: string,
    private readonly metrics: InvocationMetrics,
    private readonly store: HearthStore,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.file = new AtomicJsonFile(join(dataDir, TELEMETRY_FILE));
  }

  /** Reads the saved setting (else the environment's) and starts exporting if it names a collector. */
  async start(): Promise<void> {
    const raw = await this.file.read();
    const saved = raw === null ? null : savedSchema.safeParse(raw);
    if (saved?.success) {
      this.apply(saved.data, "setting");
      return;
    }
    const fromEnv = telemetryFromEnv(this.env);
    if (fromEnv) {
      try {
        this.apply(fromEnv, "environment");
      } catch (err) {
        // A wrong variable must not keep Hearth from starting: it is said, and nothing is exported.
        console.error(`hearth: OpenTelemetry export is off: ${(err as Error).message}`);
      }
    }
  }

  private apply(s: TelemetrySetting, source: TelemetryView["source"]): void {
    // Checked before anything changes: a refused setting leaves the running export as it was.
    const next =
      s.otlpEndpoint === null ? null : new OtlpExporter({ endpoint: s.otlpEndpoint, headers: s.otlpHeaders });
    this.stopExport();
    this.setting = s;
    this.source = s.otlpEndpoint === null ? (source === "setting" ? "setting" : "none") : source;
    this.exporter = next;
    if (!next) return;
    this.unsubscribe = this.metrics.subscribe((r) => {
      const state = this.store.documents.state;
      const task = state.tasks.find((t) => t.id === r.task);
      const alias = r.alias ? state.aliases.find((a) => a.id === r.alias) : undefined;
      next.export(r, { task: task?.name ?? r.task, ...(alias ? { alias: alias.name } : {}) });
    });
  }

  private stopExport(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const old = this.exporter;
    this.exporter = null;
    // What the old export still holds goes out; its failures are its own to report.
    if (old) void old.close();
  }

  /** Sets (or, with a null endpoint, turns off) the export and keeps the setting for later starts. */
  async configure(s: TelemetrySetting): Promise<TelemetryView> {
    if (s.otlpEndpoint !== null) otlpTracesUrl(s.otlpEndpoint);
    this.apply(s, "setting");
    await this.file.write(s);
    return this.view();
  }

  view(): TelemetryView {
    const endpoint = this.setting?.otlpEndpoint ?? null;
    let tracesUrl: string | null = null;
    if (endpoint !== null) {
      try {
        tracesUrl = otlpTracesUrl(endpoint);
      } catch (err) {
        if (!(err instanceof HearthError)) throw err;
      }
    }
    return {
      otlpEndpoint: endpoint,
      tracesUrl,
      otlpHeaderNames: Object.keys(this.setting?.otlpHeaders ?? {}).sort(),
      source: this.source,
      figures: this.exporter ? { ...this.exporter.figures } : null,
    };
  }

  /** Sends what is queued now (tests and shutdown). */
  async flush(): Promise<void> {
    await this.exporter?.flush();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.exporter?.close();
    this.exporter = null;
  }
}
