// Logs: every call of a task (or of all tasks) as one group — when, which request, what served it, cold or warm, how
// long, how much memory, who called and how it ended — over its START, lines, END and REPORT; a call's timeline on
// a click; new calls as they come while Live is on.
import { memo, useCallback, useEffect, useMemo, useState } from "react";
import { useStore } from "zustand";
import type { InvocationView, LogRecord } from "../../main/contract.ts";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { TimelineWaterfall } from "../components/timeline-waterfall.tsx";
import { formatAge, formatClock, formatMemory, formatPreciseMs } from "../logic/format.ts";
import {
  callerText,
  invocationMatches,
  lambdaLines,
  outcomeText,
  targetText,
} from "../logic/invocation-text.ts";
import { RANGE_LABELS } from "../logic/metrics-scope.ts";
import { LOGS_POLL_MS, MAX_GROUPS } from "../stores/logs-store.ts";
import { RangePicker, TaskAliasPicker } from "./metric-controls.tsx";

/** Typing a request id re-reads once the typing stops, not on every key. */
const REQUEST_ID_SETTLE_MS = 400;
const NO_RECORDS: LogRecord[] = [];

export function LogsView() {
  const { logs, ui, session } = useStores();
  const st = useStore(logs);
  const query = useStore(ui, (s) => s.query);
  const activeId = useStore(session, (s) => s.activeId);
  const [requestId, setRequestId] = useState(st.filter.requestId);
  const [now, setNow] = useState(Date.now());
  // Stable, so a call's group is not drawn again for every record of another call.
  const openTimeline = useCallback((id: string | null) => logs.getState().openTimeline(id), [logs]);
  const closeTimeline = useCallback(() => logs.getState().openTimeline(null), [logs]);

  useEffect(() => logs.getState().watch(), [logs, activeId]);
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(h);
  }, []);
  // The store's request id changes from elsewhere too (the Invoke view opens one call here).
  useEffect(() => setRequestId(st.filter.requestId), [st.filter.requestId]);
  useEffect(() => {
    if (requestId.trim() === logs.getState().filter.requestId.trim()) return;
    const h = setTimeout(
      () => logs.getState().setFilter({ requestId: requestId.trim() }),
      REQUEST_ID_SETTLE_MS,
    );
    return () => clearTimeout(h);
  }, [requestId, logs]);

  const f = st.filter;
  // Searched again when the calls or the search change, not on every tick of the clock.
  const { invocations, records, running: runningIds, text } = st;
  const shown = useMemo(
    () =>
      invocations.filter((v) => {
        const kept = records[v.requestId] ?? NO_RECORDS;
        return invocationMatches(v, kept, text) && invocationMatches(v, kept, query);
      }),
    [invocations, records, text, query],
  );
  const running = useMemo(
    () =>
      runningIds.filter((id) => {
        const words = [id, ...(records[id] ?? NO_RECORDS).map((r) => r.line)];
        return matches(text, ...words) && matches(query, ...words);
      }),
    [runningIds, records, text, query],
  );
  const open =
    st.timeline === null ? null : (st.invocations.find((v) => v.requestId === st.timeline) ?? null);
  const byId = f.requestId.trim() !== "";
  const scopeText = byId ? "this request id, whatever its age" : `the last ${RANGE_LABELS[f.range]}`;

  return (
    <section data-testid="view-logs">
      <header className="view-head">
        <h1>Logs</h1>
        <p>
          Each call with its figures over the lines it printed, framed as Lambda frames them (START, END,
          REPORT). Click a call for its timeline: where its time went, from the queue to the answer.
        </p>
      </header>
      <div className="toolbar">
        <TaskAliasPicker
          testIdPrefix="logs"
          task={f.task}
          alias={f.alias}
          onChange={(task, alias) => logs.getState().setFilter({ task, alias })}
        />
        <RangePicker
          testIdPrefix="logs"
          range={f.range}
          disabled={byId}
          onChange={(range) => logs.getState().setFilter({ range })}
        />
        <label>
          Search
          <input
            type="search"
            data-testid="logs-search"
            placeholder="text in lines, caller, error…"
            value={st.text}
            onChange={(e) => logs.getState().setText(e.target.value)}
          />
        </label>
        <label>
          Request id
          <input
            type="search"
            className="mono"
            data-testid="logs-request-id"
            placeholder="any"
            spellCheck={false}
            value={requestId}
            onChange={(e) => setRequestId(e.target.value)}
          />
        </label>
        <label className="check live-toggle" title="Show new calls as they come">
          <input
            type="checkbox"
            data-testid="logs-live"
            checked={st.live}
            onChange={(e) => logs.getState().setLive(e.target.checked)}
          />
          Live
        </label>
        <button
          className="btn"
          type="button"
          data-testid="logs-refresh"
          onClick={() => void logs.getState().refresh(true)}
        >
          Refresh
        </button>
      </div>
      <p className="muted small" data-testid="logs-status">
        {st.loaded ? `${shown.length} of ${st.invocations.length} calls in ${scopeText}` : "loading…"}
        {st.live && (
          <>
            {" · "}
            <span className="live-dot" aria-hidden="true" />{" "}
            {f.task && !byId
              ? "live: new calls appear as they print"
              : `live: re-read every ${LOGS_POLL_MS / 1000} s`}
          </>
        )}
        {!st.live && st.updatedAt !== null && ` · updated ${formatAge(now - st.updatedAt)} ago`}
      </p>
      <ErrorNote error={st.error} testId="logs-error" />
      {st.invocations.length >= MAX_GROUPS && (
        <p className="note small">
          Showing the newest {MAX_GROUPS} calls; pick a task or a shorter range to see older ones.
        </p>
      )}
      {st.loaded && shown.length === 0 && running.length === 0 && (
        <EmptyState testId="empty-logs" title={st.invocations.length === 0 ? "No calls" : "Nothing matches"}>
          {st.invocations.length === 0
            ? `No call in ${scopeText}. Invoke a task (Invoke), or turn on Live and call it from elsewhere.`
            : "No call here matches the search; clear it to see them all."}
        </EmptyState>
      )}
      <div className="log-groups">
        {running.map((id) => (
          <RunningGroup key={id} requestId={id} records={st.records[id] ?? NO_RECORDS} />
        ))}
        {shown.map((v) => (
          <InvocationGroup
            key={v.requestId}
            call={v}
            records={st.records[v.requestId] ?? NO_RECORDS}
            selected={v.requestId === st.timeline}
            onOpen={openTimeline}
          />
        ))}
      </div>
      {st.timeline !== null && (
        <TimelineDialog requestId={st.timeline} call={open} loading={!st.loaded} onClose={closeTimeline} />
      )}
    </section>
  );
}

