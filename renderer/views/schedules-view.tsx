// Schedules: rate and cron expressions (UTC) that invoke a task or alias through the async queue, with each one's
// next and last runs, the runs it missed while Hearth was stopped, and pause, resume and remove.
import { useEffect, useState } from "react";
import { useStore } from "zustand";
import type { OwnedTaskView } from "../../main/contract.ts";
import { RecordList } from "../components/list.tsx";
import { EmptyState, ErrorNote, matches } from "../components/notes.tsx";
import { useStores } from "../components/stores-context.ts";
import { formatWhen } from "../logic/format.ts";

export function SchedulesView() {
  const { schedules, tasks, ui, logs } = useStores();
  const st = useStore(schedules);
  const own = useStore(tasks, (s) => s.items).filter((t): t is OwnedTaskView => t.access === "owner");
  const query = useStore(ui, (s) => s.query);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"rate" | "cron">("rate");
  const [expr, setExpr] = useState("5 minutes");
  const [task, setTask] = useState("");
  const [qualifier, setQualifier] = useState("");
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    void schedules.getState().load();
    void tasks.getState().load();
    // Next and last runs move on their own: look again every few seconds.
    const poll = setInterval(() => {
      setNow(Date.now());
      void schedules.getState().load();
    }, 5000);
    return () => clearInterval(poll);
  }, [schedules, tasks]);

  const s = schedules.getState();
  return (
    <section data-testid="view-schedules">
      <header className="view-head">
        <h1>Schedules</h1>
        <p>
          A schedule invokes a task on a rate or a cron expression, in UTC, through the asynchronous queue (so
          a failing run is retried), with EventBridge&apos;s Scheduled Event. Runs that fall while Hearth is
          stopped are counted here, never replayed.
        </p>
      </header>
      <ErrorNote error={st.error} testId="schedules-error" />
      <form
        className="row-form"
        data-testid="schedule-form"
        onSubmit={(e) => {
          e.preventDefault();
          void s
            .create({
              name,
              expression: `${kind}(${expr.trim()})`,
              target: { task, ...(qualifier.trim() ? { qualifier: qualifier.trim() } : {}) },
            })
            .then((ok) => {
              if (ok) setName("");
            });
        }}
      >
        <input
          placeholder="Name"
          value={name}
          data-testid="schedule-name"
          onChange={(e) => setName(e.target.value)}
        />
        <select
          value={kind}
          data-testid="schedule-kind"
          onChange={(e) => {
            const k = e.target.value as "rate" | "cron";
            setKind(k);
            setExpr(k === "rate" ? "5 minutes" : "0 12 * * ? *");
          }}
        >
          <option value="rate">rate</option>
          <option value="cron">cron</option>
        </select>
        <input
          className="mono"
          value={expr}
          data-testid="schedule-expression"
          aria-label={
            kind === "rate" ? "every VALUE UNIT" : "minutes hours day-of-month month day-of-week year"
          }
          onChange={(e) => setExpr(e.target.value)}
        />
        <select value={task} data-testid="schedule-task" onChange={(e) => setTask(e.target.value)}>
          <option value="">Task…</option>
          {own.map((t) => (
            <option key={t.id} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <input
          placeholder="version or alias (optional)"
          value={qualifier}
          data-testid="schedule-qualifier"
          onChange={(e) => setQualifier(e.target.value)}
        />
        <button
          className="btn primary"
          type="submit"
          data-testid="schedule-create"
          disabled={st.busy || name === "" || task === ""}
        >
          Create
        </button>
      </form>
      <RecordList
        none={st.loaded && st.items.length === 0}
        empty={
          <EmptyState testId="empty-schedules" title="No schedules">
            Name one, pick a task and say how often: rate(5 minutes), or cron(0 12 ? * MON-FRI *) for noon UTC
            on weekdays.
          </EmptyState>
        }
        testId="schedules-table"
        columns={["Name", "Expression", "Target", "State", "Next run", "Last run", "Missed", ""]}
      >
        {st.items
          .filter((x) => matches(query, x.name, x.target.task, x.expression))
          .map((x) => (
            <tr key={x.name} data-testid={`schedule-row-${x.name}`}>
              <td>
                <strong>{x.name}</strong>
                {x.lastError && (
                  <div className="error-note small" data-testid={`schedule-error-${x.name}`}>
                    {x.lastError}
                  </div>
                )}
              </td>
              <td className="mono">{x.expression}</td>
              <td>
                {x.target.ownerAccountId ? `${x.target.ownerAccountId}:` : ""}
                {x.target.task}
                {x.target.qualifier ? `:${x.target.qualifier}` : ""}
              </td>
              <td data-testid={`schedule-state-${x.name}`}>{x.state === "enabled" ? "running" : "paused"}</td>
              <td data-testid={`schedule-next-${x.name}`}>
                {x.nextRunAt ? formatWhen(x.nextRunAt, now) : "—"}
              </td>
              <td data-testid={`schedule-last-${x.name}`}>
                {x.lastRunAt ? (
                  <>
                    {formatWhen(x.lastRunAt, now)}
                    {x.lastRequestId && (
                      <button
                        type="button"
                        className="link mono small"
                        data-testid={`schedule-last-open-${x.name}`}
                        title="Open this run in Logs, with its timeline"
                        onClick={() => {
                          logs.getState().showInvocation(x.lastRequestId!, null);
                          ui.getState().go("logs");
                        }}
                      >
                        {" "}
                        {x.lastRequestId.slice(0, 8)}
                      </button>
                    )}
                  </>
                ) : (
                  "never"
                )}
              </td>
              <td data-testid={`schedule-missed-${x.name}`}>
                {x.missed ? `${x.missed.count} while stopped` : "—"}
              </td>
              <td>
                <button
                  type="button"
                  className="btn small"
                  data-testid={`schedule-toggle-${x.name}`}
                  disabled={st.busy}
                  onClick={() => void s.setEnabled(x.name, x.state !== "enabled")}
                >
                  {x.state === "enabled" ? "Pause" : "Resume"}
                </button>
                <button
                  type="button"
                  className="btn small danger"
                  data-testid={`schedule-remove-${x.name}`}
                  disabled={st.busy}
                  onClick={() => void s.remove(x.name)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
      </RecordList>
    </section>
  );
}
