// Randomness as an input: domain code draws from a RandomSource it is given, so tests can replay it exactly.

export interface RandomSource {
  bytes(n: number): Uint8Array;
}

/** A RandomSource that also yields uniform numbers in [0, 1), e.g. for alias routing. */
export interface UniformRandomSource extends RandomSource {
  float(): number;
}

/**
 * mulberry32: small, fast and well distributed — for tests and reproducible simulations only. Never use it
 * for ids, credentials or tokens in production (main/store/system-random.ts is the one for that).
 */
export function seededRandom(seed: number): UniformRandomSource {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    float: () => next() / 2 ** 32,
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = next() & 0xff;
      return out;
    },
  };
}

/** `length` characters drawn uniformly from `alphabet` (rejection sampling, so no character is favoured). */
export function randomChars(random: RandomSource, alphabet: string, length: number): string {
  if (alphabet.length < 2 || alphabet.length > 256) throw new Error("alphabet must have 2 to 256 characters");
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const b of random.bytes(length - out.length + 8)) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

export function randomHex(random: RandomSource, bytes: number): string {
  return Buffer.from(random.bytes(bytes)).toString("hex");
}
