// Aliases the acting profile holds: on its own tasks (with a weighted split) and on tasks shared with it.
import { createStore } from "zustand/vanilla";
import type { AliasView, HearthApi } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { splitOf, splitProblem, type SplitInput, type VersionRef } from "../logic/routing.ts";
import { attempt, emptyCollection, collectionLoader, type Collection } from "./collection.ts";

export interface SameProfileAliasInput {
  task: string;
  name: string;
  description?: string;
  version: VersionRef;
  /** Traffic sent to `additionalVersion`, in percent (1..99). */
  split?: SplitInput | null;
}

export interface SharedAliasInput {
  ownerAccountId: string;
  task: string;
  name: string;
  version: VersionRef;
  environment: Record<string, string>;
  /** Sent once and never kept: the store holds only the names the host answers with. */
  secrets: Record<string, string>;
  memoryMb: number | null;
  timeoutS: number | null;
  runsIn: "owner" | "caller";
}

export interface CustomizationPatch {
  environment?: Record<string, string>;
  /** A value sets the secret, null removes it; secrets left out stay as they are. */
  secrets?: Record<string, string | null>;
  memoryMb?: number | null;
  timeoutS?: number | null;
  runsIn?: "owner" | "caller";
}

export interface AliasesState extends Collection<AliasView> {
  load(): Promise<void>;
  createOwn(input: SameProfileAliasInput): Promise<ReadableError | null>;
  createShared(input: SharedAliasInput): Promise<ReadableError | null>;
  route(aliasId: string, version: VersionRef, split: SplitInput | null): Promise<ReadableError | null>;
  customize(aliasId: string, patch: CustomizationPatch): Promise<ReadableError | null>;
  remove(aliasId: string): Promise<ReadableError | null>;
  reset(): void;
}

export function createAliasesStore(api: Pick<HearthApi, "call">) {
  return createStore<AliasesState>()((set) => {
    const load = collectionLoader<AliasView>(set);
    const upsert = (view: AliasView): void =>
      set((s) => ({ items: [...s.items.filter((a) => a.id !== view.id), view] }));
    const done = (
      r: { ok: true; value: AliasView } | { ok: false; error: ReadableError },
    ): ReadableError | null => {
      if (!r.ok) return r.error;
      upsert(r.value);
      return null;
    };
    return {
      ...emptyCollection<AliasView>(),
      load: () => load(() => api.call("listAliases", {})),
      async createOwn(input) {
        const problem = splitProblem(input.version, input.split);
        if (problem) return { code: "INVALID_INPUT", message: problem, field: "split" };
        return done(
          await attempt(() =>
            api.call("createAlias", {
              task: input.task,
              name: input.name,
              ...(input.description ? { description: input.description } : {}),
              version: input.version,
              split: splitOf(input.split),
            }),
          ),
        );
      },
      async createShared(input) {
        return done(await attempt(() => api.call("createSharedAlias", { ...input })));
      },
      async route(aliasId, version, split) {
        const problem = splitProblem(version, split);
        if (problem) return { code: "INVALID_INPUT", message: problem, field: "split" };
        return done(
          await attempt(() => api.call("updateAlias", { aliasId, version, split: splitOf(split) })),
        );
      },
      async customize(aliasId, patch) {
        return done(await attempt(() => api.call("customizeAlias", { aliasId, ...patch })));
      },
      async remove(aliasId) {
        const r = await attempt(() => api.call("deleteAlias", { aliasId }));
        if (!r.ok) return r.error;
        set((s) => ({ items: s.items.filter((a) => a.id !== aliasId) }));
        return null;
      },
      reset: () => set(emptyCollection<AliasView>()),
    };
  });
}

export type AliasesStore = ReturnType<typeof createAliasesStore>;
