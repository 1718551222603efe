// The pool as the window shows it: VMs with their state and sandboxes, followed live through the pool's event
// stream while someone looks, and refreshed on a timer when the stream is unavailable.
import { createStore } from "zustand/vanilla";
import type { HearthApi, PoolStatus, PoolWarmth, VmView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export const POOL_REFRESH_MS = 3000;
/** While the stream is live, a slow refresh still brings invocation counts and figures up to date. */
export const POOL_LIVE_REFRESH_MS = 10_000;
/** Events come in bursts (a VM boots: booting, ready): one full refresh per burst. */
export const POOL_EVENT_SETTLE_MS = 300;

type PoolApi = Pick<HearthApi, "call" | "poolEvents">;

export interface PoolState {
  status: PoolStatus | null;
  /** Show every profile's VMs (needs the owner's transport) instead of the acting profile's. */
  allProfiles: boolean;
  /** How the view keeps up while watched: "live" on the event stream, "polling" when the stream failed. */
  mode: "live" | "polling" | null;
  error: ReadableError | null;
  updatedAt: number | null;
  refresh(): Promise<void>;
  setAllProfiles(all: boolean): void;
  /**
   * Refreshes now and follows the pool's events until the returned function is called; if the stream fails,
   * refreshes every `intervalMs` instead.
   */
  watch(intervalMs?: number): () => void;
  /** Applies one changed VM from the stream: replaced, added, or dropped once gone. */
  applyChange(vm: VmView): void;
  reset(): void;
}

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Recounts a profile's ready, booting and busy VMs after a change; the target only grows until the next refresh. */
function recount(warming: PoolWarmth[], vms: VmView[], profile: string): PoolWarmth[] {
  return warming.map((w) => {
    if (w.profile !== profile) return w;
    const n = (state: string) => vms.filter((v) => v.profile === profile && v.state === state).length;
    const ready = n("ready");
    const booting = n("booting");
    const busy = n("busy");
    // A VM of the profile came up: whatever failed before no longer keeps it from running.
    const { failing, ...rest } = w;
    return {
      ...rest,
      ...(failing !== undefined && ready + busy === 0 ? { failing } : {}),
      ready,
      booting,
      busy,
      target: Math.max(w.target, ready + booting),
    };
  });
}

export function createPoolStore(
  api: PoolApi,
  ownerWide: PoolApi | undefined,
  timers: Timers = realTimers,
  now: () => number = () => Date.now(),
) {
  let inFlight: Promise<void> | null = null;
  /** Restarts the current watch on another source (every profile, or back); null when nobody watches. */
  let rewatch: (() => void) | null = null;
  return createStore<PoolState>()((set, get) => ({
    status: null,
    allProfiles: false,
    mode: null,
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
      if (rewatch) rewatch();
      else void get().refresh();
    },
    watch(intervalMs = POOL_REFRESH_MS) {
      let stopStream: (() => void) | null = null;
      let poll: unknown = null;
      let settle: unknown = null;
      let stopped = false;
      const pollEvery = (ms: number) => {
        if (poll !== null) timers.clearInterval(poll);
        poll = timers.setInterval(() => void get().refresh(), ms);
      };
      const start = () => {
        const via = get().allProfiles && ownerWide ? ownerWide : api;
        void get().refresh();
        set({ mode: "live" });
        pollEvery(POOL_LIVE_REFRESH_MS);
        let failed = false;
        stopStream = via.poolEvents(
          (vm) => {
            get().applyChange(vm);
            if (settle === null) {
              settle = timers.setTimeout(() => {
                settle = null;
                void get().refresh();
              }, POOL_EVENT_SETTLE_MS);
            }
          },
          undefined,
          () => {
            if (stopped || failed) return;
            failed = true;
            set({ mode: "polling" });
            pollEvery(intervalMs);
          },
        );
      };
      const stop = () => {
        stopStream?.();
        stopStream = null;
        if (poll !== null) timers.clearInterval(poll);
        if (settle !== null) timers.clearTimeout(settle);
        poll = settle = null;
      };
      start();
      const again = () => {
        stop();
        start();
      };
      rewatch = again;
      return () => {
        stopped = true;
        stop();
        if (rewatch === again) rewatch = null;
        set({ mode: null });
      };
    },
    applyChange(vm) {
      const status = get().status;
      if (!status) return;
      const gone = vm.state === "gone";
      const known = status.vms.some((v) => v.id === vm.id);
      let vms: VmView[];
      if (known)
        vms = gone
          ? status.vms.filter((v) => v.id !== vm.id)
          : status.vms.map((v) => (v.id === vm.id ? vm : v));
      else vms = gone ? status.vms : [...status.vms, vm];
      set({
        status: { ...status, vms, warming: recount(status.warming ?? [], vms, vm.profile) },
        updatedAt: now(),
      });
    },
    reset: () => set({ status: null, error: null, updatedAt: null }),
  }));
}

export type PoolStore = ReturnType<typeof createPoolStore>;
