// Browser mode's credentials: the owner key arrives in the URL fragment once, then lives in sessionStorage only.

export const OWNER_KEY_STORAGE = "hearth.ownerKey";
export const OWNER_KEY_PATTERN = /^hok_[A-Za-z0-9_-]{43}$/;

interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * Moves `#key=hok_…` from the address into session storage and strips it from the address bar (and so from
 * history and bookmarks); answers with the key the window should use, if any.
 */
export function takeOwnerKey(
  location: { hash: string; pathname: string; search: string },
  history: { replaceState(data: unknown, unused: string, url?: string): void },
  storage: KeyStorage,
): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromUrl = params.get("key");
  if (fromUrl !== null) {
    params.delete("key");
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
    if (OWNER_KEY_PATTERN.test(fromUrl.trim())) {
      storage.setItem(OWNER_KEY_STORAGE, fromUrl.trim());
      return fromUrl.trim();
    }
  }
  const kept = storage.getItem(OWNER_KEY_STORAGE);
  return kept !== null && OWNER_KEY_PATTERN.test(kept) ? kept : null;
}

export function rememberOwnerKey(storage: KeyStorage, key: string): boolean {
  const k = key.trim();
  if (!OWNER_KEY_PATTERN.test(k)) return false;
  storage.setItem(OWNER_KEY_STORAGE, k);
  return true;
}

export function forgetOwnerKey(storage: KeyStorage): void {
  storage.removeItem(OWNER_KEY_STORAGE);
}
