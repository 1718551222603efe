// Parsers for option values (`--split 2=0.1`, `--expires-in 30d`, `--env K=V`, `task:alias`): a bad value is a usage error.
import { InvalidArgumentError } from "commander";
import { runtimeProblem } from "../domain/tasks/runtime-ids.ts";

/** A published version number or `$LATEST` (also accepted as `latest`, since `$` needs quoting in a shell). */
export function parseVersionRef(value: string): number | "$LATEST" {
  if (value === "$LATEST" || value.toLowerCase() === "latest") return "$LATEST";
  if (/^[1-9]\d*$/.test(value)) return Number(value);
  throw new InvalidArgumentError('expected a published version number (1, 2, …) or "$LATEST".');
}

/** `VERSION=WEIGHT`: the second version an alias sends a share of its calls to; weight 0.1 or 10%. */
export function parseSplit(value: string): { additionalVersion: number; weight: number } {
  const m = /^([1-9]\d*)=(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError("expected VERSION=WEIGHT, e.g. 2=0.1 or 2=10%.");
  const weight = m[3] === "%" ? Number(m[2]) / 100 : Number(m[2]);
  if (!(weight > 0 && weight < 1)) {
    throw new InvalidArgumentError("the weight must be between 0 and 1 (or 0% and 100%), both excluded.");
  }
  return { additionalVersion: Number(m[1]), weight };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** A duration in seconds: `3600`, `90s`, `15m`, `12h`, `30d`, `2w`. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(value.trim());
  const n = m ? Number(m[1]) * UNIT_SECONDS[m[2] || "s"]! : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError("expected a duration such as 3600 (seconds), 15m, 12h, 30d or 2w.");
  }
  return n;
}

/** `KEY=VALUE` (the value may be empty or hold `=`). */
export function parseKeyValue(value: string): [string, string] {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError("expected KEY=VALUE.");
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** Commander's collector for a repeatable `--env KEY=VALUE`. */
export function collectKeyValue(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const [k, v] = parseKeyValue(value);
  return { ...previous, [k]: v };
}

/** Commander's collector for a repeatable plain value. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole number within bounds, for options such as --memory, --timeout and --limit. */
export function integerParser(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()))
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/** A 12-digit account id (another profile's, for tasks shared with you). */
export function parseAccountId(value: string): string {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError("expected a 12-digit account id.");
  return value;
}

/** `task`, `task:alias` or `task:3`: what `hearth invoke` calls. */
export function parseTarget(value: string): { task: string; qualifier?: string } {
  const m = /^([A-Za-z0-9_-]{1,64})(?::([A-Za-z0-9_$-]{1,128}))?$/.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      "expected TASK or TASK:QUALIFIER (an alias, a version number or $LATEST).",
    );
  }
  return m[2] === undefined ? { task: m[1]! } : { task: m[1]!, qualifier: m[2] };
}

/** An ISO time, or a duration back from `now` (`15m` = fifteen minutes ago), as the ISO time the API takes. */
export function parseSince(value: string, now = Date.now()): string {
  if (/^\d+\s*[smhdw]$/.test(value.trim())) return new Date(now - parseDuration(value) * 1000).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new InvalidArgumentError(
      "expected an ISO time (2025-01-31T12:00:00Z) or a duration back (15m, 2h, 1d).",
    );
  }
  return new Date(t).toISOString();
}

/** A runtime identifier (`nodejs22.x`, `python3`, `provided.al2023`…); one Hearth has not got is refused by name. */
export function parseRuntime(value: string): string {
  const problem = runtimeProblem(value);
  if (problem !== null) throw new InvalidArgumentError(`${problem}.`);
  return value;
}
