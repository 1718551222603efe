// How the window reaches its host: the Electron preload's `window.hearth` (IPC) when present, else HTTP in browser mode.
import type { HearthApi, HearthDesktopApi, ShareLink } from "../main/contract.ts";
import { HearthClient } from "../main/client/http-client.ts";

declare global {
  interface Window {
    /** Exposed by the Electron preload (main/app/preload.ts); absent in a browser. */
    hearth?: HearthDesktopApi;
  }
}

export interface RouteRequest {
  method: string;
  /** Path on the local port, `/apis/<name>/…`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RouteResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

export interface Transport {
  kind: "electron" | "browser";
  /** Every call acts as the profile last given to setProfile. */
  api: HearthApi;
  setProfile(profileId: string | null): void;
  /** Calls that span every profile (the whole pool); absent where the transport has no such power. */
  ownerWide?: Pick<HearthApi, "call" | "poolEvents">;
  /** Where the local port answers, for commands a user pastes into a terminal. */
  baseUrl: string;
  /** hearth://share links the desktop app is opened with (absent in a browser); returns the unsubscribe. */
  onShareLink?(onLink: (link: ShareLink) => void): () => void;
  /** Sends a request to an API route on the local port (absent where the window cannot reach the port). */
  tryRoute?(r: RouteRequest): Promise<RouteResponse>;
}

/** HearthApi over fetch: the same calls, streams turned into callbacks; `profile` picks the client to call with. */
export function httpApi(client: (profile?: string) => HearthClient): HearthApi {
  return {
    call: (name, input, profile) => client(profile).call(name, input),
    async invokeStream(input, onEvent, profile) {
      for await (const e of client(profile).invokeStream(input)) onEvent(e);
    },
    liveLogs(query, onRecord, profile) {
      const abort = new AbortController();
      void (async () => {
        try {
          for await (const r of client(profile).liveLogs(query, abort.signal)) onRecord(r);
        } catch {
          // A tail that fails ends quietly: the log view shows what it has.
        }
      })();
      return () => abort.abort();
    },
    poolEvents(onChange, profile, onError) {
      const abort = new AbortController();
      void (async () => {
        try {
          for await (const vm of client(profile).poolEvents(abort.signal)) onChange(vm);
          if (!abort.signal.aborted)
            onError?.({ code: "STREAM_ENDED", message: "the pool's event stream ended" });
        } catch (err) {
          if (abort.signal.aborted) return;
          const e = err as { code?: string; message?: string };
          onError?.({ code: e.code ?? "STREAM_FAILED", message: e.message ?? String(err) });
        }
      })();
      return () => abort.abort();
    },
  };
}

/** Browser mode: the owner key (from the page's fragment) acting as the chosen profile. */
export function httpTransport(baseUrl: string, ownerKey: string): Transport {
  const clientFor = (profile: string | null | undefined) =>
    new HearthClient(baseUrl, { kind: "owner", key: ownerKey, ...(profile ? { profile } : {}) });
  const ownerClient = clientFor(null);
  let acting = ownerClient;
  return {
    kind: "browser",
    api: httpApi((profile) => (profile ? clientFor(profile) : acting)),
    setProfile(profileId) {
      acting = profileId ? clientFor(profileId) : ownerClient;
    },
    ownerWide: httpApi(() => ownerClient),
    baseUrl,
    async tryRoute(r) {
      const started = performance.now();
      const res = await fetch(`${baseUrl.replace(/\/$/, "")}${r.path}`, {
        method: r.method,
        headers: r.headers,
        ...(r.body !== undefined && r.method !== "GET" && r.method !== "HEAD" ? { body: r.body } : {}),
      });
      const body = await res.text();
      return {
        status: res.status,
        headers: Object.fromEntries(res.headers.entries()),
        body,
        ms: performance.now() - started,
      };
    },
  };
}

/**
 * The Electron window's transport: the preload takes the acting profile with every call (as the HTTP header does),
 * so the window adds it here; without one, calls are owner-wide (every profile's pool).
 */
export function ipcTransport(hearth: HearthApi): Transport {
  let acting: string | undefined;
  return {
    kind: "electron",
    api: {
      call: (name, input, profile) => hearth.call(name, input, profile ?? acting),
      invokeStream: (input, onEvent, profile) => hearth.invokeStream(input, onEvent, profile ?? acting),
      liveLogs: (query, onRecord, profile) => hearth.liveLogs(query, onRecord, profile ?? acting),
      poolEvents: (onChange, profile, onError) => hearth.poolEvents(onChange, profile ?? acting, onError),
    },
    setProfile(profileId) {
      acting = profileId ?? undefined;
    },
    ownerWide: {
      call: (name, input) => hearth.call(name, input),
      poolEvents: (onChange, _profile, onError) => hearth.poolEvents(onChange, undefined, onError),
    },
    // The desktop app serves the same port as `hearth serve` for other tools.
    baseUrl: "http://127.0.0.1:7878",
    ...("onShareLink" in hearth
      ? {
          onShareLink: (onLink: (link: ShareLink) => void) =>
            (hearth as HearthDesktopApi).onShareLink(onLink),
        }
      : {}),
  };
}
