// The shape every listed resource shares in the window: its items, whether they loaded, the last failure.
import { readableError, type ReadableError } from "../logic/errors.ts";

export interface Collection<T> {
  items: T[];
  loaded: boolean;
  loading: boolean;
  error: ReadableError | null;
}

export function emptyCollection<T>(): Collection<T> {
  return { items: [], loaded: false, loading: false, error: null };
}

/**
 * Loads a collection, keeping the old items on screen until the new ones arrive. The latest load wins: an answer
 * for a profile the user has since switched away from is dropped, and so is one asked for before a change the
 * store applied itself (`invalidate`), which would bring back an item just removed.
 */
export function collectionLoader<T>(set: (partial: Partial<Collection<T>>) => void) {
  let latest = 0;
  const load = async (fetch: () => Promise<T[]>): Promise<void> => {
    const seq = ++latest;
    set({ loading: true });
    try {
      const items = await fetch();
      if (seq === latest) set({ items, loaded: true, loading: false, error: null });
    } catch (err) {
      if (seq === latest) set({ loading: false, error: readableError(err) });
    }
  };
  return Object.assign(load, {
    invalidate(): void {
      latest++;
      set({ loading: false });
    },
  });
}

/** Runs a call; answers with its error (to show beside the form that made it) instead of throwing. */
export async function attempt<R>(
  run: () => Promise<R>,
): Promise<{ ok: true; value: R } | { ok: false; error: ReadableError }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return { ok: false, error: readableError(err) };
  }
}
