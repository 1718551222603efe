// Pool: the VMs that run this profile's tasks, with state, age, how fast each became ready and the sandboxes each
// holds; warm-up progress per profile; followed live while the view is open, with recent invocation latency.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { PoolWarmth, SandboxView, VmView } from "../../main/contract.ts";
import { RecordList } from "../components/list.tsx";
import { Badge, EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { formatAge, formatMs } from "../logic/format.ts";
import { POOL_REFRESH_MS } from "../stores/pool-store.ts";
import { PoolHistory } from "./pool-history.tsx";
import type { RunRecord } from "../stores/invoke-store.ts";

const TONES: Record<string, string> = {
  ready: "ok",
  busy: "info",
  booting: "warn",
  draining: "warn",
  failed: "bad",
  gone: "muted",
};

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export function PoolView() {
  const { pool, session, invoke, transport, ui, logs } = useStores();
  const st = useStore(pool);
  const activeId = useStore(session, (s) => s.activeId);
  const profiles = useStore(session, (s) => s.profiles);
  const recent = useStore(invoke, (s) => s.recent);
  const query = useStore(ui, (s) => s.query);
  const [now, setNow] = useState(Date.now());

  useEffect(() => pool.getState().watch(POOL_REFRESH_MS), [pool, activeId]);
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(h);
  }, []);

  const profileName = (id: string) => profiles.find((p) => p.id === id)?.name ?? id;
  const vms = (st.status?.vms ?? []).filter((v) =>
    matches(query, v.id, String(v.name ?? ""), profileName(v.profile), v.state),
  );
  const figures = st.status?.template;
  // Only profiles still bringing VMs up: a settled pool shows no bar.
  const warming = (st.status?.warming ?? []).filter((w) => w.booting > 0 && w.ready < w.target);

  return (
    <section data-testid="view-pool">
      <header className="view-head">
        <h1>Pool</h1>
        <p>
          Each profile keeps warm VMs of its own; an invocation takes a ready one, and the pool refills in the
          background.{" "}
          {st.mode === "polling"
            ? `Refreshed every ${POOL_REFRESH_MS / 1000} s.`
            : "Updates live as VMs change."}
        </p>
      </header>
      <div className="toolbar">
        {st.status && (
          <span className="muted" data-testid="pool-summary">
            acceleration <strong>{st.status.accel}</strong>
            {figures?.templateBootMs !== undefined && ` · template boot ${formatMs(figures.templateBootMs)}`}
            {figures?.templateSaveMs !== undefined && ` · save ${formatMs(figures.templateSaveMs)}`} · image{" "}
            <span className="mono">{st.status.image.slice(0, 12)}</span>
          </span>
        )}
        {transport.ownerWide && (
          <label className="check">
            <input
              type="checkbox"
              checked={st.allProfiles}
              data-testid="pool-all-profiles"
              onChange={(e) => pool.getState().setAllProfiles(e.target.checked)}
            />
            every profile
          </label>
        )}
        <span className="muted small" data-testid="pool-updated">
          {st.updatedAt ? `updated ${formatAge(now - st.updatedAt)} ago` : "loading…"}
        </span>
      </div>
      <ErrorNote error={st.error} />
      {warming.map((w) => (
        <Warming key={w.profile} w={w} name={st.allProfiles ? profileName(w.profile) : null} />
      ))}
      {(st.status?.warming ?? []).map((w) =>
        w.failing === undefined ? null : (
          <div key={`failing-${w.profile}`} className="error-note" role="alert" data-testid="pool-failing">
            {st.allProfiles ? `${profileName(w.profile)}: ` : ""}VMs fail to start: {w.failing}
            <div className="hint">Hearth keeps trying, waiting longer after each failure.</div>
          </div>
        ),
      )}
      <RecordList
        none={Boolean(st.status) && vms.length === 0}
        empty={
          <EmptyState testId="empty-pool" title="No VMs right now">
            A profile gets a warm VM when it is created or when Hearth starts; the first one boots from
            scratch (slow under software emulation), later ones restore from a saved image. Invoke a task and
            one appears here.
          </EmptyState>
        }
        testId="pool-table"
        columns={[
          "VM",
          st.allProfiles && "Profile",
          "State",
          "Origin",
          "Age",
          "Ready in",
          "Restore",
          "Sandboxes",
          "Served",
          "Last call",
          "Note",
        ]}
      >
        {vms.map((v: VmView) => {
          const created = num(v.createdAt);
          const readyMs = num(v.readyMs);
          const restoreMs = num(v.restoreMs);
          return (
            <tr key={v.id} data-testid="vm-row" data-state={v.state}>
              <td className="mono">{String(v.name ?? v.id)}</td>
              {st.allProfiles && <td>{profileName(v.profile)}</td>}
              <td>
                <Badge tone={TONES[v.state] ?? "muted"}>{v.state}</Badge>
              </td>
              <td>{String(v.origin ?? "—")}</td>
              <td>{created !== undefined ? formatAge(now - created) : "—"}</td>
              <td>{readyMs !== undefined ? formatMs(readyMs) : v.state === "booting" ? "booting…" : "—"}</td>
              <td>{restoreMs !== undefined ? formatMs(restoreMs) : "—"}</td>
              <td>
                <Sandboxes list={v.sandboxes ?? []} />
              </td>
              <td data-testid="vm-invocations">{v.invocations ?? 0}</td>
              <td>
                {typeof v.lastRequestId === "string" && v.profile === activeId ? (
                  <button
                    type="button"
                    className="link mono small"
                    data-testid="vm-last-call"
                    title="Open this call in Logs, with its timeline"
                    onClick={() => {
                      logs.getState().showInvocation(v.lastRequestId as string, null);
                      ui.getState().go("logs");
                    }}
                  >
                    {v.lastRequestId.slice(0, 8)}
                  </button>
                ) : (
                  "—"
                )}
              </td>
              <td className="muted">{String(v.reason ?? "")}</td>
            </tr>
          );
        })}
      </RecordList>
      <LatencyChart runs={recent} />
      <PoolHistory allProfiles={st.allProfiles} />
    </section>
  );
}

