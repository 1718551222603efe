// Tokens for the acting profile's aliases: minted (the secret shown once, then dropped), listed by hint, revoked.
import { createStore } from "zustand/vanilla";
import type { HearthApi, TokenView } from "../../main/contract.ts";
import type { ReadableError } from "../logic/errors.ts";
import { attempt, emptyCollection, collectionLoader, type Collection } from "./collection.ts";

export interface MintedToken {
  token: TokenView;
  secret: string;
  aliasId: string;
}

export interface TokensState extends Collection<TokenView> {
  /** The token just minted, until the user dismisses it: the host never shows it again. */
  minted: MintedToken | null;
  load(): Promise<void>;
  mint(input: {
    aliasId: string;
    label: string;
    expiresInS: number | null;
    rateLimitPerMinute?: number | null;
  }): Promise<ReadableError | null>;
  revoke(tokenId: string): Promise<ReadableError | null>;
  dismissMinted(): void;
  reset(): void;
}

export function tokenState(t: TokenView, now: number): "active" | "revoked" | "expired" {
  if (t.revokedAt !== null) return "revoked";
  if (t.expiresAt !== null && Date.parse(t.expiresAt) <= now) return "expired";
  return "active";
}

export function createTokensStore(api: Pick<HearthApi, "call">) {
  return createStore<TokensState>()((set) => {
    const load = collectionLoader<TokenView>(set);
    return {
      ...emptyCollection<TokenView>(),
      minted: null,
      load: () => load(() => api.call("listTokens", {})),
      async mint(input) {
        if (!input.aliasId)
          return {
            code: "INVALID_INPUT",
            message: "choose the alias the token may invoke",
            field: "aliasId",
          };
        const r = await attempt(() =>
          api.call("mintToken", {
            aliasId: input.aliasId,
            ...(input.label.trim() ? { label: input.label.trim() } : {}),
            ...(input.expiresInS !== null ? { expiresInS: input.expiresInS } : {}),
            ...(input.rateLimitPerMinute != null ? { rateLimitPerMinute: input.rateLimitPerMinute } : {}),
          }),
        );
        if (!r.ok) return r.error;
        set((s) => ({
          items: [...s.items, r.value.token],
          minted: { token: r.value.token, secret: r.value.secret, aliasId: input.aliasId },
        }));
        // A list asked for before the mint may still be on its way: a newer one supersedes it.
        void load(() => api.call("listTokens", {}));
        return null;
      },
      async revoke(tokenId) {
        const r = await attempt(() => api.call("revokeToken", { tokenId }));
        if (!r.ok) return r.error;
        set((s) => ({
          items: s.items.map((t) => (t.id === tokenId ? r.value : t)),
          minted: s.minted?.token.id === tokenId ? null : s.minted,
        }));
        void load(() => api.call("listTokens", {}));
        return null;
      },
      dismissMinted: () => set({ minted: null }),
      reset: () => set({ ...emptyCollection<TokenView>(), minted: null }),
    };
  });
}

export type TokensStore = ReturnType<typeof createTokensStore>;
