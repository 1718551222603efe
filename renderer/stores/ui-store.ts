// What the window itself remembers: the view on screen, the search text, the theme, and passing notices.
import { createStore } from "zustand/vanilla";

export const VIEWS = [
  "tasks",
  "invoke",
  "logs",
  "monitor",
  "schedules",
  "aliases",
  "grants",
  "tokens",
  "remotes",
  "apis",
  "projects",
  "pool",
  "profiles",
] as const;
export type View = (typeof VIEWS)[number];
export type Theme = "system" | "light" | "dark";

export interface Toast {
  id: number;
  kind: "ok" | "error";
  text: string;
}

export interface UiState {
  view: View;
  query: string;
  theme: Theme;
  toasts: Toast[];
  go(view: View): void;
  setQuery(q: string): void;
  cycleTheme(): void;
  toast(kind: Toast["kind"], text: string): void;
  dismissToast(id: number): void;
}

export interface UiMemory {
  theme(): Theme | null;
  setTheme(t: Theme): void;
}

export const TOAST_MS = 4000;

export function nextTheme(t: Theme): Theme {
  return t === "system" ? "light" : t === "light" ? "dark" : "system";
}

export function createUiStore(
  memory: UiMemory,
  initialView: View = "tasks",
  later: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms),
) {
  let nextId = 1;
  return createStore<UiState>()((set, get) => ({
    view: initialView,
    query: "",
    theme: memory.theme() ?? "system",
    toasts: [],
    go(view) {
      set({ view, query: "" });
    },
    setQuery(query) {
      set({ query });
    },
    cycleTheme() {
      const theme = nextTheme(get().theme);
      memory.setTheme(theme);
      set({ theme });
    },
    toast(kind, text) {
      const id = nextId++;
      set((s) => ({ toasts: [...s.toasts.slice(-2), { id, kind, text }] }));
      later(() => get().dismissToast(id), TOAST_MS);
    },
    dismissToast(id) {
      set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
    },
  }));
}

export type UiStore = ReturnType<typeof createUiStore>;

export function isView(v: string): v is View {
  return (VIEWS as readonly string[]).includes(v);
}
