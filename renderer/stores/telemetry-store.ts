// Where invocations are exported as OpenTelemetry spans: the owner's setting, read and changed from the Monitor view.
import { createStore } from "zustand/vanilla";
import type { HearthApi, TelemetryView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export interface TelemetryState {
  view: TelemetryView | null;
  error: ReadableError | null;
  saving: boolean;
  load(): Promise<void>;
  /** Exports to `endpoint` with these headers; null turns the export off. */
  save(endpoint: string | null, headers: Record<string, string>): Promise<boolean>;
}

/** `name=value` lines (or `name: value`) as headers; blank lines are skipped. */
export function parseHeaderLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t) continue;
    const i = t.search(/[=:]/);
    if (i <= 0) throw new Error(`"${t}" is not a header: write name=value`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

export function createTelemetryStore(api: Pick<HearthApi, "call">) {
  return createStore<TelemetryState>()((set) => ({
    view: null,
    error: null,
    saving: false,
    async load() {
      try {
        set({ view: await api.call("getTelemetry", {}), error: null });
      } catch (err) {
        set({ error: readableError(err) });
      }
    },
    async save(endpoint, headers) {
      set({ saving: true });
      try {
        const view = await api.call("setTelemetry", { otlpEndpoint: endpoint, otlpHeaders: headers });
        set({ view, error: null, saving: false });
        return true;
      } catch (err) {
        set({ error: readableError(err), saving: false });
        return false;
      }
    },
  }));
}

export type TelemetryStore = ReturnType<typeof createTelemetryStore>;
