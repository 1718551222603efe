// The issuers' signing keys for JWT authorizers: a JWKS read from a URL (with a timeout), a file, or the URL the
// issuer's OpenID configuration names, kept a few minutes, and read again once when a token names a key it does not
// hold (the issuer rotated its keys).
import { readFile, stat } from "node:fs/promises";
import type { JsonWebKey } from "node:crypto";

/** Where an authorizer's keys are: one of the two, or with neither, where the issuer's OpenID configuration says. */
export interface JwksLocation {
  issuer?: string;
  jwksUri?: string;
  jwksFile?: string;
}

/** The keys could not be had (unreachable, not a JWKS): the API's configuration, not the caller's token, is at fault. */
export class JwksUnavailable extends Error {
  constructor(detail: string) {
    super(`the issuer's keys cannot be read: ${detail}`);
    this.name = "JwksUnavailable";
  }
}

export interface JwksCacheOptions {
  /** How long keys are used before they are read again (API Gateway's own cache holds them a few minutes). */
  ttlMs?: number;
  /** A JWKS URL that answers slower than this fails the request rather than holding it. */
  timeoutMs?: number;
  /** A bigger answer is not a JWKS Hearth reads. */
  maxBytes?: number;
  /** Unknown kids read the keys again at most this often per location, so a stream of forged kids cannot flood it. */
  refetchGapMs?: number;
  /** Locations remembered at most; the oldest is forgotten first. */
  maxLocations?: number;
  now?: () => number;
}

interface Entry {
  keys: Map<string, JsonWebKey>;
  /** When these keys were read. */
  readAt: number;
  /** When they were last asked for again, whether that worked or not. */
  triedAt: number;
}

function locationKey(l: JwksLocation): string {
  if (l.jwksUri !== undefined) return `uri:${l.jwksUri}`;
  if (l.jwksFile !== undefined) return `file:${l.jwksFile}`;
  return `issuer:${l.issuer ?? ""}`;
}

/** Where an issuer publishes its OpenID configuration (OpenID Connect Discovery 1.0, section 4). */
export function openIdConfigurationUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

/** The jwks_uri an OpenID configuration names: an http or https URL. */
export function jwksUriOf(text: string, from: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new JwksUnavailable(`${from} is not JSON`);
  }
  const uri = (doc as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof uri !== "string" || !/^https?:\/\//i.test(uri))
    throw new JwksUnavailable(`${from} names no http or https jwks_uri`);
  return uri;
}

/** The signing keys of a JWKS document by kid; keys for encryption (`use: "enc"`) and keys without a kid are left out. */
export function parseJwks(text: string): Map<string, JsonWebKey> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new JwksUnavailable("it is not JSON");
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksUnavailable('it has no "keys" list');
  const out = new Map<string, JsonWebKey>();
  for (const k of keys) {
    if (typeof k !== "object" || k === null || Array.isArray(k)) continue;
    const jwk = k as JsonWebKey & { kid?: unknown; use?: unknown };
    if (typeof jwk.kid !== "string" || (jwk.use !== undefined && jwk.use !== "sig")) continue;
    // Only the public half is ever used, whatever else a careless JWKS publishes.
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...pub } = jwk;
    out.set(jwk.kid, pub);
  }
  return out;
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly o: Required<JwksCacheOptions>;

  constructor(o: JwksCacheOptions = {}) {
    this.o = {
      ttlMs: 5 * 60_000,
      timeoutMs: 5_000,
      maxBytes: 1024 * 1024,
      refetchGapMs: 10_000,
      maxLocations: 100,
      now: () => Date.now(),
      ...o,
    };
  }

  /**
   * The key a token's kid names, or undefined when the issuer's JWKS has none (after reading it again, once, if
   * the copy held is old enough). Throws JwksUnavailable when no copy can be had.
   */
  async key(location: JwksLocation, kid: string): Promise<JsonWebKey | undefined> {
    const id = locationKey(location);
    let entry = this.entries.get(id);
    const mayTry = (e: Entry) => this.o.now() - e.triedAt >= this.o.refetchGapMs;
    if (!entry || (this.o.now() - entry.readAt >= this.o.ttlMs && mayTry(entry)))
      entry = await this.refresh(id, location, entry);
    const hit = entry.keys.get(kid);
    if (hit !== undefined || !mayTry(entry)) return hit;
    entry = await this.refresh(id, location, entry);
    return entry.keys.get(kid);
  }

  /**
   * Reads the keys again; one read per location at a time. A failed read keeps an older copy in use (and is not
   * tried again for a while), so an issuer's short outage does not refuse tokens its known keys signed.
   */
  private async refresh(id: string, location: JwksLocation, stale: Entry | undefined): Promise<Entry> {
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.read(location).then((keys) => {
        const now = this.o.now();
        return { keys, readAt: now, triedAt: now };
      });
      this.loading.set(id, pending);
      void pending.then(
        () => this.loading.delete(id),
        () => this.loading.delete(id),
      );
    }
    try {
      const entry = await pending;
      this.entries.delete(id);
      if (this.entries.size >= this.o.maxLocations) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(id, entry);
      return entry;
    } catch (err) {
      if (!stale) throw err;
      stale.triedAt = this.o.now();
      return stale;
    }
  }

  private async read(location: JwksLocation): Promise<Map<string, JsonWebKey>> {
    if (location.jwksFile !== undefined) return parseJwks(await this.readFile(location.jwksFile));
    if (location.jwksUri !== undefined) return parseJwks(await this.fetch(location.jwksUri));
    if (location.issuer !== undefined) {
      const config = openIdConfigurationUrl(location.issuer);
      return parseJwks(await this.fetch(jwksUriOf(await this.fetch(config), config)));
    }
    throw new JwksUnavailable("the authorizer names neither jwksUri, jwksFile nor an issuer");
  }

  private async readFile(path: string): Promise<string> {
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new JwksUnavailable(`${path} is not a file`);
      if (s.size > this.o.maxBytes) throw new JwksUnavailable(`${path} is over ${this.o.maxBytes} bytes`);
      return await readFile(path, "utf8");
    } catch (err) {
      if (err instanceof JwksUnavailable) throw err;
      throw new JwksUnavailable(`${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }

  private async fetch(uri: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(uri, {
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: { accept: "application/json" },
      });
    } catch (err) {
      const timedOut = (err as Error).name === "TimeoutError";
      throw new JwksUnavailable(
        timedOut ? `${uri} did not answer in ${this.o.timeoutMs} ms` : `${uri} is unreachable`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new JwksUnavailable(`${uri} answered ${res.status}`);
    }
    // Read in pieces, so an endless answer stops at the limit instead of filling the memory.
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    if (!reader) return "";
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        throw new JwksUnavailable(`${uri} broke off its answer`);
      });
      if (done) break;
      size += value.byteLength;
      if (size > this.o.maxBytes) {
        await reader.cancel();
        throw new JwksUnavailable(`${uri} answered over ${this.o.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}
