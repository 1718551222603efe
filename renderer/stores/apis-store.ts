// The acting profile's APIs: routes bound to its tasks and aliases, API tokens for trying them, and the last try.
import { createStore } from "zustand/vanilla";
import type { ApiAuthorizerView, ApiView, HearthApi } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import type { RouteRequest, RouteResponse } from "../transport.ts";
import { attempt, emptyCollection, collectionLoader, type Collection } from "./collection.ts";

export interface RouteTarget {
  task: string;
  qualifier?: string;
  ownerAccountId?: string;
}

export interface ApiInput {
  name: string;
  description?: string;
  access: "public" | "token";
  routes: { routeKey: string; target: RouteTarget }[];
}

/** A route as updateApi takes it back: its authorizer by id (or, for one made in the same call, by name). */
export type RouteInput = ApiView["routes"][number];

/** What updateApi changes; a list given replaces the API's whole list. */
export interface ApiChange {
  routes?: RouteInput[];
  authorizers?: (Omit<ApiAuthorizerView, "id"> & { id?: string })[];
}

export interface ApisState extends Collection<ApiView> {
  /** API tokens minted in this window, kept in memory only so the user can try token-protected routes. */
  tokens: Record<string, string>;
  trying: boolean;
  tried: (RouteResponse & { request: RouteRequest }) | null;
  tryError: ReadableError | null;
  load(): Promise<void>;
  create(input: ApiInput): Promise<ReadableError | null>;
  /** Replaces the API's routes or authorizers (or both), as the host checks them. */
  update(apiId: string, change: ApiChange): Promise<ReadableError | null>;
  remove(apiId: string): Promise<ReadableError | null>;
  mintToken(apiId: string): Promise<ReadableError | null>;
  tryRoute(request: RouteRequest, apiId: string): Promise<void>;
  reset(): void;
}

export function createApisStore(
  api: Pick<HearthApi, "call">,
  send: ((r: RouteRequest) => Promise<RouteResponse>) | undefined,
) {
  const empty = () => ({
    ...emptyCollection<ApiView>(),
    tokens: {},
    trying: false,
    tried: null,
    tryError: null,
  });
  return createStore<ApisState>()((set, get) => {
    const load = collectionLoader<ApiView>(set);
    return {
      ...empty(),
      load: () => load(() => api.call("listApis", {})),
      async create(input) {
        if (input.routes.length === 0)
          return { code: "INVALID_INPUT", message: "add at least one route", field: "routes" };
        const r = await attempt(() => api.call("createApi", { ...input }));
        if (!r.ok) return r.error;
        set((s) => ({ items: [...s.items, r.value] }));
        return null;
      },
      async update(apiId, change) {
        const r = await attempt(() => api.call("updateApi", { apiId, ...change }));
        if (!r.ok) return r.error;
        set((s) => ({ items: s.items.map((a) => (a.id === apiId ? r.value : a)) }));
        return null;
      },
      async remove(apiId) {
        const r = await attempt(() => api.call("deleteApi", { apiId }));
        if (!r.ok) return r.error;
        set((s) => ({ items: s.items.filter((a) => a.id !== apiId) }));
        return null;
      },
      async mintToken(apiId) {
        const r = await attempt(() => api.call("mintApiToken", { apiId, label: "tried from the window" }));
        if (!r.ok) return r.error;
        set((s) => ({ tokens: { ...s.tokens, [apiId]: r.value.secret } }));
        return null;
      },
      async tryRoute(request, apiId) {
        if (!send) {
          set({
            tryError: {
              code: "UNSUPPORTED",
              message: "this window cannot reach the local port; use the curl line",
            },
          });
          return;
        }
        const token = get().tokens[apiId];
        const req = token
          ? { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
          : request;
        set({ trying: true, tryError: null });
        const r = await attempt(() => send(req));
        set(
          r.ok
            ? { trying: false, tried: { ...r.value, request }, tryError: null }
            : { trying: false, tried: null, tryError: r.error },
        );
      },
      reset: () => set(empty()),
    };
  });
}

export type ApisStore = ReturnType<typeof createApisStore>;
