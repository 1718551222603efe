// The production RandomSource: the operating system's CSPRNG, for ids, credentials, tokens and routing draws.
import { randomBytes } from "node:crypto";
import type { UniformRandomSource } from "../domain/model/random-source.ts";

export const systemRandom: UniformRandomSource = {
  bytes: (n) => randomBytes(n),
  // 53 random bits: every double in [0, 1) that Math.random could return, from the CSPRNG instead.
  float: () => Number(randomBytes(8).readBigUInt64BE() >> 11n) / 2 ** 53,
};