/** "warming: 1 of 2 VMs ready" with a bar, for a profile whose spares are still booting. */
function Warming({ w, name }: { w: PoolWarmth; name: string | null }) {
  return (
    <div className="pool-warming" data-testid="pool-warming">
      <progress max={w.target} value={w.ready} />
      <span>
        {name ? `${name}: ` : ""}warming: {w.ready} of {w.target} VMs ready
        <span className="muted"> · {w.booting} booting</span>
      </span>
    </div>
  );
}

const SANDBOX_TONES: Record<SandboxView["state"], string> = { loading: "warn", ready: "ok", busy: "info" };

/** The count, then one line per sandbox: task (when it is this profile's) and version, state, config hash. */
function Sandboxes({ list }: { list: SandboxView[] }) {
  return (
    <div className="sandboxes" data-testid="vm-sandboxes" data-count={list.length}>
      <span data-testid="vm-sandbox-count">{list.length}</span>
      {list.length > 0 && (
        <ul className="plain small">
          {list.map((s) => (
            <li key={s.slot} title={`slot ${s.slot}, configuration ${s.config}`}>
              <span className="mono">{s.task ?? "shared task"}</span>:{s.version}{" "}
              <Badge tone={SANDBOX_TONES[s.state]}>{s.state}</Badge>{" "}
              <span className="mono muted">{s.config.slice(0, 7)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Bars of the last invocations' durations (as the handler measured them); red ones failed. */
function LatencyChart({ runs }: { runs: RunRecord[] }) {
  if (runs.length === 0) {
    return <p className="muted small">Invocations made from this window are charted here.</p>;
  }
  const max = Math.max(...runs.map((r) => r.durationMs), 1);
  const w = 12;
  return (
    <figure className="chart" data-testid="latency-chart">
      <figcaption>
        Recent invocations from this window: last {formatMs(runs[runs.length - 1]!.durationMs)}, slowest{" "}
        {formatMs(max)}
      </figcaption>
      <svg width={runs.length * w} height={60} role="img" aria-label="invocation latency">
        {runs.map((r, i) => {
          const h = Math.max(2, (r.durationMs / max) * 56);
          return (
            <rect
              key={r.at + i}
              x={i * w + 1}
              y={60 - h}
              width={w - 3}
              height={h}
              className={r.ok ? "bar ok" : "bar bad"}
            >
              <title>
                {r.target}: {formatMs(r.durationMs)}
              </title>
            </rect>
          );
        })}
      </svg>
    </figure>
  );
}
