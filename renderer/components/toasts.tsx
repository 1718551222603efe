// Passing notices in a corner: what just happened, or what just failed.
import { useStore } from "zustand";
import { useStores } from "./stores-context.ts";

export function Toasts() {
  const { ui } = useStores();
  const toasts = useStore(ui, (s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} data-testid={`toast-${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
