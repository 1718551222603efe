// The controls the Logs and Monitor views share: which task (or all), which of the profile's aliases on it, and the
// time range back from now.
import { useStore } from "zustand";
import type { TaskView } from "../../main/contract.ts";
import { useStores } from "../components/stores-context.ts";
import {
  RANGE_LABELS,
  RANGES,
  taskRefKey,
  taskRefOf,
  type Range,
  type TaskRef,
} from "../logic/metrics-scope.ts";

function taskLabel(t: TaskView): string {
  return t.access === "owner" ? t.name : `${t.name} (shared by ${t.ownerProfileName})`;
}

/** Task, then alias: the alias list is the acting profile's aliases on the chosen task. */
export function TaskAliasPicker({
  testIdPrefix,
  task,
  alias,
  onChange,
}: {
  testIdPrefix: string;
  task: TaskRef | null;
  alias: string | null;
  onChange: (task: TaskRef | null, alias: string | null) => void;
}) {
  const { tasks, aliases } = useStores();
  const taskList = useStore(tasks, (s) => s.items);
  const held = useStore(aliases, (s) => s.items);
  const chosen = taskList.find((t) => taskRefKey(taskRefOf(t)) === taskRefKey(task)) ?? null;
  const onTask = chosen ? held.filter((a) => a.task.id === chosen.id) : [];
  // A task shared with this profile is only ever called through the profile's aliases on it.
  const anyLabel = chosen?.access === "grantee" ? "all of my calls" : "all calls";
  return (
    <>
      <label>
        Task
        <select
          data-testid={`${testIdPrefix}-task`}
          value={taskRefKey(task)}
          onChange={(e) => {
            const t = taskList.find((x) => taskRefKey(taskRefOf(x)) === e.target.value);
            onChange(t ? taskRefOf(t) : null, null);
          }}
        >
          <option value="">All tasks</option>
          {taskList.map((t) => (
            <option key={taskRefKey(taskRefOf(t))} value={taskRefKey(taskRefOf(t))}>
              {taskLabel(t)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Alias
        <select
          data-testid={`${testIdPrefix}-alias`}
          value={alias ?? ""}
          disabled={!chosen || onTask.length === 0}
          onChange={(e) => onChange(task, e.target.value || null)}
        >
          <option value="">{chosen ? anyLabel : "pick a task first"}</option>
          {onTask.map((a) => (
            <option key={a.id} value={a.name}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}

/** 15 min, 1 h, 24 h, 7 days: one button each, the chosen one pressed. */
export function RangePicker({
  testIdPrefix,
  range,
  disabled = false,
  onChange,
}: {
  testIdPrefix: string;
  range: Range;
  disabled?: boolean;
  onChange: (range: Range) => void;
}) {
  return (
    <div className="range-picker" role="group" aria-label="Time range">
      <span className="muted small">Last</span>
      <div className="segmented">
        {RANGES.map((r) => (
          <button
            key={r}
            type="button"
            data-testid={`${testIdPrefix}-range-${r}`}
            aria-pressed={r === range}
            disabled={disabled}
            onClick={() => onChange(r)}
          >
            {RANGE_LABELS[r]}
          </button>
        ))}
      </div>
    </div>
  );
}
