// EventBridge's rate and cron expressions: what is read, what is refused by name, and when each runs next.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  nextRun,
  parseScheduleExpression,
  runsBetween,
} from "../../../../../main/domain/schedules/schedule-expression.ts";
import { expectError } from "../domain-world.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

test("rate(…) runs every period from its anchor", () => {
  const e = parseScheduleExpression("rate(5 minutes)");
  const anchor = at("2026-12-07T10:00:00.000Z");
  assert.equal(iso(nextRun(e, anchor, anchor)), "2026-12-07T10:05:00.000Z");
  assert.equal(iso(nextRun(e, at("2026-12-07T10:07:30.000Z"), anchor)), "2026-12-07T10:10:00.000Z");
  assert.equal(
    iso(nextRun(parseScheduleExpression("rate(1 day)"), anchor, anchor)),
    "2026-12-08T10:00:00.000Z",
  );
  const gap = runsBetween(e, anchor, at("2026-12-07T11:00:00.000Z"), anchor);
  assert.deepEqual(
    [gap.count, iso(gap.first), iso(gap.last)],
    [12, "2026-12-07T10:05:00.000Z", "2026-12-07T11:00:00.000Z"],
  );
});

test("cron(…) runs on the minutes it names, in UTC, with names, ranges, lists and steps", () => {
  const noonWeekdays = parseScheduleExpression("cron(0 12 ? * MON-FRI *)");
  // 2026-12-05 is a Saturday.
  assert.equal(iso(nextRun(noonWeekdays, at("2026-12-05T13:00:00Z"), 0)), "2026-12-07T12:00:00.000Z");
  const quarter = parseScheduleExpression("cron(0/15 * * * ? *)");
  assert.equal(iso(nextRun(quarter, at("2026-12-07T10:14:59Z"), 0)), "2026-12-07T10:15:00.000Z");
  assert.equal(iso(nextRun(quarter, at("2026-12-07T10:15:00Z"), 0)), "2026-12-07T10:30:00.000Z");
  const firstOfMonths = parseScheduleExpression("cron(30 6 1 JAN,JUL ? 2027)");
  assert.equal(iso(nextRun(firstOfMonths, at("2026-12-07T00:00:00Z"), 0)), "2027-01-01T06:30:00.000Z");
  assert.equal(iso(nextRun(firstOfMonths, at("2027-01-01T06:30:00Z"), 0)), "2027-07-01T06:30:00.000Z");
  assert.equal(nextRun(firstOfMonths, at("2027-07-01T06:30:00Z"), 0), null, "2027 has no run after July");
  const everyMinute = parseScheduleExpression("cron(* * * * ? *)");
  assert.equal(runsBetween(everyMinute, at("2026-12-07T10:00:00Z"), at("2026-12-07T11:00:00Z"), 0).count, 60);
});

test("bad expressions are refused with what is wrong", () => {
  for (const [text, why] of [
    ["every 5 minutes", /rate\(VALUE UNIT\)/],
    ["rate(0 minutes)", /at least/],
    ["rate(1 minutes)", /rate\(1 minute\)/],
    ["rate(5 minute)", /rate\(5 minutes\)/],
    ["rate(5 weeks)", /rate\(VALUE UNIT\)/],
    ["cron(0 12 * * *)", /six/],
    ["cron(0 12 * * MON *)", /exactly one/],
    ["cron(0 12 ? * ? *)", /exactly one/],
    ["cron(61 12 * * ? *)", /minutes field, outside 0-59/],
    ["cron(0 12 L * ? *)", /L, W and #/],
    ["cron(0 12 ? * 2#1 *)", /L, W and #/],
    ["cron(0 12 ? * FOO *)", /not a number or a name/],
  ] as const) {
    const e = expectError(() => parseScheduleExpression(text), "INVALID_INPUT", "expression");
    assert.match(e.message, why, text);
  }
});
