// The window's wait for the host: polls until ready (then stops), keeps polling through a dropped port, and stops
// on a failed start so its message stays on screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StartupStatus } from "../../../main/contract.ts";
import { createStartupStore } from "../../../renderer/stores/startup-store.ts";

function status(phase: StartupStatus["phase"], extra: Partial<StartupStatus> = {}): StartupStatus {
  return { phase, title: phase, startedAt: "", elapsedMs: 0, phases: [], lines: [], ...extra };
}

/** Timers run by hand: each scheduled poll waits until the test calls `tick`. */
function manualTimers() {
  const queue: (() => void)[] = [];
  return {
    timers: {
      setTimeout: (fn: () => void) => (queue.push(fn), queue.length),
      clearTimeout: () => {
        queue.length = 0;
      },
    },
    pending: () => queue.length,
    async tick() {
      queue.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
  };
}

test("polls through the image build and a dropped connection until ready, then stops polling", async () => {
  const answers: (StartupStatus | Error)[] = [
    status("image", { step: { n: 1, of: 7, message: "checking tools" } }),
    new TypeError("fetch failed"),
    status("host"),
    status("ready"),
  ];
  let calls = 0;
  const api = {
    call: async () => {
      const a = answers[calls++]!;
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const t = manualTimers();
  const store = createStartupStore(api as never, t.timers, 10);
  store.getState().watch();
  await new Promise((r) => setImmediate(r));
  assert.equal(store.getState().status?.step?.message, "checking tools");
  assert.equal(store.getState().ready, false);
  await t.tick();
  assert.notEqual(store.getState().unreachable, null, "a dropped port is shown, not fatal");
  assert.equal(store.getState().status?.phase, "image", "the last status stays on screen");
  await t.tick();
  assert.equal(store.getState().unreachable, null);
  assert.equal(store.getState().status?.phase, "host");
  await t.tick();
  assert.equal(store.getState().ready, true);
  assert.equal(t.pending(), 0, "nothing polls once ready");
  assert.equal(calls, 4);
});

test("a failed start stops the polling and keeps the error", async () => {
  let calls = 0;
  const api = { call: async () => (calls++, status("failed", { error: "no libvirt" })) };
  const t = manualTimers();
  const store = createStartupStore(api as never, t.timers, 10);
  store.getState().watch();
  await new Promise((r) => setImmediate(r));
  assert.equal(store.getState().status?.error, "no libvirt");
  assert.equal(store.getState().ready, false);
  assert.equal(t.pending(), 0);
  assert.equal(calls, 1);
});

test("stopping the watch cancels the next poll", async () => {
  let calls = 0;
  const api = { call: async () => (calls++, status("image")) };
  const t = manualTimers();
  const store = createStartupStore(api as never, t.timers, 10);
  const stop = store.getState().watch();
  await new Promise((r) => setImmediate(r));
  stop();
  assert.equal(t.pending(), 0);
  assert.equal(calls, 1);
});
