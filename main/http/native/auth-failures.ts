// Failed authentications per client address: after too many in a window, the address waits before trying again.

export interface AuthFailureOptions {
  /** Failures allowed per address within `windowMs`. */
  maxFailures?: number;
  windowMs?: number;
  /** Addresses remembered at most; the oldest are forgotten first. */
  maxClients?: number;
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

  /** Milliseconds the address must still wait, or 0 when it may try. */
  retryAfterMs(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.maxFailures) return 0;
    return Math.max(1, recent[0]! + this.windowMs - this.now());
  }

  fail(client: string): void {
    const recent = this.recent(client);
    recent.push(this.now());
    this.failures.delete(client);
    this.failures.set(client, recent);
    if (this.failures.size > this.maxClients) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  private recent(client: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(client) ?? []).filter((t) => t > cutoff);
  }
}
