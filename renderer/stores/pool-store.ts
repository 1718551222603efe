// The pool as the window shows it: VMs with their state, refreshed every few seconds while someone looks.
import { createStore } from "zustand/vanilla";
import type { HearthApi, PoolStatus } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export const POOL_REFRESH_MS = 3000;

export interface PoolState {
  status: PoolStatus | null;
  /** Show every profile's VMs (needs the owner's transport) instead of the acting profile's. */
  allProfiles: boolean;
  error: ReadableError | null;
  updatedAt: number | null;
  refresh(): Promise<void>;
  setAllProfiles(all: boolean): void;
  /** Refreshes now and every `intervalMs` until the returned function is called. */
  watch(intervalMs?: number): () => void;
  reset(): void;
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export function createPoolStore(
  api: Pick<HearthApi, "call">,
  ownerWide: Pick<HearthApi, "call"> | undefined,
  timers: Timers = realTimers,
  now: () => number = () => Date.now(),
) {
  let inFlight: Promise<void> | null = null;
  return createStore<PoolState>()((set, get) => ({
    status: null,
    allProfiles: false,
    error: null,
    updatedAt: null,
    refresh() {
      // A slow answer (the host busy booting) must not pile requests up behind it.
      if (inFlight) return inFlight;
      const via = get().allProfiles && ownerWide ? ownerWide : api;
      inFlight = (async () => {
        try {
          set({ status: await via.call("pool", {}), error: null, updatedAt: now() });
        } catch (err) {
          set({ error: readableError(err) });
        } finally {
          inFlight = null;
        }
      })();
      return inFlight;
    },
    setAllProfiles(all) {
      set({ allProfiles: all && ownerWide !== undefined });
      void get().refresh();
    },
    watch(intervalMs = POOL_REFRESH_MS) {
      void get().refresh();
      const handle = timers.setInterval(() => void get().refresh(), intervalMs);
      return () => timers.clearInterval(handle);
    },
    reset: () => set({ status: null, error: null, updatedAt: null }),
  }));
}

export type PoolStore = ReturnType<typeof createPoolStore>;
