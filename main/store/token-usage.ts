// Token usage: per token, its last use, its calls, the calls its rate limit refused and the addresses they came
// from, counted in memory on the invoke path and saved beside the document at most once a second.
import { join } from "node:path";
import { z } from "zod";
import { HearthError } from "../domain/model/errors.ts";
import type { Token } from "../domain/model/state.ts";
import type { TokenUsageView } from "../domain/model/views.ts";
import { AtomicJsonFile } from "./atomic-json-file.ts";

export const TOKEN_USAGE_FILE = "token-usage.json";
/** Distinct client addresses kept per token, the most recent first. */
export const MAX_TOKEN_ADDRESSES = 10;
export const DEFAULT_USAGE_SAVE_INTERVAL_MS = 1000;
const RATE_WINDOW_MS = 60_000;

/** Where the counters are saved; the data directory's file, or a fake in tests. */
export interface UsageFile {
  read(): Promise<unknown>;
  write(data: unknown): Promise<void>;
}

export interface TokenUsageOptions {
  /** At most one save per this many milliseconds, however many calls come in. */
  saveIntervalMs?: number;
  now?: () => number;
  maxAddresses?: number;
}

interface Entry {
  lastUsedAt: number | null;
  calls: number;
  throttled: number;
  addresses: string[];
  /** Times of the calls let through in the last minute, oldest first: only kept for rate-limited tokens. */
  recent: number[];
  /** The request id of the last call let through, when the caller gave it one. */
  lastRequestId?: string;
}

const savedSchema = z.object({
  tokens: z.record(
    z.string(),
    z.object({
      lastUsedAt: z.string().nullable(),
      calls: z.number().int().min(0),
      throttled: z.number().int().min(0).default(0),
      addresses: z.array(z.string()).default([]),
      lastRequestId: z.string().max(256).optional(),
    }),
  ),
});

/** `::ffff:192.0.2.1` is how Node names an IPv4 client on a dual-stack socket; people know it as 192.0.2.1. */
export function clientAddress(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice("::ffff:".length) : ip;
}

export class TokenUsage {
  private readonly entries = new Map<string, Entry>();
  private readonly saveIntervalMs: number;
  private readonly now: () => number;
  private readonly maxAddresses: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;
  private lastSaveAt = Number.NEGATIVE_INFINITY;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  /** The last save that failed (it is retried with the next change); null once one succeeds. */
  lastError: Error | null = null;

  constructor(
    private readonly file: UsageFile,
    o: TokenUsageOptions = {},
  ) {
    this.saveIntervalMs = o.saveIntervalMs ?? DEFAULT_USAGE_SAVE_INTERVAL_MS;
    this.now = o.now ?? Date.now;
    this.maxAddresses = o.maxAddresses ?? MAX_TOKEN_ADDRESSES;
  }

  /**
   * Opens the data directory's counters. They are a record of use, not a right: an unreadable file is set aside
   * (counting starts again) rather than keeping the host from starting.
   */
  static async open(dataDir: string, o: TokenUsageOptions = {}): Promise<TokenUsage> {
    const usage = new TokenUsage(new AtomicJsonFile(join(dataDir, TOKEN_USAGE_FILE)), o);
    await usage.load();
    return usage;
  }

