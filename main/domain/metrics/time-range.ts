// The time range of a metrics query as people write it: `15m`, `1h`, `24h`, `7d` back from now, or ISO times.
import { HearthError } from "../model/errors.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Metrics are kept for at most this long back (their size bound usually ends them sooner). */
export const MAX_RANGE_MS = 90 * 86_400_000;

/** A time written as a duration back from `now` (`90s`, `15m`, `1h`, `7d`) or an ISO date-time; epoch ms. */
export function parseTimePoint(text: string, now: number, field: string): number {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (rel) {
    const back = Number(rel[1]) * UNITS[rel[2]!]!;
    if (back > MAX_RANGE_MS) {
      throw new HearthError("INVALID_INPUT", `"${text}" goes back further than 90 days`, field);
    }
    return now - back;
  }
  // Only full ISO date-times: Date.parse would take "1" or "June" as times too.
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const t = Date.parse(text.trim());
    if (Number.isFinite(t)) return t;
  }
  throw new HearthError(
    "INVALID_INPUT",
    `"${text.slice(0, 64)}" is not a time: write a duration back from now (15m, 1h, 24h, 7d) or an ISO date-time`,
    field,
  );
}

/** [since, until) from the two optional fields; `since` defaults to an hour back, `until` to now. */
export function parseTimeRange(
  q: { since?: string | undefined; until?: string | undefined },
  now: number,
): { since: number; until: number } {
  const until = q.until === undefined ? now : parseTimePoint(q.until, now, "until");
  const since = q.since === undefined ? until - 3_600_000 : parseTimePoint(q.since, now, "since");
  if (since >= until) throw new HearthError("INVALID_INPUT", "must be before until", "since");
  return { since, until };
}
