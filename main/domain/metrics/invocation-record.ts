// One invocation as the metrics keep it: who called what, how it ended, and where its time went (the timeline).

/** How the sandbox that served a cold start got its VM: one the profile held, a ready spare, or a new one. */
export type VmTake = "held" | "warm" | "restored" | "booted";

/** How an invocation ended: it ran (ok or a function error), or it was refused for a limit (a throttle). */
export type InvocationOutcome = "ok" | "error" | "throttle";

/** Who made the call, as the owner reads it: the profile, a token (by its label) or a teammate's remote call. */
export interface CallerLabel {
  kind: "profile" | "token" | "remote" | "api" | "async" | "url";
  /** A token's label, an API's name, a function URL's signer account (or "anonymous"); nothing for a profile. */
  label?: string;
}

/**
 * The phases of one invocation in milliseconds, in the order they happen; they add up to `total`.
 * A warm call has only queue, handler, transfer and host.
 */
export interface InvocationPhases {
  /** Waiting for a sandbox: limits, a busy line, another request's load. */
  queue: number;
  /** Taking a VM for the sandbox that served this cold start. */
  vm?: number;
  /** Loading that sandbox (unpacking, starting the runtime), its module's init excluded. */
  load?: number;
  /** The module's init (Lambda's Init Duration). */
  init?: number;
  /** The handler, as the runtime in the guest measured it. */
  handler?: number;
  /** The event's way to the VM and the result's way back (the round trip less the handler). */
  transfer?: number;
  /** Hearth's own work around it: resolving the target, logging. */
  host: number;
}

export interface InvocationRecord {
  /** The request id. */
  id: string;
  /** When the host took the call, epoch ms. */
  t: number;
  /** The task's id, and the profile owning it. */
  task: string;
  owner: string;
  /** The alias it went through, by id. */
  alias?: string;
  /** The profile it ran for (the caller, or the profile holding a token's alias). */
  caller: string;
  via: CallerLabel;
  /** The version the target resolved to, and the one that answered (an older one while a deploy loads). */
  version: string;
  served?: string;
  outcome: InvocationOutcome;
  /** A function error's type, or the code of a throttle or a failure around the handler. */
  errorType?: string;
  cold: boolean;
  /** The VM that ran it, and how a cold start's sandbox got it. */
  vm?: string;
  take?: VmTake;
  phases: InvocationPhases;
  /** From the host taking the call to its answer. */
  total: number;
  /** Peak memory of the sandbox, and its limit. */
  maxRssKb: number;
  memoryMb: number;
  /** Invocations of the task running when this one started, itself included. */
  concurrency: number;
}

/** Rounds a duration to hundredths of a millisecond: what is kept and shown. */
export function ms(n: number): number {
  return Math.round(Math.max(0, n) * 100) / 100;
}

const OUTCOMES = new Set<string>(["ok", "error", "throttle"]);
const TAKES = new Set<string>(["held", "warm", "restored", "booted"]);
const VIA = new Set<string>(["profile", "token", "remote", "api", "async", "url"]);

function num(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** A record read back from disk, checked field by field; null for anything that is not one (a damaged line). */
export function decodeInvocationRecord(v: unknown): InvocationRecord | null {
  if (typeof v !== "object" || v === null) return null;
  const r = v as Record<string, unknown>;
  const p = r.phases as Record<string, unknown> | undefined;
  const via = r.via as Record<string, unknown> | undefined;
  if (
    typeof r.id !== "string" ||
    !num(r.t) ||
    typeof r.task !== "string" ||
    typeof r.owner !== "string" ||
    typeof r.caller !== "string" ||
    typeof r.version !== "string" ||
    typeof r.outcome !== "string" ||
    !OUTCOMES.has(r.outcome) ||
    typeof r.cold !== "boolean" ||
    !num(r.total) ||
    !num(r.maxRssKb) ||
    !num(r.memoryMb) ||
    !num(r.concurrency) ||
    typeof p !== "object" ||
    p === null ||
    !num(p.queue) ||
    !num(p.host) ||
    typeof via !== "object" ||
    via === null ||
    typeof via.kind !== "string" ||
    !VIA.has(via.kind)
  ) {
    return null;
  }
  for (const k of ["vm", "load", "init", "handler", "transfer"]) {
    if (p[k] !== undefined && !num(p[k])) return null;
  }
  if (r.take !== undefined && !(typeof r.take === "string" && TAKES.has(r.take))) return null;
  for (const k of ["alias", "served", "errorType", "vm"]) {
    if (r[k] !== undefined && typeof r[k] !== "string") return null;
  }
  if (via.label !== undefined && typeof via.label !== "string") return null;
  return v as InvocationRecord;
}
