// The pool over time as the Pool view charts it: every VM's memory, CPU, sandboxes and calls over a range, and VM
// starts, re-read every few seconds while the view is shown.
import { createStore } from "zustand/vanilla";
import type { HearthApi, PoolHistoryView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import type { Range } from "../logic/metrics-scope.ts";
import { realTimers, type Timers } from "./timers.ts";

export const POOL_HISTORY_REFRESH_MS = 10_000;

type HistoryApi = Pick<HearthApi, "call">;

export interface PoolHistoryState {
  range: Range;
  /** The VM the charts show; null: every VM, added up. */
  vm: string | null;
  /** Every profile's VMs (the owner's view), else the acting profile's. */
  allProfiles: boolean;
  history: PoolHistoryView | null;
  error: ReadableError | null;
  updatedAt: number | null;
  choose(patch: Partial<Pick<PoolHistoryState, "range" | "vm" | "allProfiles">>): void;
  refresh(): Promise<void>;
  watch(intervalMs?: number): () => void;
  reset(): void;
}

export function createPoolHistoryStore(
  api: HistoryApi,
  ownerWide: HistoryApi | undefined,
  timers: Timers = realTimers,
  now: () => number = Date.now,
) {
  let latest = 0;
  let watching = false;
  return createStore<PoolHistoryState>()((set, get) => ({
    range: "1h",
    vm: null,
    allProfiles: false,
    history: null,
    error: null,
    updatedAt: null,
    choose(patch) {
      latest++;
      const keep = patch.range === undefined && patch.allProfiles === undefined;
      set({ ...patch, ...(keep ? {} : { history: null, updatedAt: null }), error: null });
      if (watching) void get().refresh();
    },
    async refresh() {
      const seq = ++latest;
      const { range, allProfiles } = get();
      const via = allProfiles && ownerWide ? ownerWide : api;
      try {
        const history = await via.call("poolHistory", { since: range });
        if (seq === latest) set({ history, error: null, updatedAt: now() });
      } catch (err) {
        if (seq === latest) set({ error: readableError(err) });
      }
    },
    watch(intervalMs = POOL_HISTORY_REFRESH_MS) {
      watching = true;
      void get().refresh();
      const poll = timers.setInterval(() => void get().refresh(), intervalMs);
      return () => {
        watching = false;
        timers.clearInterval(poll);
      };
    },
    reset() {
      latest++;
      set({ vm: null, history: null, error: null, updatedAt: null });
    },
  }));
}

export type PoolHistoryStore = ReturnType<typeof createPoolHistoryStore>;
