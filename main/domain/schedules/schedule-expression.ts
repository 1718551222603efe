// EventBridge's schedule expressions: `rate(value unit)` and the six-field `cron(minutes hours day-of-month month
// day-of-week year)` in UTC, read into something that gives the next run after a moment.
import { HearthError } from "../model/errors.ts";

export type ScheduleExpression =
  { kind: "rate"; everyMs: number; text: string } | { kind: "cron"; fields: CronFields; text: string };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  /** null: "?" (the day is chosen by the other field) */
  daysOfMonth: Set<number> | null;
  months: Set<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge numbers them; null: "?" */
  daysOfWeek: Set<number> | null;
  /** null: "*" */
  years: Set<number> | null;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function refuse(why: string): never {
  throw new HearthError("INVALID_INPUT", `expression ${why}`, "expression");
}

/** One cron field: `*`, numbers, names, ranges `a-b`, lists `a,b` and steps `*\/n` or `a/n`, within [min, max]. */
function field(text: string, name: string, min: number, max: number, names: string[] = []): Set<number> {
  const out = new Set<number>();
  const value = (v: string): number => {
    const i = names.indexOf(v.toUpperCase());
    if (i >= 0) return i + min;
    if (!/^\d+$/.test(v))
      refuse(`has "${v}" in its ${name} field, which is not a number${names.length ? " or a name" : ""}`);
    const n = Number(v);
    if (n < min || n > max) refuse(`has ${n} in its ${name} field, outside ${min}-${max}`);
    return n;
  };
  for (const part of text.split(",")) {
    if (/[LW#]/i.test(part) && !names.some((n) => part.toUpperCase().includes(n)))
      refuse(`uses "${part}" in its ${name} field; L, W and # are not supported here`);
    const [range, stepText] = part.split("/") as [string, string?];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) refuse(`has a step "${stepText}" in its ${name} field`);
    let from: number;
    let to: number;
    if (range === "*") [from, to] = [min, max];
    else if (range.includes("-")) {
      const [a, b] = range.split("-") as [string, string];
      [from, to] = [value(a), value(b)];
      if (from > to) refuse(`has a range ${range} that runs backwards in its ${name} field`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** Reads an expression, or refuses it naming what is wrong. */
export function parseScheduleExpression(raw: string): ScheduleExpression {
  const text = raw.trim();
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, "");
    if (n < 1) refuse("must run at least every 1 " + unit);
    if ((n === 1) !== !rate[2]!.endsWith("s"))
      refuse(
        n === 1 ? `says "${rate[2]}"; write rate(1 ${unit})` : `says "${rate[2]}"; write rate(${n} ${unit}s)`,
      );
    return { kind: "rate", everyMs: n * UNITS[unit]!, text };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron)
    refuse("must be rate(VALUE UNIT), such as rate(5 minutes), or cron(…), such as cron(0 12 * * ? *)");
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6)
    refuse(
      `cron(…) has ${parts.length} fields; it takes six: minutes hours day-of-month month day-of-week year`,
    );
  const [mi, h, dom, mo, dow, y] = parts as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?"))
    refuse("cron(…) needs exactly one of day-of-month and day-of-week to be ?");
  return {
    kind: "cron",
    text,
    fields: {
      minutes: field(mi, "minutes", 0, 59),
      hours: field(h, "hours", 0, 23),
      daysOfMonth: dom === "?" ? null : field(dom, "day-of-month", 1, 31),
      months: field(mo, "month", 1, 12, MONTHS),
      daysOfWeek: dow === "?" ? null : field(dow, "day-of-week", 1, 7, DAYS),
      years: y === "*" ? null : field(y, "year", 1970, 2199),
    },
  };
}

/**
 * The first run strictly after `after` (ms since the epoch). A rate runs every period from its `anchor` (when the
 * schedule was made or resumed); a cron on the minutes it names, in UTC. Null when a cron never runs again.
 */
export function nextRun(expr: ScheduleExpression, after: number, anchor: number): number | null {
  if (expr.kind === "rate") {
    const n = Math.floor((after - anchor) / expr.everyMs) + 1;
    return anchor + Math.max(1, n) * expr.everyMs;
  }
  const f = expr.fields;
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  // Minute by minute would be slow for a yearly cron: skip whole days, then hours, that cannot match.
  for (let guard = 0; guard < 400 * 24 * 60; guard++) {
    const year = t.getUTCFullYear();
    if (f.years && ![...f.years].some((yy) => yy >= year)) return null;
    const dayOk =
      (!f.years || f.years.has(year)) &&
      f.months.has(t.getUTCMonth() + 1) &&
      (f.daysOfMonth === null || f.daysOfMonth.has(t.getUTCDate())) &&
      (f.daysOfWeek === null || f.daysOfWeek.has(t.getUTCDay() + 1));
    if (!dayOk) {
      t.setUTCHours(24, 0, 0, 0);
      continue;
    }
    if (!f.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (f.minutes.has(t.getUTCMinutes())) return t.getTime();
    t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
  }
  return null;
}

/** The runs due in (from, to]: how many, and the first and last, without listing a long gap's every minute. */
export function runsBetween(
  expr: ScheduleExpression,
  from: number,
  to: number,
  anchor: number,
): { count: number; first: number | null; last: number | null } {
  let count = 0;
  let first: number | null = null;
  let last: number | null = null;
  if (expr.kind === "rate") {
    const firstRun = nextRun(expr, from, anchor);
    if (firstRun === null || firstRun > to) return { count: 0, first: null, last: null };
    count = Math.floor((to - firstRun) / expr.everyMs) + 1;
    return { count, first: firstRun, last: firstRun + (count - 1) * expr.everyMs };
  }
  let t = from;
  // A gap of weeks is at most ~50k runs of a per-minute cron: counted, bounded.
  for (let i = 0; i < 100_000; i++) {
    const n = nextRun(expr, t, anchor);
    if (n === null || n > to) break;
    count++;
    first ??= n;
    last = n;
    t = n;
  }
  return { count, first, last };
}
