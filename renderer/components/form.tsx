// The skeleton every form of the window shares: submitting never reloads the page, a title on top, labelled fields
// with the problems found in what was typed, a row of buttons, and the host's refusal last.
import type { ReactNode } from "react";
import type { ReadableError } from "../logic/errors.ts";
import { ErrorNote } from "./notes.tsx";

export function Form({
  testId,
  className = "form",
  title,
  autoComplete,
  onSubmit,
  error,
  errorTestId,
  children,
}: {
  testId?: string;
  /** "form" in the flow of a view, "panel form" in a panel of its own, "row-form" for one line. */
  className?: string;
  title?: ReactNode;
  /** "off" where a browser must not offer to remember what is typed (secrets). */
  autoComplete?: "off";
  onSubmit: () => void | Promise<void>;
  /** Shown after everything else; leave it out when the view shows the form's error elsewhere. */
  error?: ReadableError | null;
  errorTestId?: string;
  children: ReactNode;
}) {
  return (
    <form
      className={className}
      data-testid={testId}
      autoComplete={autoComplete}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {title !== undefined && <h3>{title}</h3>}
      {children}
      {error !== undefined && <ErrorNote error={error} testId={errorTestId} />}
    </form>
  );
}

/** A field and its label; the problems found in its text, if any, right under it. */
export function Field({
  label,
  hint,
  className,
  problems = [],
  children,
}: {
  label: ReactNode;
  /** Muted words after the label, such as the format expected. */
  hint?: ReactNode;
  className?: string;
  problems?: (string | null | undefined)[];
  children: ReactNode;
}) {
  return (
    <>
      <label className={className}>
        {label}
        {hint !== undefined && (
          <>
            {" "}
            <span className="muted">{hint}</span>
          </>
        )}
        {children}
      </label>
      <FieldProblems problems={problems} />
    </>
  );
}

/** What is wrong with what was typed, one line each, before anything is sent. */
export function FieldProblems({ problems }: { problems: (string | null | undefined)[] }) {
  return (
    <>
      {problems
        .filter((p): p is string => Boolean(p))
        .map((p) => (
          <div key={p} className="field-error">
            {p}
          </div>
        ))}
    </>
  );
}

/** The form's main button; while the form is busy it is disabled and may say so. */
export function SubmitButton({
  testId,
  busy = false,
  busyLabel,
  disabled = false,
  children,
}: {
  testId?: string;
  busy?: boolean;
  busyLabel?: ReactNode;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button className="btn primary" type="submit" data-testid={testId} disabled={busy || disabled}>
      {busy && busyLabel !== undefined ? busyLabel : children}
    </button>
  );
}

export function CancelButton({ onCancel }: { onCancel: () => void }) {
  return (
    <button className="btn ghost" type="button" onClick={onCancel}>
      Cancel
    </button>
  );
}

/** The buttons at the foot of a form, side by side. */
export function ButtonRow({ className = "row-form", children }: { className?: string; children: ReactNode }) {
  return <div className={className}>{children}</div>;
}
