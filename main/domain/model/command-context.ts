// What every state-changing command is handed instead of reaching for the clock, the RNG or the secret key.
import type { RandomSource } from "./random-source.ts";

/**
 * Seals strings for storage and opens them again. The key lives with the store (main/store/secret-box.ts);
 * the domain only decides what gets sealed.
 */
export interface SecretSealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export interface CommandContext {
  /** Milliseconds since the epoch. */
  now: number;
  random: RandomSource;
  sealer: SecretSealer;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
