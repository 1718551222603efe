// A button that copies a text and says so; falls back to a hidden textarea where the clipboard API is refused.
import { useState } from "react";

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

export function CopyButton({
  text,
  label = "Copy",
  testId,
}: {
  text: string;
  label?: string;
  testId?: string;
}) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      className="btn small"
      data-testid={testId}
      onClick={async () => {
        setState((await copyText(text)) ? "copied" : "failed");
        setTimeout(() => setState("idle"), 1500);
      }}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy" : label}
    </button>
  );
}

/** A secret or command shown in full with its copy button. */
export function CopyField({ value, testId, label }: { value: string; testId: string; label?: string }) {
  return (
    <div className="copy-field">
      <code data-testid={testId}>{value}</code>
      <CopyButton text={value} testId={`${testId}-copy`} {...(label ? { label } : {})} />
    </div>
  );
}
