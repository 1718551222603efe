// What every benchmark run shares: a printed and enforced time bound, summary statistics, and its results written
// as bench-results/<name>.json and <name>.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), ".."), "bench-results");

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p50: number;
  p99: number;
}

/** Nearest-rank on the sorted values (index ⌊p·(n−1)⌋), as the other benchmarks report it; NaN when empty. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor((p / 100) * (s.length - 1))]! : NaN;
}

export function summarize(values: number[]): Summary {
  return {
    n: values.length,
    median: percentile(values, 50),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Milliseconds as a table cell: "–" when missing. */
export function ms(x: number | undefined | null, digits = 0): string {
  return x === undefined || x === null || Number.isNaN(x) ? "–" : x.toFixed(digits);
}

export interface BoundedRun {
  readonly name: string;
  readonly startedAt: number;
  /** Wall-clock time (Date.now()) by which the measuring must be over: phases shorten themselves to fit. */
  readonly deadline: number;
  remainingMs(): number;
  say(line: string): void;
  /** Stops the watchdog; returns the run's duration in seconds. */
  finish(): number;
}

/**
 * Prints the bound and enforces it: phases plan against `deadline`, and a watchdog `graceS` later runs `cleanup`
 * (which must destroy the run's VMs) and exits with status 2, so a stuck run never outlives its bound by much.
 */
export function boundedRun(
  name: string,
  maxSeconds: number,
  cleanup: () => Promise<void>,
  graceS = 60,
): BoundedRun {
  if (!Number.isFinite(maxSeconds) || maxSeconds <= 0)
    throw new Error(`--max-seconds must be a positive number, not "${maxSeconds}"`);
  const startedAt = Date.now();
  const deadline = startedAt + maxSeconds * 1000;
  const say = (line: string): void => void process.stderr.write(`bench:${name}: ${line}\n`);
  say(`bounded to ${maxSeconds} s of measuring (stopped and cleaned up at ${maxSeconds + graceS} s)`);
  let stopping = false;
  const abort = (why: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    say(`${why}: cleaning up`);
    const hard = setTimeout(() => process.exit(code), 20_000);
    hard.unref();
    void cleanup()
      .catch((err: unknown) => say(`cleanup failed: ${(err as Error).message}`))
      .finally(() => process.exit(code));
  };
  const watchdog = setTimeout(
    () => abort(`still running after ${maxSeconds + graceS} s`, 2),
    (maxSeconds + graceS) * 1000,
  );
  watchdog.unref();
  const onSignal = (): void => abort("interrupted", 130);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    name,
    startedAt,
    deadline,
    remainingMs: () => deadline - Date.now(),
    say,
    finish: () => {
      clearTimeout(watchdog);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      return (Date.now() - startedAt) / 1000;
    },
  };
}

/** Writes bench-results/<name>.json and <name>.md and prints the markdown. */
export function writeResults(name: string, json: unknown, markdown: string): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  process.stdout.write(markdown.endsWith("\n") ? markdown : `${markdown}\n`);
}

/** Waits for `check` to return a value (polled every `everyMs`), or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${Math.round(timeoutMs)} ms`);
    await sleep(everyMs);
  }
}
