// An alias's routing as the window edits it: the fields a form starts with, the split as the host wants it (a weight),
// the checks made before anything is sent, and the texts the lists show.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  percentOf,
  routingDraft,
  routingInput,
  routingShortText,
  routingText,
  splitOf,
  splitProblem,
  toVersionRef,
  withSplit,
} from "../../../renderer/logic/routing.ts";

test("a split is sent as the second version's weight, and checked first", () => {
  assert.deepEqual(splitOf({ additionalVersion: 2, percent: 10 }), { additionalVersion: 2, weight: 0.1 });
  assert.equal(splitOf(null), null);
  assert.match(splitProblem("$LATEST", { additionalVersion: 2, percent: 10 })!, /published version/);
  assert.match(splitProblem(2, { additionalVersion: 2, percent: 10 })!, /differ/);
  assert.match(splitProblem(1, { additionalVersion: 2, percent: 100 })!, /between 1 and 99/);
  assert.equal(splitProblem(1, { additionalVersion: 2, percent: 25 }), null);
});

test("a weight is shown as a whole percent, and a percent sent back gives the same weight", () => {
  assert.equal(percentOf(0.1), 10);
  assert.equal(percentOf(0.333), 33);
  for (const percent of [1, 7, 33, 50, 99]) {
    const weight = splitOf({ additionalVersion: 2, percent })!.weight;
    assert.ok(weight > 0 && weight < 1, String(weight));
    assert.equal(percentOf(weight), percent);
  }
});

test("a new alias's editor starts on $LATEST without a split; an existing one starts from its routing", () => {
  assert.deepEqual(routingDraft(null, [1, 2]), {
    version: "$LATEST",
    splitOn: false,
    extra: "",
    percent: "10",
  });
  assert.deepEqual(
    routingDraft({ version: 3, split: { additionalVersion: 4, weight: 0.25 } }, [1, 2, 3, 4]),
    {
      version: "3",
      splitOn: true,
      extra: "4",
      percent: "25",
    },
  );
  // Without a split the first version waits as the second one, with 10 %, should the split be turned on.
  assert.deepEqual(routingDraft({ version: "$LATEST", split: null }, [1, 2]), {
    version: "$LATEST",
    splitOn: false,
    extra: "1",
    percent: "10",
  });
  assert.equal(routingDraft({ version: 1, split: null }, []).extra, "");
});

test("turning the split on picks the first version when none is chosen, and keeps a chosen one", () => {
  const fresh = routingDraft(null, [1, 2]);
  assert.deepEqual(withSplit(fresh, true, [1, 2]), { ...fresh, splitOn: true, extra: "1" });
  assert.equal(withSplit(fresh, true, []).extra, "");
  const chosen = { ...fresh, splitOn: false, extra: "2" };
  assert.equal(withSplit(chosen, true, [1, 2]).extra, "2");
  const off = withSplit({ ...chosen, splitOn: true }, false, [1, 2]);
  assert.equal(off.splitOn, false);
  assert.equal(off.extra, "2");
});

test("the form sends the version as a number or $LATEST, and the split only while it is on", () => {
  assert.equal(toVersionRef("$LATEST"), "$LATEST");
  assert.equal(toVersionRef("3"), 3);
  assert.deepEqual(routingInput({ version: "2", splitOn: true, extra: "3", percent: "15" }), {
    version: 2,
    split: { additionalVersion: 3, percent: 15 },
  });
  assert.deepEqual(routingInput({ version: "$LATEST", splitOn: false, extra: "3", percent: "15" }), {
    version: "$LATEST",
    split: null,
  });
  // What the editor sends is what the store checks: a split on $LATEST is refused before it leaves.
  const sent = routingInput({ version: "$LATEST", splitOn: true, extra: "1", percent: "10" });
  assert.match(splitProblem(sent.version, sent.split)!, /published version/);
});

test("the lists say where an alias points, with each version's share", () => {
  assert.equal(routingText({ version: "$LATEST", split: null }), "$LATEST");
  assert.equal(routingText({ version: 2, split: null }), "version 2");
  assert.equal(
    routingText({ version: 2, split: { additionalVersion: 3, weight: 0.1 } }),
    "version 2 90% · version 3 10%",
  );
  assert.equal(routingShortText({ version: 2, split: null }), "2");
  assert.equal(
    routingShortText({ version: 2, split: { additionalVersion: 3, weight: 0.1 } }),
    "2 (+ 10% to 3)",
  );
  assert.equal(routingShortText({ version: "$LATEST", split: null }), "$LATEST");
});
