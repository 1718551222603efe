// Remote aliases of the acting profile: teammates' shared aliases on other machines, imported from a share link
// (pasted, or handed over by the desktop app's hearth:// handler) with the host's own addRemote operation.
import { createStore } from "zustand/vanilla";
import type { HearthApi, RemoteView, ShareLink } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, collectionLoader, emptyCollection, type Collection } from "./collection.ts";

export interface RemotesState extends Collection<RemoteView> {
  /** A link the desktop app was opened with, read and checked by the main process, waiting to be added. */
  pending: ShareLink | null;
  load(): Promise<void>;
  /** A pasted link (checked by the host, the same rules as `hearth remote add`), or the parts of a pending one. */
  add(input: { link?: string; parts?: ShareLink; name?: string }): Promise<ReadableError | null>;
  remove(name: string): Promise<ReadableError | null>;
  setPending(link: ShareLink | null): void;
  reset(): void;
}

/** What the window can tell before asking the host: nothing pasted, or plainly not a share link. */
export function checkPastedLink(text: string): ReadableError | null {
  const link = text.trim();
  if (link === "")
    return {
      code: "INVALID_INPUT",
      message: "paste the hearth://share link you were sent",
      field: "link",
    };
  if (!/^hearth:\/\/share\b/i.test(link)) {
    return {
      code: "INVALID_INPUT",
      message: "not a share link: it starts with hearth://share?endpoint=…&token=…&fingerprint=sha256:…",
      field: "link",
    };
  }
  return null;
}

export function createRemotesStore(api: Pick<HearthApi, "call">) {
  return createStore<RemotesState>()((set) => {
    const load = collectionLoader<RemoteView>(set);
    return {
      ...emptyCollection<RemoteView>(),
      pending: null,
      load: () => load(() => api.call("listRemotes", {})),
      async add(input) {
        const name = input.name?.trim() ? { name: input.name.trim() } : {};
        let body: Record<string, unknown>;
        if (input.parts) {
          const { name: linkName, ...parts } = input.parts;
          body = { ...parts, ...(linkName !== undefined ? { name: linkName } : {}), ...name };
        } else {
          const problem = checkPastedLink(input.link ?? "");
          if (problem) return problem;
          body = { link: input.link!.trim(), ...name };
        }
        const r = await attempt(() => api.call("addRemote", body));
        if (!r.ok) return r.error;
        load.invalidate();
        set((s) => ({
          items: [...s.items.filter((x) => x.id !== r.value.id), r.value],
          pending: input.parts ? null : s.pending,
        }));
        return null;
      },
      async remove(name) {
        const r = await attempt(() => api.call("removeRemote", { remote: name }));
        if (!r.ok) return r.error;
        load.invalidate();
        set((s) => ({ items: s.items.filter((x) => x.id !== r.value.id) }));
        return null;
      },
      setPending: (pending) => set({ pending }),
      reset: () => set((s) => ({ ...emptyCollection<RemoteView>(), pending: s.pending })),
    };
  });
}

export type RemotesStore = ReturnType<typeof createRemotesStore>;
