// The pool store: follows the pool's events while watched (polling when the stream fails), never more than one
// request at a time, every profile on ask.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PoolStatus, VmView } from "../../../main/contract.ts";
import { createPoolStore, POOL_LIVE_REFRESH_MS, type Timers } from "../../../renderer/stores/pool-store.ts";
import { fakeApi, tick } from "./fake-api.ts";

const status = (n: number): PoolStatus => ({
  accel: "tcg",
  image: "abc",
  template: {},
  vms: Array.from({ length: n }, (_, i) => ({ id: `vm${i}`, profile: "p1", state: "ready" })),
  warming: [{ profile: "p1", target: Math.max(1, n), ready: n, booting: 0, busy: 0 }],
});

function manualTimers() {
  const fns = new Map<number, { fn: () => void; ms: number }>();
  const once = new Map<number, () => void>();
  let next = 1;
  const timers: Timers = {
    setInterval: (fn, ms) => {
      fns.set(next, { fn, ms });
      return next++;
    },
    clearInterval: (h) => fns.delete(h as number),
    setTimeout: (fn) => {
      once.set(next, fn);
      return next++;
    },
    clearTimeout: (h) => once.delete(h as number),
  };
  return {
    timers,
    fire: () => [...fns.values()].forEach((f) => f.fn()),
    /** Runs the pending one-shot timers (the refresh after a burst of events). */
    settle: () => {
      const due = [...once.values()];
      once.clear();
      due.forEach((f) => f());
    },
    intervals: () => [...fns.values()].map((f) => f.ms),
    active: () => fns.size + once.size,
  };
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

const vm = (id: string, state: string, over: Partial<VmView> = {}): VmView => ({
  id,
  profile: "p1",
  state,
  ...over,
});

test("watching follows the pool's events: a VM changes, appears, goes; one refresh per burst", async () => {
  let n = 0;
  const api = fakeApi({ pool: () => (++n, status(1)) });
  const t = manualTimers();
  const store = createPoolStore(api, undefined, t.timers, () => 1000);
  const stop = store.getState().watch(3000);
  await tick();
  assert.equal(store.getState().mode, "live");
  assert.equal(api.poolFeeds.length, 1);
  // While live, the timer only tops up what events do not carry (invocation counts).
  assert.deepEqual(t.intervals(), [POOL_LIVE_REFRESH_MS]);
  const feed = api.poolFeeds[0]!;
  feed.onChange(vm("vm1", "booting"));
  assert.deepEqual(
    store.getState().status!.vms.map((v) => [v.id, v.state]),
    [
      ["vm0", "ready"],
      ["vm1", "booting"],
    ],
  );
  assert.deepEqual(store.getState().status!.warming[0], {
    profile: "p1",
    target: 2,
    ready: 1,
    booting: 1,
    busy: 0,
  });
  const sandboxes = [{ slot: 0, task: "echo", version: "$LATEST", state: "busy" as const, config: "abc" }];
  feed.onChange(vm("vm0", "busy", { sandboxes, invocations: 3 }));
  assert.equal(store.getState().status!.vms[0]!.sandboxes?.length, 1);
  assert.equal(store.getState().status!.vms[0]!.invocations, 3);
  feed.onChange(vm("vm1", "gone"));
  assert.deepEqual(
    store.getState().status!.vms.map((v) => v.id),
    ["vm0"],
  );
  // Three events, one refresh once they settle.
  assert.equal(n, 1);
  t.settle();
  await tick();
  assert.equal(n, 2);
  stop();
  assert.equal(feed.stopped, true);
  assert.equal(t.active(), 0);
  assert.equal(store.getState().mode, null);
});

test("when the event stream fails, the store falls back to polling", async () => {
  let n = 0;
  const api = fakeApi({ pool: () => status(++n) });
  const t = manualTimers();
  const store = createPoolStore(api, undefined, t.timers, () => 1000);
  const stop = store.getState().watch(3000);
  await tick();
  api.poolFeeds[0]!.onError?.({ code: "FORBIDDEN", message: "FORBIDDEN: no" });
  assert.equal(store.getState().mode, "polling");
  assert.deepEqual(t.intervals(), [3000]);
  t.fire();
  await tick();
  assert.equal(store.getState().status?.vms.length, 2);
  stop();
  assert.equal(t.active(), 0);
});

test("switching to every profile moves the feed to the owner's transport", async () => {
  const mine = fakeApi({ pool: () => status(1) });
  const owner = fakeApi({ pool: () => status(3) });
  const t = manualTimers();
  const store = createPoolStore(mine, owner, t.timers);
  const stop = store.getState().watch();
  await tick();
  store.getState().setAllProfiles(true);
  await tick();
  assert.equal(mine.poolFeeds[0]!.stopped, true);
  assert.equal(owner.poolFeeds.length, 1);
  assert.equal(store.getState().status?.vms.length, 3);
  stop();
  assert.equal(owner.poolFeeds[0]!.stopped, true);
  assert.equal(t.active(), 0);
});

test("an event before the first answer is dropped: the answer carries it", () => {
  const store = createPoolStore(fakeApi({}), undefined);
  store.getState().applyChange(vm("vm1", "ready"));
  assert.equal(store.getState().status, null);
});

test("why a profile's VMs fail to start is kept until one of its VMs comes up", async () => {
  const failing: PoolStatus = {
    ...status(0),
    warming: [
      { profile: "p1", target: 1, ready: 0, booting: 0, busy: 0, failing: "VM_CREATE_FAILED: refused" },
    ],
  };
  const api = fakeApi({ pool: () => failing });
  const t = manualTimers();
  const store = createPoolStore(api, undefined, t.timers, () => 1000);
  const stop = store.getState().watch(3000);
  await tick();
  const feed = api.poolFeeds[0]!;
  feed.onChange(vm("vm1", "booting"));
  assert.equal(store.getState().status!.warming[0]!.failing, "VM_CREATE_FAILED: refused");
  feed.onChange(vm("vm1", "ready"));
  assert.equal(store.getState().status!.warming[0]!.failing, undefined);
  stop();
});
