// The skeleton of every list of records: a table with a header row, or, while there is none yet, an empty state that
// says what to do next; and the buttons at the end of each row.
import type { ReactNode } from "react";
import type { ReadableError } from "../logic/errors.ts";
import { useStores } from "./stores-context.ts";

/** A column's heading: its text, with a tooltip when the word alone is not enough; "" for the actions column. */
export type Column = string | { label: string; title: string };

export function RecordTable({
  testId,
  className,
  columns,
  children,
}: {
  testId?: string;
  /** Added to "grid": "selectable" for rows that open a detail, "compact" for dense tables. */
  className?: string;
  /** A false entry is a column not shown this time. */
  columns: (Column | false)[];
  children: ReactNode;
}) {
  return (
    <table className={className ? `grid ${className}` : "grid"} data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c, i) =>
            c === false ? null : c === "" ? (
              <th key={i} />
            ) : typeof c === "string" ? (
              <th key={i}>{c}</th>
            ) : (
              <th key={i} title={c.title}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** The table, or `empty` (an EmptyState) when the list is known to hold nothing. */
export function RecordList({
  none,
  empty,
  ...table
}: {
  /** True once loaded with no record: before the first answer the table shows, empty. */
  none: boolean;
  empty: ReactNode;
} & Parameters<typeof RecordTable>[0]) {
  return none ? <>{empty}</> : <RecordTable {...table} />;
}

/** The last cell of a row: its buttons. */
export function RowActions({ children }: { children: ReactNode }) {
  return <td className="actions">{children}</td>;
}

/**
 * A row's destructive button (delete, revoke, remove): asks first when `confirm` is given, then says in a toast what
 * happened, or why not.
 */
export function DangerButton({
  testId,
  confirm,
  run,
  done,
  inRow = false,
  children,
}: {
  testId?: string;
  confirm?: string;
  run: () => Promise<ReadableError | null>;
  /** The toast once it worked. */
  done: string;
  /** In a row that opens on click: the click stays with the button. */
  inRow?: boolean;
  children: ReactNode;
}) {
  const { ui } = useStores();
  return (
    <button
      className="btn small danger"
      type="button"
      data-testid={testId}
      onClick={async (e) => {
        if (inRow) e.stopPropagation();
        if (confirm !== undefined && !window.confirm(confirm)) return;
        const err = await run();
        ui.getState().toast(err ? "error" : "ok", err ? err.message : done);
      }}
    >
      {children}
    </button>
  );
}
