// The saved test events of the task the Invoke view has chosen: loaded when the task changes, picked into the
// payload editor, saved, renamed and deleted there.
import { createStore } from "zustand/vanilla";
import { TEST_EVENT_NAME_PATTERN, type HearthApi, type TestEventView } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, collectionLoader, emptyCollection, type Collection } from "./collection.ts";

/** Which task: its name, and its owner's account when another profile shared it. */
export interface TestEventTask {
  task: string;
  ownerAccountId?: string;
}

export interface TestEventsState extends Collection<TestEventView> {
  /** The task the events are of; null when none (or a remote alias) is chosen. */
  of: TestEventTask | null;
  /** The saved event last picked or saved, whose name Save writes to. */
  selected: string | null;
  /** Shows `task`'s events, loading them when it is another task than the one shown. */
  show(task: TestEventTask | null): Promise<void>;
  select(name: string | null): void;
  /** Saves under `name`, replacing what is saved there; `asNew` refuses a name already taken instead. */
  save(name: string, payload: string, asNew?: boolean): Promise<ReadableError | null>;
  rename(name: string, newName: string): Promise<ReadableError | null>;
  remove(name: string): Promise<ReadableError | null>;
  reset(): void;
}

/** What the window can tell before asking the host: a name the host would refuse, or one already taken. */
export function checkEventName(name: string, taken: readonly string[], field = "name"): ReadableError | null {
  if (!TEST_EVENT_NAME_PATTERN.test(name)) {
    return {
      code: "INVALID_INPUT",
      message: `${field} must be 1 to 64 characters: letters, digits, ., - or _ (not starting with .)`,
      field,
    };
  }
  if (taken.includes(name)) {
    return {
      code: "EVENT_EXISTS",
      message: `an event "${name}" is already saved for this task: choose it and Save to replace it`,
      field,
    };
  }
  return null;
}

const sameTask = (a: TestEventTask | null, b: TestEventTask | null): boolean =>
  a?.task === b?.task && a?.ownerAccountId === b?.ownerAccountId;

const refOf = (t: TestEventTask) =>
  t.ownerAccountId ? { task: t.task, ownerAccountId: t.ownerAccountId } : { task: t.task };

export function createTestEventsStore(api: Pick<HearthApi, "call">) {
  return createStore<TestEventsState>()((set, get) => {
    const load = collectionLoader<TestEventView>(set);
    const reload = (t: TestEventTask) => load(() => api.call("listTestEvents", refOf(t)));
    /** Runs a change on the shown task's events, then shows them as the host now has them. */
    const change = async (run: (t: TestEventTask) => Promise<unknown>, selected?: string | null) => {
      const t = get().of;
      if (!t) return { code: "INVALID_INPUT", message: "choose a task first", field: "task" };
      const r = await attempt(() => run(t));
      if (!r.ok) return r.error;
      if (selected !== undefined) set({ selected });
      if (sameTask(get().of, t)) await reload(t);
      return null;
    };
    return {
      ...emptyCollection<TestEventView>(),
      of: null,
      selected: null,
      async show(task) {
        if (sameTask(get().of, task) && (get().loaded || get().loading)) return;
        load.invalidate();
        set({ ...emptyCollection<TestEventView>(), of: task, selected: null });
        if (task) await reload(task);
      },
      select(name) {
        set({ selected: name });
      },
      async save(name, payload, asNew = false) {
        const names = asNew ? get().items.map((e) => e.name) : [];
        const refused = checkEventName(name, names);
        if (refused) return refused;
        return change((t) => api.call("saveTestEvent", { ...refOf(t), event: name, payload }), name);
      },
      async rename(name, newName) {
        if (newName === name) return null;
        const refused = checkEventName(
          newName,
          get().items.map((e) => e.name),
          "newName",
        );
        if (refused) return refused;
        return change((t) => api.call("renameTestEvent", { ...refOf(t), event: name, newName }), newName);
      },
      remove: (name) =>
        change(
          (t) => api.call("deleteTestEvent", { ...refOf(t), event: name }),
          get().selected === name ? null : get().selected,
        ),
      reset() {
        load.invalidate();
        set({ ...emptyCollection<TestEventView>(), of: null, selected: null });
      },
    };
  });
}
