// Record ids: a type prefix and random hex, so an id in a log says what it names (`tsk_…`, `als_…`).
import { randomHex, type RandomSource } from "./random-source.ts";

export type IdPrefix = "prf" | "tsk" | "als" | "grt" | "tok" | "api" | "aut" | "rmt" | "sch";

export function newId(prefix: IdPrefix, random: RandomSource, taken: (id: string) => boolean): string {
  // 64 random bits make a clash unlikely; the loop makes it impossible, even with a replayed test source.
  for (let i = 0; i < 100; i++) {
    const id = `${prefix}_${randomHex(random, 8)}`;
    if (!taken(id)) return id;
  }
  throw new Error(`could not draw a free ${prefix} id: the random source keeps repeating itself`);
}
