// Reliability, summary: runs last (files run in sorted order) and prints what the suite's files counted as one
// line: faults injected/survived, bad inputs tried/refused, escapes tried/contained, attacks by hostile task code
// tried/held (counted by the files that run them), invocations sent/answered/lost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clearTally, readTally, sumTally, tallyFile } from "../helpers/reliability-tally.ts";

const PARTS = ["faults", "load", "bad-input", "isolation", "hostile"];

test("reliability summary", (t) => {
  const entries = readTally();
  const s = sumTally(entries);
  const missing = PARTS.filter((p) => !s.parts.includes(p));
  if (entries.length === 0) {
    t.skip(`nothing counted in ${tallyFile()}: no file of the suite ran before this one in this run`);
    return;
  }
  const n = (x: number) => x.toLocaleString("en-US");
  const line =
    `reliability: faults ${n(s.faultsInjected)} injected / ${n(s.faultsSurvived)} survived · ` +
    `bad inputs ${n(s.badInputsTried)} tried / ${n(s.badInputsRefused)} refused` +
    (s.badInputsKnownGaps ? ` (+${n(s.badInputsKnownGaps)} known gaps taken)` : "") +
    " · " +
    `escapes ${n(s.escapesTried)} tried / ${n(s.escapesContained)} contained` +
    (s.escapesKnownGaps ? ` (+${n(s.escapesKnownGaps)} known gaps)` : "") +
    " · " +
    `hostile code ${n(s.attacksTried)} attacks / ${n(s.attacksHeld)} held · ` +
    `invocations ${n(s.invocationsSent)} sent / ${n(s.invocationsAnswered)} answered / ${n(s.invocationsLost)} lost` +
    (missing.length ? ` (parts run: ${s.parts.join(", ")}; not run: ${missing.join(", ")})` : "");
  console.log(line);
  clearTally();
  assert.equal(s.invocationsLost, 0, "invocations were lost");
  assert.equal(s.invocationsAnswered, s.invocationsSent, "invocations went unanswered");
  assert.equal(s.faultsSurvived, s.faultsInjected, "faults were not survived");
  assert.equal(s.badInputsRefused, s.badInputsTried, "bad inputs were accepted");
  assert.equal(s.escapesContained, s.escapesTried, "escapes were not contained");
  assert.equal(s.attacksHeld, s.attacksTried, "attacks by task code were not held");
});
