// The window's own state: the theme cycles system → light → dark and is remembered; notices expire and stay few.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createUiStore, TOAST_MS, type Theme } from "../../../renderer/stores/ui-store.ts";

test("the theme cycles and is remembered; a view change clears the search", () => {
  let kept: Theme | null = null;
  const store = createUiStore({ theme: () => kept, setTheme: (t) => (kept = t) });
  assert.equal(store.getState().theme, "system");
  const seen = [1, 2, 3].map(() => (store.getState().cycleTheme(), store.getState().theme));
  assert.deepEqual(seen, ["light", "dark", "system"]);
  assert.equal(kept, "system");
  store.getState().setQuery("echo");
  store.getState().go("pool");
  assert.deepEqual([store.getState().view, store.getState().query], ["pool", ""]);
});

test("notices go away on their own, and only the last three are kept", () => {
  const timers: { fn: () => void; ms: number }[] = [];
  const store = createUiStore({ theme: () => null, setTheme: () => {} }, "tasks", (fn, ms) =>
    timers.push({ fn, ms }),
  );
  for (const n of [1, 2, 3, 4]) store.getState().toast("ok", `n${n}`);
  assert.deepEqual(
    store.getState().toasts.map((t) => t.text),
    ["n2", "n3", "n4"],
  );
  assert.ok(timers.every((t) => t.ms === TOAST_MS));
  for (const t of timers) t.fn();
  assert.deepEqual(store.getState().toasts, []);
});
