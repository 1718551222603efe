// One invocation at a time from the window: the target, the payload, live log lines as they arrive, then the outcome.
import { createStore } from "zustand/vanilla";
import type { HearthApi, InvocationEvent, InvocationResult } from "../../main/contract.ts";
import { readableError, type ReadableError } from "../logic/errors.ts";
import { checkPayload, type PayloadProblem } from "../logic/payload.ts";

export interface InvokeTarget {
  task: string;
  /** A version number, `$LATEST` or an alias name. */
  qualifier?: string;
  /** Set for another profile's task, reached through one of the acting profile's aliases. */
  ownerAccountId?: string;
}

export interface LogLine {
  /** Time the host stamped the line. */
  t: string;
  stream: "stdout" | "stderr";
  line: string;
  /** When the window received it (ms since the run started), to show that lines stream. */
  atMs: number;
}

export interface RunRecord {
  target: string;
  ok: boolean;
  durationMs: number;
  at: number;
}

export interface InvokeState {
  target: InvokeTarget | null;
  payload: string;
  payloadProblem: PayloadProblem | null;
  running: boolean;
  requestId: string | null;
  logs: LogLine[];
  result: InvocationResult | null;
  /** A failure to run at all (not found, forbidden, no VM); a handler's own error is in result.error. */
  error: ReadableError | null;
  /** When the run under way started (the store's clock). */
  startedAt: number | null;
  /** Wall time of the last run as the window saw it. */
  elapsedMs: number | null;
  /** Recent runs' durations, newest last, for the latency chart. */
  recent: RunRecord[];
  setTarget(target: InvokeTarget | null): void;
  setPayload(text: string): void;
  run(): Promise<void>;
  reset(): void;
}

export const MAX_RECENT = 40;
/** A task that prints without end would otherwise grow the page without bound. */
export const MAX_LOG_LINES = 5000;

export function targetLabel(t: InvokeTarget): string {
  return `${t.ownerAccountId ? `${t.ownerAccountId}/` : ""}${t.task}${t.qualifier ? `:${t.qualifier}` : ""}`;
}

export function createInvokeStore(
  api: Pick<HearthApi, "invokeStream">,
  now: () => number = () => Date.now(),
) {
  /** Bumped by reset and setTarget: events of a run the user walked away from are dropped. */
  let generation = 0;
  return createStore<InvokeState>()((set, get) => ({
    target: null,
    payload: "{}",
    payloadProblem: null,
    running: false,
    requestId: null,
    logs: [],
    result: null,
    error: null,
    startedAt: null,
    elapsedMs: null,
    recent: [],
    setTarget(target) {
      // A run in flight is left to finish on the host; the window stops listening to it.
      generation++;
      set({ target, running: false, logs: [], result: null, error: null, requestId: null, elapsedMs: null });
    },
    setPayload(text) {
      set({ payload: text, payloadProblem: checkPayload(text) });
    },
    async run() {
      const { target, payload, running } = get();
      if (running || target === null) return;
      const problem = checkPayload(payload);
      if (problem) {
        set({ payloadProblem: problem });
        return;
      }
      const started = now();
      const mine = ++generation;
      set({
        running: true,
        startedAt: started,
        logs: [],
        result: null,
        error: null,
        requestId: null,
        elapsedMs: null,
      });
      let ended = false;
      const finish = (): void => {
        const elapsedMs = now() - started;
        const r = get().result;
        set((s) => ({
          running: false,
          elapsedMs,
          recent: [
            ...s.recent,
            {
              target: targetLabel(target),
              ok: r?.ok ?? false,
              durationMs: r?.durationMs ?? elapsedMs,
              at: now(),
            },
          ].slice(-MAX_RECENT),
        }));
      };
      const onEvent = (e: InvocationEvent): void => {
        if (mine !== generation) return;
        switch (e.type) {
          case "start":
            set({ requestId: e.requestId });
            break;
          case "log":
            set((s) =>
              s.logs.length >= MAX_LOG_LINES
                ? s
                : { logs: [...s.logs, { t: e.t, stream: e.stream, line: e.line, atMs: now() - started }] },
            );
            break;
          case "result":
            ended = true;
            set({ result: e.result, requestId: e.result.requestId });
            break;
          case "error":
            ended = true;
            set({
              error: {
                code: e.error.code,
                message: e.error.message,
                ...(e.error.field ? { field: e.error.field } : {}),
              },
            });
            break;
        }
      };
      try {
        await api.invokeStream(
          {
            task: target.task,
            ...(target.qualifier ? { qualifier: target.qualifier } : {}),
            ...(target.ownerAccountId ? { ownerAccountId: target.ownerAccountId } : {}),
            payload: payload.trim() === "" ? "{}" : payload,
          },
          onEvent,
        );
        if (!ended && mine === generation) {
          set({
            error: { code: "STREAM_ENDED", message: "the connection closed before the invocation finished" },
          });
        }
      } catch (err) {
        if (mine === generation) set({ error: readableError(err) });
      } finally {
        if (mine === generation) finish();
      }
    },
    reset() {
      generation++;
      set({
        target: null,
        logs: [],
        result: null,
        error: null,
        requestId: null,
        elapsedMs: null,
        running: false,
      });
    },
  }));
}

export type InvokeStore = ReturnType<typeof createInvokeStore>;
