// The share dialog: which alias is being shared, the owner's choices, and the answer (link, curl and aws lines),
// shown once and dropped when the dialog closes: the host never shows the token again.
import { createStore } from "zustand/vanilla";
import type { ApiShareAnswer, HearthApi, ShareAnswer } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";

export interface ShareChoices {
  /** The name the teammate calls it by; empty: the task's name. */
  name: string;
  label: string;
  expiresInS: number | null;
  /** Calls per minute, or null for no limit. */
  rateLimitPerMinute: number | null;
}

export interface ShareState {
  /** The alias the dialog is open for; null while closed or open for an API. */
  aliasId: string | null;
  /** The token API the dialog is open for; null while closed or open for an alias. */
  apiId: string | null;
  busy: boolean;
  error: ReadableError | null;
  answer: ShareAnswer | null;
  apiAnswer: ApiShareAnswer | null;
  open(aliasId: string): void;
  openApi(apiId: string): void;
  close(): void;
  share(choices: ShareChoices): Promise<ShareAnswer | ApiShareAnswer | null>;
}

/** Reads the rate-limit box: empty is no limit; anything else must be a whole number of calls from 1 to 10000. */
export function parseRateLimitText(text: string): { value: number | null } | { error: ReadableError } {
  const t = text.trim();
  if (t === "") return { value: null };
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 10_000) {
    return {
      error: {
        code: "INVALID_INPUT",
        message: "the rate limit is a whole number of calls per minute, from 1 to 10000 (empty: no limit)",
        field: "rateLimitPerMinute",
      },
    };
  }
  return { value: n };
}

export function createShareStore(api: Pick<HearthApi, "call">, onShared: () => void = () => undefined) {
  /** Bumped on open and close: an answer for a dialog the user closed is dropped. */
  let generation = 0;
  const closed = { aliasId: null, apiId: null, busy: false, error: null, answer: null, apiAnswer: null };
  return createStore<ShareState>()((set, get) => ({
    ...closed,
    open(aliasId) {
      generation++;
      set({ ...closed, aliasId });
    },
    openApi(apiId) {
      generation++;
      set({ ...closed, apiId });
    },
    close() {
      generation++;
      set(closed);
    },
    async share(c) {
      const { aliasId, apiId, busy } = get();
      if ((aliasId === null && apiId === null) || busy) return null;
      const mine = generation;
      set({ busy: true, error: null });
      const terms = {
        ...(c.label.trim() ? { label: c.label.trim() } : {}),
        ...(c.expiresInS !== null ? { expiresInS: c.expiresInS } : {}),
        ...(c.rateLimitPerMinute !== null ? { rateLimitPerMinute: c.rateLimitPerMinute } : {}),
      };
      try {
        if (apiId !== null) {
          const apiAnswer = await api.call("shareApi", { apiId, ...terms });
          if (mine !== generation) return null;
          set({ busy: false, apiAnswer });
          onShared();
          return apiAnswer;
        }
        const answer = await api.call("shareAlias", {
          aliasId,
          ...(c.name.trim() ? { name: c.name.trim() } : {}),
          ...terms,
        });
        if (mine !== generation) return null;
        set({ busy: false, answer });
        onShared();
        return answer;
      } catch (err) {
        if (mine === generation) set({ busy: false, error: readableError(err) });
        return null;
      }
    },
  }));
}

export type ShareStore = ReturnType<typeof createShareStore>;
