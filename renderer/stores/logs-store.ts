// The Logs view's calls: each invocation's figures (listInvocations) with its kept log lines (queryLogs), for one
// task or all of them over a time range; and, while "Live" is on, new calls as they come (the task's live tail, or
// a poll for all tasks).
import { createStore } from "zustand/vanilla";
import type { HearthApi, InvocationView, LogRecord } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import { recordKey } from "../logic/invocation-text.ts";
import { taskFields, type Range, type TaskRef } from "../logic/metrics-scope.ts";
import { realTimers, type Timers } from "./timers.ts";

/** All tasks have no single live tail: their calls are re-read this often while Live is on. */
export const LOGS_POLL_MS = 2000;
/** On one task's tail, a slow re-read still brings in calls that print nothing (a throttle has no log). */
export const LOGS_LIVE_REFRESH_MS = 10_000;
/** Calls end in bursts: one re-read per burst. */
export const LOGS_END_SETTLE_MS = 250;
/** The newest calls shown at once. */
export const MAX_GROUPS = 200;
/** A call that prints without end keeps its first lines (and its END) rather than growing the page. */
export const MAX_LINES_PER_CALL = 2000;
/** Calls seen starting on the tail and not yet listed. */
const MAX_RUNNING = 50;

export interface LogsFilter {
  /** null: all of the profile's own tasks. */
  task: TaskRef | null;
  /** One of the profile's aliases on the chosen task. */
  alias: string | null;
  range: Range;
  /** A request id, exactly; found whatever its age. */
  requestId: string;
}

export interface LogsState {
  filter: LogsFilter;
  /** Searched in what is loaded: ids, targets, callers, outcomes and lines. */
  text: string;
  live: boolean;
  /** Newest first. */
  invocations: InvocationView[];
  /** Each call's records, by request id, in the order the log kept them. */
  records: Record<string, LogRecord[]>;
  /** Calls the live tail saw start that the host has not listed yet (they are still running), newest first. */
  running: string[];
  loaded: boolean;
  loading: boolean;
  error: ReadableError | null;
  updatedAt: number | null;
  /** The call whose timeline is open. */
  timeline: string | null;
  setFilter(patch: Partial<LogsFilter>): void;
  setText(text: string): void;
  setLive(live: boolean): void;
  /** Re-reads the calls; a re-read already under way answers for a timer's, not for a change of filter. */
  refresh(force?: boolean): Promise<void>;
  /** Loads now and keeps up while Live is on, until the returned function is called (the view leaves). */
  watch(): () => void;
  /** One record from the live tail. */
  applyRecord(r: LogRecord): void;
  openTimeline(requestId: string | null): void;
  /** Shows one call of a task with its timeline open (the Invoke view's request id). */
  /** Opens one call with its timeline; `task` null looks for it among all of the profile's own tasks. */
  showInvocation(requestId: string, task: TaskRef | null): void;
  reset(): void;
}

type LogsApi = Pick<HearthApi, "call" | "liveLogs">;

const initialFilter: LogsFilter = { task: null, alias: null, range: "1h", requestId: "" };

function emptyCalls() {
  return { invocations: [], records: {}, running: [], loaded: false, error: null, updatedAt: null };
}

/** Appends a record unless the call already holds it (the kept log and the tail overlap around a re-read). */
function withRecord(list: readonly LogRecord[] | undefined, r: LogRecord): LogRecord[] | null {
  if (!list) return [r];
  const last = list[list.length - 1];
  // The tail delivers in order: only a record no later than the last one kept can be a repeat.
  if (last && r.t <= last.t) {
    const key = recordKey(r);
    if (list.some((x) => recordKey(x) === key)) return null;
  }
  if (r.kind === "line" && list.length >= MAX_LINES_PER_CALL) return null;
  return [...list, r];
}

