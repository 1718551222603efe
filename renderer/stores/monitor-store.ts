// The Monitor view's numbers: a task's (or all of the profile's tasks') invocation stats over a range, totals and
// per-period buckets, re-read every few seconds while the view is shown.
import { createStore } from "zustand/vanilla";
import type { HearthApi, InvocationStatsView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import { taskFields, type Range, type TaskRef } from "../logic/metrics-scope.ts";
import { realTimers, type Timers } from "./timers.ts";

export const MONITOR_REFRESH_MS = 5000;

export interface MonitorScope {
  /** null: all of the profile's own tasks. */
  task: TaskRef | null;
  alias: string | null;
  range: Range;
}

export interface MonitorState extends MonitorScope {
  stats: InvocationStatsView | null;
  loading: boolean;
  error: ReadableError | null;
  updatedAt: number | null;
  /** Looks at another task, alias or range: what was shown belonged to the old one and goes. */
  choose(patch: Partial<MonitorScope>): void;
  refresh(force?: boolean): Promise<void>;
  /** Loads now and every `intervalMs` until the returned function is called. */
  watch(intervalMs?: number): () => void;
  reset(): void;
}

const initialScope: MonitorScope = { task: null, alias: null, range: "1h" };

export function createMonitorStore(
  api: Pick<HearthApi, "call">,
  timers: Timers = realTimers,
  now: () => number = Date.now,
) {
  let latest = 0;
  let inFlight: Promise<void> | null = null;
  let watching = false;
  return createStore<MonitorState>()((set, get) => ({
    ...initialScope,
    stats: null,
    loading: false,
    error: null,
    updatedAt: null,
    choose(patch) {
      latest++;
      set({ ...patch, stats: null, error: null, updatedAt: null });
      if (watching) void get().refresh(true);
    },
    refresh(force = false) {
      // A slow answer must not pile timer requests up behind it; a new scope does not wait for an old one.
      if (inFlight && !force) return inFlight;
      const seq = ++latest;
      const { task, alias, range } = get();
      set({ loading: true });
      const run: Promise<void> = (async () => {
        try {
          const stats = await api.call("invocationStats", {
            ...taskFields(task),
            ...(task && alias ? { alias } : {}),
            since: range,
          });
          if (seq === latest) set({ stats, loading: false, error: null, updatedAt: now() });
        } catch (err) {
          if (seq === latest) set({ loading: false, error: readableError(err) });
        }
      })().finally(() => {
        if (inFlight === run) inFlight = null;
      });
      inFlight = run;
      return run;
    },
    watch(intervalMs = MONITOR_REFRESH_MS) {
      watching = true;
      void get().refresh(true);
      const poll = timers.setInterval(() => void get().refresh(), intervalMs);
      return () => {
        watching = false;
        timers.clearInterval(poll);
      };
    },
    reset() {
      latest++;
      set({ ...initialScope, stats: null, loading: false, error: null, updatedAt: null });
      if (watching) void get().refresh(true);
    },
  }));
}

export type MonitorStore = ReturnType<typeof createMonitorStore>;
