// Monitor: a task's (or all tasks') numbers over a range — invocations, errors, throttles, cold starts, duration
// percentiles, peak memory against the limit, concurrency — as totals and as charts per period, kept current while
// the view is shown.
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useStore } from "zustand";
import type { StatsFigures } from "../../main/contract.ts";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { TimeChart, type ChartData, type ChartSeries } from "../components/time-chart.tsx";
import { formatAge, formatMemory, formatPreciseMs } from "../logic/format.ts";
import { RANGE_LABELS } from "../logic/metrics-scope.ts";
import { periodText, statsColumns, type StatsColumns } from "../logic/stats-series.ts";
import { MONITOR_REFRESH_MS } from "../stores/monitor-store.ts";
import { TelemetryPanel } from "./telemetry-panel.tsx";
import { RangePicker, TaskAliasPicker } from "./metric-controls.tsx";

// Each chart's series, fixed for the view's life: a chart is made once and only its data changes.
const CALLS: ChartSeries[] = [
  { label: "invocations", color: "--chart-calls", kind: "bars" },
  { label: "errors", color: "--chart-errors", kind: "bars" },
  { label: "throttles", color: "--chart-throttles" },
];
const DURATION: ChartSeries[] = [
  { label: "p50 ms", color: "--chart-p50" },
  { label: "p95 ms", color: "--chart-p95" },
  { label: "p99 ms", color: "--chart-p99" },
];
const COLD: ChartSeries[] = [{ label: "cold starts", color: "--chart-cold", kind: "bars" }];
const MEMORY: ChartSeries[] = [
  { label: "peak MB", color: "--chart-memory" },
  { label: "limit MB", color: "--chart-limit", kind: "dashed" },
];
const CONCURRENCY: ChartSeries[] = [{ label: "at once", color: "--chart-concurrency", kind: "step" }];

/** What the charts hold before the first answer: no points, axes still drawn. */
const EMPTY: StatsColumns = {
  calls: [[], [], [], []],
  duration: [[], [], [], []],
  coldStarts: [[], []],
  memory: [[], [], []],
  concurrency: [[], []],
};

export function MonitorView() {
  const { monitor, session } = useStores();
  const st = useStore(monitor);
  const activeId = useStore(session, (s) => s.activeId);
  const [now, setNow] = useState(Date.now());

  useEffect(() => monitor.getState().watch(MONITOR_REFRESH_MS), [monitor, activeId]);
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(h);
  }, []);

  const stats = st.stats;
  const columns = useMemo(() => (stats ? statsColumns(stats) : EMPTY), [stats]);
  const per = stats ? ` per ${periodText(stats.periodMs)}` : "";
  const t = stats?.totals ?? null;

  return (
    <section data-testid="view-monitor">
      <header className="view-head">
        <h1>Monitor</h1>
        <p>
          How a task is doing, as Lambda&apos;s metrics tell it: calls, errors, throttles and cold starts;
          handler durations by percentile; peak memory against the limit; calls running at once. Refreshed
          every {MONITOR_REFRESH_MS / 1000} s.
        </p>
      </header>
      <div className="toolbar">
        <TaskAliasPicker
          testIdPrefix="monitor"
          task={st.task}
          alias={st.alias}
          onChange={(task, alias) => monitor.getState().choose({ task, alias })}
        />
        <RangePicker
          testIdPrefix="monitor"
          range={st.range}
          onChange={(range) => monitor.getState().choose({ range })}
        />
        <span className="muted small" data-testid="monitor-updated">
          {st.updatedAt !== null ? `updated ${formatAge(now - st.updatedAt)} ago` : "loading…"}
        </span>
      </div>
      <ErrorNote error={st.error} testId="monitor-error" />
      <Figures totals={t} range={RANGE_LABELS[st.range]} />
      <TelemetryPanel />
      <div className="chart-grid">
        <TimeChart
          title={`Invocations, errors and throttles${per}`}
          testId="monitor-chart-calls"
          series={CALLS}
          data={columns.calls as ChartData}
        />
        <TimeChart
          title={`Duration p50 / p95 / p99 (ms)${per}`}
          testId="monitor-chart-duration"
          series={DURATION}
          data={columns.duration as ChartData}
        />
        <TimeChart
          title={`Cold starts${per}`}
          testId="monitor-chart-cold"
          series={COLD}
          data={columns.coldStarts as ChartData}
        />
        <TimeChart
          title={`Peak memory and the limit (MB)${per}`}
          testId="monitor-chart-memory"
          series={MEMORY}
          data={columns.memory as ChartData}
        />
        <TimeChart
          title={`Concurrency (calls at once)${per}`}
          testId="monitor-chart-concurrency"
          series={CONCURRENCY}
          data={columns.concurrency as ChartData}
        />
      </div>
    </section>
  );
}

/** The range's totals as numbers; "…" until the first answer for the chosen scope. */
function Figures({ totals: t, range }: { totals: StatsFigures | null; range: string }) {
  const d = t?.duration ?? null;
  const n = (v: number | undefined) => (t === null || v === undefined ? "…" : String(v));
  const msText = (v: number | undefined) => (t === null ? "…" : formatPreciseMs(v));
  const pct = t && t.memoryMb > 0 ? Math.min(100, (t.maxMemoryUsedMb / t.memoryMb) * 100) : 0;
  return (
    <div className="stat-grid" data-testid="monitor-figures" aria-label={`totals over the last ${range}`}>
      <Stat label="Invocations" testId="monitor-invocations" value={n(t?.invocations)} />
      <Stat
        label="Errors"
        testId="monitor-errors"
        value={n(t?.errors)}
        tone={t && t.errors > 0 ? "bad" : undefined}
      />
      <Stat
        label="Throttles"
        testId="monitor-throttles"
        value={n(t?.throttles)}
        tone={t && t.throttles > 0 ? "warn" : undefined}
      />
      <Stat label="Cold starts" testId="monitor-cold-starts" value={n(t?.coldStarts)} />
      <Stat label="p50" testId="monitor-p50" value={msText(d?.p50)} />
      <Stat label="p95" testId="monitor-p95" value={msText(d?.p95)} />
      <Stat label="p99" testId="monitor-p99" value={msText(d?.p99)} />
      <Stat
        label="Peak memory"
        testId="monitor-peak-memory"
        value={t === null ? "…" : formatMemory(t.maxMemoryUsedMb, t.memoryMb)}
      >
        <span className="mem-bar wide" aria-hidden="true">
          <span className={`mem-fill${pct >= 90 ? " high" : ""}`} style={{ width: `${pct}%` }} />
        </span>
      </Stat>
      <Stat label="Concurrency" testId="monitor-concurrency" value={n(t?.concurrency)} />
    </div>
  );
}

function Stat({
  label,
  testId,
  value,
  tone,
  children,
}: {
  label: string;
  testId: string;
  value: string;
  tone?: "bad" | "warn" | undefined;
  children?: ReactNode;
}) {
  return (
    <div className={`stat${tone ? ` ${tone}` : ""}`}>
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      {children}
    </div>
  );
}
