// Grants the acting profile gave (its tasks, to other profiles) and received.
import { createStore } from "zustand/vanilla";
import type { GrantView, HearthApi } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, emptyCollection, collectionLoader, type Collection } from "./collection.ts";

export interface GrantInput {
  task: string;
  /** The other profile's name or account id. */
  grantee: string;
  maxMemoryMb: number | null;
  maxTimeoutS: number | null;
  /** Variable names the grantee may set; null: the names the task declares. */
  allowedEnvironment: string[] | null;
  /** Whether the grantee may run the task in its own VMs (and with the owner's environment). */
  callerPlacement?: "none" | "code" | "code-and-environment";
}

export interface GrantsState extends Collection<GrantView> {
  load(): Promise<void>;
  create(input: GrantInput): Promise<ReadableError | null>;
  revoke(grantId: string): Promise<ReadableError | null>;
  reset(): void;
}

export function createGrantsStore(api: Pick<HearthApi, "call">) {
  return createStore<GrantsState>()((set) => {
    const load = collectionLoader<GrantView>(set);
    return {
      ...emptyCollection<GrantView>(),
      load: () => load(() => api.call("listGrants", {})),
      async create(input) {
        if (input.grantee.trim() === "")
          return { code: "INVALID_INPUT", message: "choose who to share with", field: "grantee" };
        const r = await attempt(() => api.call("createGrant", { ...input, grantee: input.grantee.trim() }));
        if (!r.ok) return r.error;
        set((s) => ({ items: [...s.items.filter((g) => g.id !== r.value.id), r.value] }));
        return null;
      },
      async revoke(grantId) {
        const r = await attempt(() => api.call("revokeGrant", { grantId }));
        if (!r.ok) return r.error;
        set((s) => ({ items: s.items.filter((g) => g.id !== grantId) }));
        return null;
      },
      reset: () => set(emptyCollection<GrantView>()),
    };
  });
}

export type GrantsStore = ReturnType<typeof createGrantsStore>;
