// The Pool over time: the chosen VM's (or every VM's, added up) QEMU PSS and guest memory, CPU, sandboxes, VM starts
// per hour, and a table of each VM's newest figures and peaks over the range.
import { useEffect, useMemo } from "react";
import { useStore } from "zustand";
import { RecordList } from "../components/list.tsx";
import { ErrorNote } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { TimeChart, type ChartData, type ChartSeries } from "../components/time-chart.tsx";
import { poolColumns, vmSummaries } from "../logic/pool-columns.ts";
import { periodText } from "../logic/stats-series.ts";
import { RangePicker } from "./metric-controls.tsx";

const MEMORY: readonly ChartSeries[] = [
  { label: "QEMU PSS MB", color: "--chart-memory" },
  { label: "guest used MB", color: "--chart-p50" },
];
const CPU: readonly ChartSeries[] = [{ label: "CPU %", color: "--chart-p95" }];
const LOAD: readonly ChartSeries[] = [
  { label: "sandboxes", color: "--chart-calls", kind: "step" },
  { label: "VMs", color: "--chart-cold", kind: "step" },
];
const STARTS: readonly ChartSeries[] = [
  { label: "boots", color: "--chart-errors", kind: "bars" },
  { label: "restores", color: "--chart-calls", kind: "bars" },
];

/** No data yet: an x column and one empty column per series. */
const emptyFor = (series: readonly ChartSeries[]): ChartData => [[], ...series.map(() => [])];

const mb = (v: number | null): string => (v === null ? "—" : `${v} MB`);
const pct = (v: number | null): string => (v === null ? "—" : `${v} %`);

export function PoolHistory({ allProfiles }: { allProfiles: boolean }) {
  const { poolHistory } = useStores();
  const st = useStore(poolHistory);

  useEffect(() => poolHistory.getState().choose({ allProfiles }), [poolHistory, allProfiles]);
  useEffect(() => poolHistory.getState().watch(), [poolHistory]);

  const h = st.history;
  const columns = useMemo(() => (h ? poolColumns(h, st.vm) : null), [h, st.vm]);
  const summaries = useMemo(() => (h ? vmSummaries(h) : []), [h]);
  const starts = h ? h.startList.length : 0;
  const per = h ? ` per ${periodText(h.periodMs)}` : "";

  return (
    <section className="pool-history" data-testid="pool-history">
      <h2>Over time</h2>
      <div className="toolbar">
        <label>
          <span className="muted small">VM</span>
          <select
            data-testid="pool-history-vm"
            value={st.vm ?? ""}
            onChange={(e) => poolHistory.getState().choose({ vm: e.target.value || null })}
          >
            <option value="">every VM, added up</option>
            {summaries.map((s) => (
              <option key={s.vm} value={s.vm}>
                {s.vm}
              </option>
            ))}
          </select>
        </label>
        <RangePicker
          testIdPrefix="pool-history"
          range={st.range}
          onChange={(range) => poolHistory.getState().choose({ range })}
        />
        <span className="muted small" data-testid="pool-history-starts">
          {h ? `${starts} VM start${starts === 1 ? "" : "s"} in this range` : "loading…"}
        </span>
      </div>
      <ErrorNote error={st.error} testId="pool-history-error" />
      <div className="chart-grid">
        <TimeChart
          title={`Memory (MB)${per}: QEMU's PSS on this machine, and what the guest uses`}
          testId="pool-chart-memory"
          series={MEMORY}
          data={(columns?.memory ?? emptyFor(MEMORY)) as ChartData}
        />
        <TimeChart
          title={`CPU (% of one core)${per}`}
          testId="pool-chart-cpu"
          series={CPU}
          data={(columns?.cpu ?? emptyFor(CPU)) as ChartData}
        />
        <TimeChart
          title={`Sandboxes and VMs${per}`}
          testId="pool-chart-load"
          series={LOAD}
          data={(columns?.load ?? emptyFor(LOAD)) as ChartData}
        />
        <TimeChart
          title="VM starts per hour: boots and restores"
          testId="pool-chart-starts"
          series={STARTS}
          data={(columns?.starts ?? emptyFor(STARTS)) as ChartData}
        />
      </div>
      <RecordList
        none={Boolean(h) && summaries.length === 0}
        empty={<p className="muted small">No VM was sampled in this range yet (every 10 s).</p>}
        testId="pool-history-table"
        columns={[
          "VM",
          allProfiles && "Profile",
          "PSS",
          "peak PSS",
          "guest used",
          "CPU",
          "peak CPU",
          "Sandboxes",
          "Calls",
        ]}
      >
        {summaries.map((s) => (
          <tr key={s.vm} data-testid="pool-history-row" data-vm={s.vm}>
            <td className="mono">{s.vm}</td>
            {allProfiles && <td>{s.profile}</td>}
            <td data-testid="pool-history-pss">{mb(s.pssMb)}</td>
            <td>{mb(s.peakPssMb)}</td>
            <td data-testid="pool-history-guest">{mb(s.guestUsedMb)}</td>
            <td>{pct(s.cpuPct)}</td>
            <td>{pct(s.peakCpuPct)}</td>
            <td>{s.sandboxes}</td>
            <td data-testid="pool-history-calls">{s.calls}</td>
          </tr>
        ))}
      </RecordList>
    </section>
  );
}