  async load(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.file.read();
    } catch (err) {
      this.lastError = err as Error;
      return;
    }
    const parsed = savedSchema.safeParse(raw);
    if (!parsed.success) return;
    for (const [id, t] of Object.entries(parsed.data.tokens)) {
      const last = t.lastUsedAt === null ? null : Date.parse(t.lastUsedAt);
      this.entries.set(id, {
        lastUsedAt: last === null || Number.isNaN(last) ? null : last,
        calls: t.calls,
        throttled: t.throttled,
        addresses: t.addresses.slice(0, this.maxAddresses),
        recent: [],
        ...(t.lastRequestId !== undefined ? { lastRequestId: t.lastRequestId } : {}),
      });
    }
  }

  /**
   * Counts a call of a token that was just verified, from `client`; throws TOKEN_RATE_LIMITED (with the seconds to
   * wait) when the token already had its rate-limit's worth of calls in the last 60 s. Memory only: never awaits.
   */
  admit(token: Pick<Token, "id" | "rateLimitPerMinute">, client: string, requestId?: string): void {
    const now = this.now();
    const e = this.entry(token.id);
    const limit = token.rateLimitPerMinute ?? null;
    if (limit !== null) {
      const cutoff = now - RATE_WINDOW_MS;
      let old = 0;
      while (old < e.recent.length && e.recent[old]! <= cutoff) old++;
      if (old > 0) e.recent.splice(0, old);
      if (e.recent.length >= limit) {
        e.throttled++;
        this.changed();
        // The call that must leave the window before one more fits.
        const frees = e.recent[e.recent.length - limit]! + RATE_WINDOW_MS;
        const retryAfterS = Math.max(1, Math.ceil((frees - now) / 1000));
        throw Object.assign(
          new HearthError(
            "TOKEN_RATE_LIMITED",
            `this token may be used ${limit} time${limit === 1 ? "" : "s"} per minute; try again in ${retryAfterS} s`,
            "token",
          ),
          { retryAfterS },
        );
      }
      e.recent.push(now);
    } else if (e.recent.length > 0) {
      e.recent = [];
    }
    e.calls++;
    e.lastUsedAt = now;
    if (requestId !== undefined) e.lastRequestId = requestId;
    const address = clientAddress(client);
    const at = e.addresses.indexOf(address);
    if (at !== 0) {
      if (at > 0) e.addresses.splice(at, 1);
      e.addresses.unshift(address);
      if (e.addresses.length > this.maxAddresses) e.addresses.length = this.maxAddresses;
    }
    this.changed();
  }

  /** A token's usage as listed; undefined for a token never called. */
  usageOf(tokenId: string): TokenUsageView | undefined {
    const e = this.entries.get(tokenId);
    if (!e) return undefined;
    return {
      lastUsedAt: e.lastUsedAt === null ? null : new Date(e.lastUsedAt).toISOString(),
      calls: e.calls,
      throttled: e.throttled,
      addresses: [...e.addresses],
      ...(e.lastRequestId !== undefined ? { lastRequestId: e.lastRequestId } : {}),
    };
  }

  /** Forgets the counters of tokens that no longer exist (a deleted profile's). */
  retain(exists: (tokenId: string) => boolean): void {
    for (const id of [...this.entries.keys()]) {
      if (!exists(id)) {
        this.entries.delete(id);
        this.changed();
      }
    }
  }

  /** Saves now whatever changed (and waits for a save under way). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.save();
  }

  /** The last save, on shutdown; nothing is scheduled after it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { lastUsedAt: null, calls: 0, throttled: 0, addresses: [], recent: [] };
      this.entries.set(id, e);
    }
    return e;
  }

  /** Marks the counters changed and schedules one save, no sooner than the interval after the previous one. */
  private changed(): void {
    this.dirty = true;
    if (this.timer !== null || this.closed) return;
    const wait = Math.max(0, this.lastSaveAt + this.saveIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.save();
    }, wait);
    // A pending save never keeps a process alive; close() saves on the way out.
    this.timer.unref?.();
  }

  private save(): Promise<void> {
    if (!this.dirty) return this.saving;
    this.dirty = false;
    this.lastSaveAt = this.now();
    const tokens: Record<string, z.input<typeof savedSchema>["tokens"][string]> = {};
    for (const [id, e] of this.entries) {
      tokens[id] = {
        lastUsedAt: e.lastUsedAt === null ? null : new Date(e.lastUsedAt).toISOString(),
        calls: e.calls,
        throttled: e.throttled,
        addresses: [...e.addresses],
        ...(e.lastRequestId !== undefined ? { lastRequestId: e.lastRequestId } : {}),
      };
    }
    const snapshot = { tokens };
    this.saving = this.saving
      .then(() => this.file.write(snapshot))
      .then(
        () => {
          this.lastError = null;
        },
        (err: unknown) => {
          this.lastError = err as Error;
          // Try again with the next change (or at close) rather than losing the counts.
          this.dirty = true;
        },
      );
    return this.saving;
  }
}
