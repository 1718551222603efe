// Weighted routing: the draw decides, the weight is the additional version's share, within ±3% over 1,000 picks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { aliasVersions, pickAliasVersion } from "../../../../../main/domain/aliases/alias-routing.ts";
import { seededRandom } from "../../../../../main/domain/model/random-source.ts";

const routing = { version: 1, split: { additionalVersion: 2, weight: 0.3 } } as const;

test("draws below the weight go to the additional version, the rest to the main one", () => {
  assert.equal(pickAliasVersion(routing, 0), 2);
  assert.equal(pickAliasVersion(routing, 0.2999), 2);
  assert.equal(pickAliasVersion(routing, 0.3), 1);
  assert.equal(pickAliasVersion(routing, 0.999999), 1);
  assert.equal(pickAliasVersion({ version: "$LATEST", split: null }, 0.5), "$LATEST");
});

test("a draw outside [0, 1) is a caller bug", () => {
  for (const u of [-0.1, 1, Number.NaN]) assert.throws(() => pickAliasVersion(routing, u), RangeError);
});

for (const weight of [0.3, 0.05, 0.5, 0.9]) {
  test(`a ${weight} split holds within ±3% over 1,000 seeded picks`, () => {
    for (const seed of [1, 2, 3, 1234]) {
      const rng = seededRandom(seed);
      let additional = 0;
      for (let i = 0; i < 1000; i++) {
        if (pickAliasVersion({ version: 1, split: { additionalVersion: 2, weight } }, rng.float()) === 2)
          additional++;
      }
      assert.ok(
        Math.abs(additional / 1000 - weight) <= 0.03,
        `seed ${seed}: ${additional} of 1000 for weight ${weight}`,
      );
    }
  });
}

test("the same seed replays the same picks", () => {
  const run = () => {
    const rng = seededRandom(7);
    return Array.from({ length: 50 }, () => pickAliasVersion(routing, rng.float()));
  };
  assert.deepEqual(run(), run());
});

test("aliasVersions lists what an alias can route to", () => {
  assert.deepEqual(aliasVersions(routing), [1, 2]);
  assert.deepEqual(aliasVersions({ version: "$LATEST", split: null }), ["$LATEST"]);
});