/** Peak memory against the limit, as a bar and "45 / 256 MB". */
function MemoryUse({ used, limit }: { used: number; limit: number }) {
  const pct = limit > 0 ? Math.min(100, (used / limit) * 100) : 0;
  return (
    <span className="mem-use" data-testid="logs-memory" title="peak memory of the sandbox against its limit">
      <span className="mem-bar" aria-hidden="true">
        <span className={`mem-fill${pct >= 90 ? " high" : ""}`} style={{ width: `${pct}%` }} />
      </span>
      {formatMemory(used, limit)}
    </span>
  );
}

function OutcomeBadge({ call }: { call: InvocationView }) {
  const tone = call.outcome === "ok" ? "ok" : call.outcome === "error" ? "bad" : "warn";
  return (
    <span className={`badge ${tone}`} data-testid="logs-outcome" data-outcome={call.outcome}>
      {outcomeText(call)}
    </span>
  );
}

/** One call: its header of figures, then its log. Drawn again only when its own call or records change. */
const InvocationGroup = memo(function InvocationGroup({
  call: v,
  records,
  selected,
  onOpen,
}: {
  call: InvocationView;
  records: LogRecord[];
  selected: boolean;
  onOpen: (requestId: string) => void;
}) {
  const served = v.servedVersion ?? v.version;
  return (
    <article
      className={`log-group outcome-${v.outcome}${selected ? " selected" : ""}`}
      data-testid={`logs-group-${v.requestId}`}
      data-cold={v.coldStart}
      onClick={() => {
        // Selecting text in the log is not a click on the call.
        if (window.getSelection()?.toString()) return;
        onOpen(v.requestId);
      }}
    >
      <header className="log-group-head">
        <span className="mono muted" title={v.t}>
          {formatClock(v.t)}
        </span>
        <OutcomeBadge call={v} />
        <button
          type="button"
          className="link mono"
          data-testid="logs-open-timeline"
          title="Open this call's timeline"
          onClick={(e) => {
            e.stopPropagation();
            onOpen(v.requestId);
          }}
        >
          {v.requestId}
        </button>
        <strong>{targetText(v)}</strong>
        <span
          className="muted"
          title={served !== v.version ? `asked for ${v.version}` : "the version that served it"}
        >
          {served === "$LATEST" ? served : `version ${served}`}
        </span>
        {v.coldStart ? (
          <Badge tone="info" testId="logs-start">
            {v.vmTake ? `cold · VM ${v.vmTake}` : "cold"}
          </Badge>
        ) : (
          <Badge tone="muted" testId="logs-start">
            warm
          </Badge>
        )}
        <span data-testid="logs-duration" title="the handler's duration">
          {formatPreciseMs(v.durationMs)}
        </span>
        {v.coldStart && v.initDurationMs !== undefined && (
          <span data-testid="logs-init" className="muted" title="the module's init (Lambda's Init Duration)">
            init {formatPreciseMs(v.initDurationMs)}
          </span>
        )}
        <MemoryUse used={v.maxMemoryUsedMb} limit={v.memoryMb} />
        <span data-testid="logs-caller" className="muted" title={`called as ${v.via.kind}`}>
          by {callerText(v)}
        </span>
      </header>
      <LogLines records={records} />
    </article>
  );
});

