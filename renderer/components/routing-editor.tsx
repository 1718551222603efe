// The one editor of an alias's routing: the version it points at and, on this profile's own tasks, a second version
// with its share of the traffic. Creating an alias, re-pointing one and aliasing a shared task all use it.
import type { ReactNode } from "react";
import { withSplit, type RoutingDraft } from "../logic/routing.ts";

export function VersionSelect({
  versions,
  value,
  onChange,
  testId,
  allowLatest = true,
}: {
  versions: number[];
  value: string;
  onChange: (v: string) => void;
  testId: string;
  allowLatest?: boolean;
}) {
  return (
    <select value={value} data-testid={testId} onChange={(e) => onChange(e.target.value)}>
      {allowLatest && <option value="$LATEST">$LATEST</option>}
      {[...versions].reverse().map((v) => (
        <option key={v} value={String(v)}>
          version {v}
        </option>
      ))}
    </select>
  );
}

/**
 * How the split shows: "below", on lines of its own under the row and only once two versions exist (a new alias);
 * "inline", in the row as a short "split" (re-pointing); "none", a version only (an alias on a shared task, which
 * cannot split).
 */
export type SplitLayout = "below" | "inline" | "none";

export function RoutingEditor({
  versions,
  draft,
  onChange,
  testIdPrefix,
  split,
  children,
}: {
  versions: number[];
  draft: RoutingDraft;
  onChange: (draft: RoutingDraft) => void;
  /** Test ids are `<prefix>-version`, `<prefix>-split-toggle`, `<prefix>-split-version`, `<prefix>-split-percent`. */
  testIdPrefix: string;
  split: SplitLayout;
  /** Fields that share the row with "Points at", before it. */
  children?: ReactNode;
}) {
  const toggle = (on: boolean) => onChange(withSplit(draft, on, versions));
  const splitFields = draft.splitOn && (
    <>
      <label>
        Second version
        <VersionSelect
          versions={versions}
          value={draft.extra}
          onChange={(extra) => onChange({ ...draft, extra })}
          testId={`${testIdPrefix}-split-version`}
          allowLatest={false}
        />
      </label>
      <label>
        Its share: {draft.percent}%
        <input
          type="range"
          min={1}
          max={99}
          value={draft.percent}
          data-testid={`${testIdPrefix}-split-percent`}
          onChange={(e) => onChange({ ...draft, percent: e.target.value })}
        />
      </label>
    </>
  );
  return (
    <>
      <div className="field-row">
        {children}
        <label>
          Points at
          <VersionSelect
            versions={versions}
            value={draft.version}
            onChange={(version) => onChange({ ...draft, version })}
            testId={`${testIdPrefix}-version`}
          />
        </label>
        {split === "inline" && (
          <>
            <label className="check">
              <input
                type="checkbox"
                checked={draft.splitOn}
                data-testid={`${testIdPrefix}-split-toggle`}
                onChange={(e) => toggle(e.target.checked)}
              />{" "}
              split
            </label>
            {splitFields}
          </>
        )}
      </div>
      {split === "below" && (
        <>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.splitOn}
              disabled={versions.length < 2}
              data-testid={`${testIdPrefix}-split-toggle`}
              onChange={(e) => toggle(e.target.checked)}
            />
            split traffic with a second version{" "}
            {versions.length < 2 && <span className="muted">(publish two versions first)</span>}
          </label>
          {splitFields && <div className="field-row">{splitFields}</div>}
        </>
      )}
    </>
  );
}
