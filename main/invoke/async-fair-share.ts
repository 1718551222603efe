// Which profile's queued async invocation runs next: round robin across profiles, each held to a share of the workers.

export interface FairShareInput {
  /** Workers in all. */
  concurrency: number;
  /** The most workers one profile may hold even when nobody else waits. */
  maxPerProfile: number;
  /** Invocations running now, by profile. */
  running: ReadonlyMap<string, number>;
  /** Profiles with an invocation ready to run, in round-robin order (the one served longest ago first). */
  waiting: readonly string[];
}

/**
 * The profile to give the next free worker, or null when every waiting profile holds what it may. A profile
 * below its fair share (the workers split evenly among the profiles running or waiting) goes first, so one
 * profile's flood or its long retries cannot keep another's invocation queued for longer than the next worker
 * takes to free; a worker nobody below its share wants is lent, least-served first, up to maxPerProfile.
 */
export function nextProfile(o: FairShareInput): string | null {
  const held = (p: string): number => o.running.get(p) ?? 0;
  const active = new Set(o.waiting);
  for (const [p, n] of o.running) if (n > 0) active.add(p);
  const share = Math.max(1, Math.floor(o.concurrency / Math.max(1, active.size)));
  const fair = o.waiting.find((p) => held(p) < share && held(p) < o.maxPerProfile);
  if (fair !== undefined) return fair;
  let lent: string | null = null;
  for (const p of o.waiting) {
    if (held(p) >= o.maxPerProfile) continue;
    if (lent === null || held(p) < held(lent)) lent = p;
  }
  return lent;
}

/** A profile's default ceiling: one worker always stays free for the other profiles, when there is more than one. */
export function defaultMaxPerProfile(concurrency: number): number {
  return Math.max(1, concurrency - 1);
}
