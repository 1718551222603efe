// REQUEST authorizers' answers kept for their resultTtlSeconds, by authorizer and identity values, in a bounded map.
import { createHash } from "node:crypto";

export const MAX_CACHED_ANSWERS = 1000;

export class AuthorizerCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly max = MAX_CACHED_ANSWERS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * The key for an authorizer's definition and the identity values of one request. The definition is part of it,
   * so changing an authorizer (its task, its TTL) drops its old answers; hashed, so long values cost no memory.
   */
  static key(definition: unknown, values: readonly string[]): string {
    return createHash("sha256")
      .update(JSON.stringify(definition))
      .update("\0")
      .update(JSON.stringify(values))
      .digest("base64url");
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() >= e.until) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, ttlSeconds: number): void {
    if (ttlSeconds <= 0) return;
    this.entries.delete(key);
    // Full: the entry written longest ago goes first (a Map iterates in insertion order).
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, until: this.now() + ttlSeconds * 1000 });
  }

  get size(): number {
    return this.entries.size;
  }
}
