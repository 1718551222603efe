// The acting profile's schedules in the Schedules view: listed (with next and last runs, missed runs), made,
// paused, resumed and removed over the contract.
import { createStore } from "zustand/vanilla";
import type { HearthApi, InputOf, ScheduleView } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export interface SchedulesState {
  items: ScheduleView[];
  loaded: boolean;
  error: ReadableError | null;
  busy: boolean;
  load(): Promise<void>;
  create(input: InputOf<"createSchedule">): Promise<boolean>;
  setEnabled(name: string, enabled: boolean): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  reset(): void;
}

export function createSchedulesStore(api: Pick<HearthApi, "call">) {
  return createStore<SchedulesState>()((set, get) => {
    const change = async (run: () => Promise<unknown>): Promise<boolean> => {
      set({ busy: true });
      try {
        await run();
        set({ busy: false, error: null });
        await get().load();
        return true;
      } catch (err) {
        set({ busy: false, error: readableError(err) });
        return false;
      }
    };
    return {
      items: [],
      loaded: false,
      error: null,
      busy: false,
      async load() {
        try {
          set({ items: await api.call("listSchedules", {}), loaded: true, error: null });
        } catch (err) {
          set({ error: readableError(err), loaded: true });
        }
      },
      create: (input) => change(() => api.call("createSchedule", input)),
      setEnabled: (name, enabled) => change(() => api.call("updateSchedule", { name, enabled })),
      remove: (name) => change(() => api.call("deleteSchedule", { name })),
      reset: () => set({ items: [], loaded: false, error: null, busy: false }),
    };
  });
}

export type SchedulesStore = ReturnType<typeof createSchedulesStore>;