/** A call the tail saw start and the host has not listed yet: its lines so far. */
function RunningGroup({ requestId, records }: { requestId: string; records: LogRecord[] }) {
  const started = records[0]?.t;
  return (
    <article className="log-group running" data-testid={`logs-running-${requestId}`}>
      <header className="log-group-head">
        <span className="mono muted">{started ? formatClock(started) : ""}</span>
        <span className="mono">{requestId}</span>
        <Badge tone="warn">running…</Badge>
      </header>
      <LogLines records={records} />
    </article>
  );
}

function LogLines({ records }: { records: LogRecord[] }) {
  if (records.length === 0) {
    return (
      <div className="log-lines muted small" data-testid="logs-lines">
        No log kept for this call (a throttled call prints nothing; old logs rotate away).
      </div>
    );
  }
  return (
    <div className="log-lines mono" data-testid="logs-lines">
      {lambdaLines(records).map((l, i) => (
        <div key={i} className={`log-line ${l.kind}${l.stream === "stderr" ? " stderr" : ""}`}>
          {l.text}
        </div>
      ))}
    </div>
  );
}

/** The open call's timeline over the page; Escape, the close button or a click beside it closes it. */
function TimelineDialog({
  requestId,
  call,
  loading,
  onClose,
}: {
  requestId: string;
  call: InvocationView | null;
  loading: boolean;
  onClose: () => void;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal timeline-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="timeline-title"
        data-testid="timeline-dialog"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="panel-head">
          <h2 id="timeline-title">Timeline</h2>
          <span className="mono muted small">{requestId}</span>
          <button
            className="btn small"
            type="button"
            data-testid="timeline-close"
            autoFocus
            onClick={onClose}
          >
            Close
          </button>
        </div>
        {call ? (
          <>
            <p className="muted" data-testid="timeline-summary">
              {targetText(call)} · version {call.servedVersion ?? call.version} · {formatClock(call.t)} ·{" "}
              {call.coldStart ? `cold start${call.vmTake ? `, VM ${call.vmTake}` : ""}` : "warm"}
              {call.vm ? ` on ${call.vm}` : ""} · {outcomeText(call)}
            </p>
            <TimelineWaterfall call={call} />
            <p className="muted small">
              Queue: waiting for a sandbox. VM: taking a VM for a cold start. Load: starting the runtime.
              Init: the module&apos;s own init. Handler: the handler, as measured in the VM. Transfer: the
              event&apos;s way in and the answer&apos;s way out. Host: Hearth&apos;s own work around the call.
            </p>
          </>
        ) : (
          <p className="muted">
            {loading
              ? "Loading…"
              : "This call is not among those listed: widen the range, or clear the filters."}
          </p>
        )}
      </div>
    </div>
  );
}
