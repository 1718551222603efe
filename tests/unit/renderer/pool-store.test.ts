// The pool store: refreshed on a timer while watched, never more than one request at a time, every profile on ask.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PoolStatus } from "../../../main/contract.ts";
import { createPoolStore, type Timers } from "../../../renderer/stores/pool-store.ts";
import { fakeApi, tick } from "./fake-api.ts";

const status = (n: number): PoolStatus => ({
  accel: "tcg",
  image: "abc",
  template: {},
  vms: Array.from({ length: n }, (_, i) => ({ id: `vm${i}`, profile: "p1", state: "ready" })),
});

function manualTimers() {
  const fns = new Map<number, () => void>();
  let next = 1;
  const timers: Timers = {
    setInterval: (fn) => {
      fns.set(next, fn);
      return next++;
    },
    clearInterval: (h) => fns.delete(h as number),
  };
  return { timers, fire: () => [...fns.values()].forEach((f) => f()), active: () => fns.size };
}

test("watching refreshes now and on every tick; unwatching stops it", async () => {
  let n = 0;
  const api = fakeApi({ pool: () => status(++n) });
  const t = manualTimers();
  const store = createPoolStore(api, undefined, t.timers, () => 1000);
  const stop = store.getState().watch(3000);
  await tick();
  assert.equal(store.getState().status?.vms.length, 1);
  assert.equal(store.getState().updatedAt, 1000);
  t.fire();
  await tick();
  assert.equal(store.getState().status?.vms.length, 2);
  stop();
  assert.equal(t.active(), 0);
});

test("a slow answer is not stacked with more requests", async () => {
  let release!: () => void;
  const api = fakeApi({ pool: () => new Promise<PoolStatus>((r) => (release = () => r(status(1)))) });
  const store = createPoolStore(api, undefined);
  const a = store.getState().refresh();
  const b = store.getState().refresh();
  assert.equal(api.calls.length, 1);
  release();
  await Promise.all([a, b]);
  assert.equal(store.getState().status?.vms.length, 1);
});

test("every profile's VMs come through the owner's transport, when there is one", async () => {
  const mine = fakeApi({ pool: () => status(1) });
  const owner = fakeApi({ pool: () => status(3) });
  const store = createPoolStore(mine, owner);
  store.getState().setAllProfiles(true);
  await tick();
  assert.equal(store.getState().status?.vms.length, 3);

  const noOwner = createPoolStore(mine, undefined);
  noOwner.getState().setAllProfiles(true);
  assert.equal(noOwner.getState().allProfiles, false);
});