export function createLogsStore(api: LogsApi, timers: Timers = realTimers, now: () => number = Date.now) {
  /** The latest re-read wins: an answer for a filter since changed is dropped. */
  let latest = 0;
  let inFlight: Promise<void> | null = null;
  /** Restarts the current watch for a new filter or Live setting; null while the view is not shown. */
  let rewatch: (() => void) | null = null;

  /** The kept records of the listed calls: one query per task, from a little before the oldest call on. */
  async function keptRecords(f: LogsFilter, calls: InvocationView[]): Promise<Record<string, LogRecord[]>> {
    const out: Record<string, LogRecord[]> = {};
    if (calls.length === 0) return out;
    const ids = new Set(calls.map((c) => c.requestId));
    const oldest = Math.min(...calls.map((c) => Date.parse(c.t)));
    const since = new Date(oldest - 1000).toISOString();
    // Without a task, every call listed is of one of the profile's own tasks.
    const tasks: TaskRef[] = f.task
      ? [f.task]
      : [...new Set(calls.map((c) => c.task))].map((task) => ({ task }));
    const id = f.requestId.trim();
    const answers = await Promise.all(
      tasks.map((t) =>
        api.call("queryLogs", {
          ...(taskFields(t) as { task: string; ownerAccountId?: string }),
          ...(id ? { invocation: id } : { since }),
          limit: 10_000,
        }),
      ),
    );
    for (const records of answers) {
      for (const r of records) {
        if (!ids.has(r.inv)) continue;
        (out[r.inv] ??= []).push(r);
      }
    }
    return out;
  }

  return createStore<LogsState>()((set, get) => ({
    filter: initialFilter,
    text: "",
    live: false,
    ...emptyCalls(),
    loading: false,
    timeline: null,
    setFilter(patch) {
      set((s) => ({ filter: { ...s.filter, ...patch }, ...emptyCalls() }));
      latest++;
      if (rewatch) rewatch();
    },
    setText(text) {
      set({ text });
    },
    setLive(live) {
      set({ live });
      if (rewatch) rewatch();
    },
    refresh(force = false) {
      if (inFlight && !force) return inFlight;
      const seq = ++latest;
      const f = get().filter;
      const id = f.requestId.trim();
      set({ loading: true });
      const run: Promise<void> = (async () => {
        try {
          const calls = await api.call("listInvocations", {
            ...taskFields(f.task),
            ...(f.task && f.alias ? { alias: f.alias } : {}),
            ...(id ? { invocation: id } : { since: f.range }),
            limit: MAX_GROUPS,
          });
          const kept = await keptRecords(f, calls);
          if (seq !== latest) return;
          const listed = new Set(calls.map((c) => c.requestId));
          const s = get();
          // What the tail delivered while this re-read was under way stays, once.
          const records: Record<string, LogRecord[]> = kept;
          for (const [inv, list] of Object.entries(s.records)) {
            if (!listed.has(inv) && !s.running.includes(inv)) continue;
            let merged = records[inv] ?? [];
            for (const r of list) merged = withRecord(merged, r) ?? merged;
            records[inv] = merged;
          }
          set({
            invocations: calls,
            records,
            running: s.running.filter((inv) => !listed.has(inv)),
            loaded: true,
            loading: false,
            error: null,
            updatedAt: now(),
          });
        } catch (err) {
          if (seq === latest) set({ loading: false, error: readableError(err) });
        }
      })().finally(() => {
        if (inFlight === run) inFlight = null;
      });
      inFlight = run;
      return run;
    },
    watch() {
      let stopTail: (() => void) | null = null;
      let poll: unknown = null;
      let settle: unknown = null;
      const start = () => {
        const { live, filter } = get();
        void get().refresh(true);
        if (!live) return;
        if (filter.task && filter.requestId.trim() === "") {
          const task = filter.task;
          stopTail = api.liveLogs(taskFields(task) as { task: string; ownerAccountId?: string }, (r) => {
            get().applyRecord(r);
            if (r.kind === "end" && settle === null) {
              settle = timers.setTimeout(() => {
                settle = null;
                void get().refresh();
              }, LOGS_END_SETTLE_MS);
            }
          });
          poll = timers.setInterval(() => void get().refresh(), LOGS_LIVE_REFRESH_MS);
        } else {
          poll = timers.setInterval(() => void get().refresh(), LOGS_POLL_MS);
        }
      };
      const stop = () => {
        stopTail?.();
        stopTail = null;
        if (poll !== null) timers.clearInterval(poll);
        if (settle !== null) timers.clearTimeout(settle);
        poll = settle = null;
      };
      start();
      const again = () => {
        stop();
        start();
      };
      rewatch = again;
      return () => {
        stop();
        if (rewatch === again) rewatch = null;
      };
    },
    applyRecord(r) {
      const s = get();
      const listed = s.invocations.some((v) => v.requestId === r.inv);
      // A call through an alias cannot be told from the tail alone: it shows once the host lists it.
      const mayShow = listed || (s.filter.alias === null && s.filter.requestId.trim() === "");
      if (!mayShow) return;
      const next = withRecord(s.records[r.inv], r);
      const starts = !listed && !s.running.includes(r.inv);
      if (next === null && !starts) return;
      set({
        ...(next ? { records: { ...s.records, [r.inv]: next } } : {}),
        ...(starts ? { running: [r.inv, ...s.running].slice(0, MAX_RUNNING) } : {}),
      });
    },
    openTimeline(requestId) {
      set({ timeline: requestId });
    },
    showInvocation(requestId, task) {
      set((s) => ({
        filter: { ...s.filter, task, alias: null, requestId },
        text: "",
        timeline: requestId,
        ...emptyCalls(),
      }));
      latest++;
      if (rewatch) rewatch();
    },
    reset() {
      latest++;
      set({ filter: initialFilter, text: "", timeline: null, loading: false, ...emptyCalls() });
      if (rewatch) rewatch();
    },
  }));
}

export type LogsStore = ReturnType<typeof createLogsStore>;
