// Counts the reliability suite's files add up (faults, bad inputs, invocations), kept in one file per test run so
// the last file of the suite can print them as one line.
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TallyCounts {
  faultsInjected?: number;
  faultsSurvived?: number;
  badInputsTried?: number;
  badInputsRefused?: number;
  /** Bad inputs Hearth is known to take today: reported, not counted as refused. */
  badInputsKnownGaps?: number;
  invocationsSent?: number;
  invocationsAnswered?: number;
  invocationsLost?: number;
  escapesTried?: number;
  escapesContained?: number;
  /** Escapes known to get through today: reported, not counted as contained. */
  escapesKnownGaps?: number;
  /** Attacks by hostile task code on the host every profile shares and on neighbouring sandboxes. */
  attacksTried?: number;
  attacksHeld?: number;
}

export interface TallyEntry extends TallyCounts {
  /** Which part of the suite counted these: "faults", "load", "isolation", "bad-input". */
  part: string;
  /** What was counted, for the record (a test's name). */
  what: string;
}

/**
 * Test files run as children of one `node --test` process, so its pid names the run; HEARTH_RELIABILITY_TALLY
 * names another file (to sum several runs, or to look at one).
 */
export function tallyFile(): string {
  return process.env.HEARTH_RELIABILITY_TALLY ?? join(tmpdir(), `hearth-reliability-${process.ppid}.jsonl`);
}

/** Adds one entry; entries are lines, so files that run one after another never overwrite each other. */
export function tally(part: string, what: string, counts: TallyCounts): void {
  appendFileSync(tallyFile(), `${JSON.stringify({ part, what, ...counts } satisfies TallyEntry)}\n`);
}

export function readTally(): TallyEntry[] {
  let text: string;
  try {
    text = readFileSync(tallyFile(), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TallyEntry);
}

export function clearTally(): void {
  rmSync(tallyFile(), { force: true });
}

export interface TallySums extends Required<TallyCounts> {
  parts: string[];
}

export function sumTally(entries: TallyEntry[]): TallySums {
  const s: TallySums = {
    faultsInjected: 0,
    faultsSurvived: 0,
    badInputsTried: 0,
    badInputsRefused: 0,
    badInputsKnownGaps: 0,
    invocationsSent: 0,
    invocationsAnswered: 0,
    invocationsLost: 0,
    escapesTried: 0,
    escapesContained: 0,
    escapesKnownGaps: 0,
    attacksTried: 0,
    attacksHeld: 0,
    parts: [],
  };
  for (const e of entries) {
    for (const k of Object.keys(e) as (keyof TallyEntry)[]) {
      if (k === "part" || k === "what") continue;
      s[k] += e[k] ?? 0;
    }
    if (!s.parts.includes(e.part)) s.parts.push(e.part);
  }
  return s;
}

/**
 * Runs one attack by hostile task code and counts it for the summary: tried when it starts, held only when every
 * check after it passed.
 */
export async function attack<T>(what: string, run: () => Promise<T>): Promise<T> {
  tally("hostile", what, { attacksTried: 1 });
  const result = await run();
  tally("hostile", what, { attacksHeld: 1 });
  return result;
}
