// Aliases the acting profile holds: on its own tasks (with a weighted split) and on tasks shared with it.
import { createStore } from "zustand/vanilla";
import type { AliasView, HearthApi } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, emptyCollection, collectionLoader, type Collection } from "./collection.ts";

export type VersionRef = number | "$LATEST";

export interface SameProfileAliasInput {
  task: string;
  name: string;
  description?: string;
  version: VersionRef;
  /** Traffic sent to `additionalVersion`, in percent (1..99). */
  split?: { additionalVersion: number; percent: number } | null;
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
  route(
    aliasId: string,
    version: VersionRef,
    split: { additionalVersion: number; percent: number } | null,
  ): Promise<ReadableError | null>;
  customize(aliasId: string, patch: CustomizationPatch): Promise<ReadableError | null>;
  remove(aliasId: string): Promise<ReadableError | null>;
  reset(): void;
}

/** The host takes a split as the additional version's weight between 0 and 1, both excluded. */
export function splitOf(split: { additionalVersion: number; percent: number } | null | undefined) {
  if (!split) return null;
  return { additionalVersion: split.additionalVersion, weight: Math.round(split.percent * 100) / 10_000 };
}

export function splitProblem(
  version: VersionRef,
  split: { additionalVersion: number; percent: number } | null | undefined,
): string | null {
  if (!split) return null;
  if (version === "$LATEST") return "a split needs a published version as the main target, not $LATEST";
  if (split.additionalVersion === version) return "the second version must differ from the first";
  if (!(split.percent > 0 && split.percent < 100))
    return "the share of the second version must be between 1 and 99 %";
  return null;
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
