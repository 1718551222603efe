// Whether the host is ready, and what it is doing until then (building the guest image, checking the machine,
// starting the VM pool): polled, because during the start the port changes hands and a stream would break.
import { createStore } from "zustand/vanilla";
import type { HearthApi, StartupStatus } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import type { Timers } from "./pool-store.ts";

export const STARTUP_POLL_MS = 500;

export interface StartupState {
  status: StartupStatus | null;
  /** The last poll failed (the port is changing hands, or Hearth stopped); polling goes on. */
  unreachable: ReadableError | null;
  ready: boolean;
  /** Polls until the host is ready or has failed; returns a stop function. */
  watch(): () => void;
  poll(): Promise<void>;
}

export function createStartupStore(
  api: Pick<HearthApi, "call">,
  timers: Pick<Timers, "setTimeout" | "clearTimeout"> = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  },
  pollMs = STARTUP_POLL_MS,
) {
  return createStore<StartupState>()((set, get) => ({
    status: null,
    unreachable: null,
    ready: false,
    async poll() {
      try {
        const status = await api.call("startup", {});
        set({ status, unreachable: null, ready: status.phase === "ready" });
      } catch (err) {
        set({ unreachable: readableError(err) });
      }
    },
    watch() {
      let stopped = false;
      let handle: unknown = null;
      const loop = async (): Promise<void> => {
        await get().poll();
        if (stopped) return;
        const s = get();
        // A failed start stays on screen; a ready one hands over to the app.
        if (s.ready || s.status?.phase === "failed") return;
        handle = timers.setTimeout(() => void loop(), pollMs);
      };
      void loop();
      return () => {
        stopped = true;
        if (handle !== null) timers.clearTimeout(handle);
      };
    },
  }));
}

export type StartupStore = ReturnType<typeof createStartupStore>;
