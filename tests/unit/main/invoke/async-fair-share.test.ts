// The choice of the next profile to run an async invocation: fair shares first, idle workers lent, a ceiling kept.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nextProfile, defaultMaxPerProfile } from "../../../../main/invoke/async-fair-share.ts";

const running = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));

test("a profile below its share goes before one above it, whatever the round-robin order", () => {
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 4, running: running({ a: 3 }), waiting: ["a", "b"] }),
    "b",
  );
});

test("among profiles below their share the round-robin order decides", () => {
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 3, running: running({}), waiting: ["b", "a"] }),
    "b",
  );
});

test("an idle worker is lent when nobody below its share waits, to the least-served first", () => {
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 3, running: running({ a: 2, b: 1 }), waiting: ["a", "b"] }),
    "b",
  );
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 3, running: running({ a: 1 }), waiting: ["a"] }),
    "a",
  );
});

test("no profile passes its ceiling, even with workers idle", () => {
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 3, running: running({ a: 3 }), waiting: ["a"] }),
    null,
  );
});

test("a profile that only runs (waits for nothing) still counts toward the split", () => {
  // Three active profiles: a share of one each; c holds one already, so the free worker goes to b, not c.
  assert.equal(
    nextProfile({ concurrency: 4, maxPerProfile: 3, running: running({ a: 2, c: 1 }), waiting: ["c", "b"] }),
    "b",
  );
});

test("the default ceiling keeps one worker for the others, but never below one", () => {
  assert.equal(defaultMaxPerProfile(4), 3);
  assert.equal(defaultMaxPerProfile(1), 1);
});
