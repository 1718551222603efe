// Failed authentications per client address and key: after too many in a window, that key waits from that address.
//
// A request without credentials is never counted, and a valid credential is checked before anyone asks whether its
// key waits: a page that floods the port with bare requests (or `<img>` tags) slows down nobody, and guesses at one
// key hold back only further guesses at that key from the same address.
import { HearthError } from "../../domain/model/errors.ts";
import { accessKeyExists } from "../../domain/access/profile-credentials.ts";
import type { HearthState } from "../../domain/model/state.ts";
import { storedTokenLookup } from "../../domain/access/tokens.ts";

export interface AuthFailureOptions {
  /** Failures allowed per address and key within `windowMs`. */
  maxFailures?: number;
  windowMs?: number;
  /** Address and key pairs remembered at most; the oldest are forgotten first. */
  maxClients?: number;
}

/** What failures count against: the owner key, one stored token or access key, or everything else together. */
export const OWNER_FAILURES = "owner";
const UNKNOWN_FAILURES = "unknown";

/** The key a presented token's failures count against: its lookup when a stored token has it. */
export function tokenFailureKey(state: HearthState, presented: string): string {
  const lookup = storedTokenLookup(state, presented);
  return lookup === null ? `token:${UNKNOWN_FAILURES}` : `token:${lookup}`;
}

/** The key an access key id's failures count against: the id when a profile holds it. */
export function accessKeyFailureKey(state: HearthState, accessKeyId: string): string {
  return accessKeyExists(state, accessKeyId) ? `access:${accessKeyId}` : `access:${UNKNOWN_FAILURES}`;
}

/** Credentials in no scheme Hearth takes, or too mangled to name a key. */
export const MALFORMED_FAILURES = "malformed";

/** The answer to a key that waits: 429 with Retry-After. */
export function tooManyAttempts(client: string, waitMs: number): HearthError {
  const s = Math.ceil(waitMs / 1000);
  return Object.assign(
    new HearthError(
      "TOO_MANY_ATTEMPTS",
      `too many failed authentications from ${client}; try again in ${s} s`,
    ),
    { retryAfterS: s },
  );
}

export class AuthFailures {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;

  constructor(
    o: AuthFailureOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.maxFailures = o.maxFailures ?? 10;
    this.windowMs = o.windowMs ?? 60_000;
    this.maxClients = o.maxClients ?? 10_000;
  }

  /** Milliseconds the address must still wait before trying this key again, or 0 when it may try. */
  retryAfterMs(client: string, key: string): number {
    const recent = this.recent(client, key);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, recent[0]! + this.windowMs - this.now());
  }

  fail(client: string, key: string): void {
    const id = `${client}\n${key}`;
    const recent = this.recent(client, key);
    recent.push(this.now());
    this.failures.delete(id);
    this.failures.set(id, recent);
    if (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  private recent(client: string, key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(`${client}\n${key}`) ?? []).filter((t) => t > cutoff);
  }
}
