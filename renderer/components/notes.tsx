// Small pieces every view uses: an empty state that says what to do next, an inline error, a state badge.
import type { ReactNode } from "react";
import { describeError, errorHint, type ReadableError } from "../logic/errors.ts";

export function EmptyState({
  testId,
  title,
  children,
}: {
  testId: string;
  title: string;
  children: ReactNode;
}) {
  return (
    <div className="empty" data-testid={testId}>
      <strong>{title}</strong>
      <div>{children}</div>
    </div>
  );
}

export function ErrorNote({ error, testId }: { error: ReadableError | null; testId?: string }) {
  if (!error) return null;
  const hint = errorHint(error.code);
  return (
    <div className="error-note" role="alert" data-testid={testId}>
      <span className="code">{error.code}</span> {describeError(error)}
      {hint && <div className="hint">{hint}</div>}
    </div>
  );
}

export function Badge({ tone, children, testId }: { tone: string; children: ReactNode; testId?: string }) {
  return (
    <span className={`badge ${tone}`} data-testid={testId}>
      {children}
    </span>
  );
}

/** Filters by the header's search text (`/`): case-insensitive, over the words given. */
export function matches(query: string, ...words: (string | undefined | null)[]): boolean {
  const q = query.trim().toLowerCase();
  if (q === "") return true;
  return words.some((w) => w?.toLowerCase().includes(q));
}
