// Injected randomness: a seeded source replays exactly, and drawn characters stay in their alphabet without bias.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomChars, randomHex, seededRandom } from "../../../../../main/domain/model/random-source.ts";

test("the same seed gives the same bytes and floats; another seed does not", () => {
  assert.deepEqual(seededRandom(5).bytes(16), seededRandom(5).bytes(16));
  assert.notDeepEqual(seededRandom(5).bytes(16), seededRandom(6).bytes(16));
  const r = seededRandom(9);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
});

test("randomChars draws only from the alphabet, every character about equally often", () => {
  const r = seededRandom(3);
  const s = randomChars(r, "0123456789", 20_000);
  assert.match(s, /^[0-9]{20000}$/);
  for (const d of "0123456789") {
    const n = s.split(d).length - 1;
    assert.ok(Math.abs(n - 2000) < 200, `${d} drawn ${n} times`);
  }
  assert.equal(randomHex(r, 8).length, 16);
  assert.throws(() => randomChars(r, "x", 3));
});
