// An own task's Lambda settings in the task's panel: its resource policy, asynchronous-invocation configurations
// with their destinations, and dead-letter target; read and changed over the contract.
import { createStore } from "zustand/vanilla";
import type { FunctionSettingsView, HearthApi, InputOf } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export interface FunctionSettingsState {
  byTask: Record<string, FunctionSettingsView>;
  error: ReadableError | null;
  busy: boolean;
  load(task: string): Promise<void>;
  addPermission(input: InputOf<"addPermission">): Promise<boolean>;
  removePermission(input: InputOf<"removePermission">): Promise<boolean>;
  putEventInvokeConfig(input: InputOf<"putEventInvokeConfig">): Promise<boolean>;
  deleteEventInvokeConfig(input: InputOf<"deleteEventInvokeConfig">): Promise<boolean>;
  setDeadLetter(input: InputOf<"setDeadLetter">): Promise<boolean>;
  putFunctionUrl(input: InputOf<"putFunctionUrl">): Promise<boolean>;
  deleteFunctionUrl(input: InputOf<"deleteFunctionUrl">): Promise<boolean>;
}

export function createFunctionSettingsStore(api: Pick<HearthApi, "call">) {
  return createStore<FunctionSettingsState>()((set, get) => {
    /** Runs a change; the answer is the task's settings as they now are. */
    const change = async (task: string, run: () => Promise<FunctionSettingsView>): Promise<boolean> => {
      set({ busy: true });
      try {
        const view = await run();
        set({ byTask: { ...get().byTask, [task]: view }, error: null, busy: false });
        return true;
      } catch (err) {
        set({ error: readableError(err), busy: false });
        return false;
      }
    };
    return {
      byTask: {},
      error: null,
      busy: false,
      async load(task) {
        try {
          const view = await api.call("getFunctionSettings", { task });
          set({ byTask: { ...get().byTask, [task]: view }, error: null });
        } catch (err) {
          set({ error: readableError(err) });
        }
      },
      addPermission: (input) => change(input.task, () => api.call("addPermission", input)),
      removePermission: (input) => change(input.task, () => api.call("removePermission", input)),
      putEventInvokeConfig: (input) => change(input.task, () => api.call("putEventInvokeConfig", input)),
      deleteEventInvokeConfig: (input) =>
        change(input.task, () => api.call("deleteEventInvokeConfig", input)),
      setDeadLetter: (input) => change(input.task, () => api.call("setDeadLetter", input)),
      putFunctionUrl: (input) => change(input.task, () => api.call("putFunctionUrl", input)),
      deleteFunctionUrl: (input) => change(input.task, () => api.call("deleteFunctionUrl", input)),
    };
  });
}

export type FunctionSettingsStore = ReturnType<typeof createFunctionSettingsStore>;
