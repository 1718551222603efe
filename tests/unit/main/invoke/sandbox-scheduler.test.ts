// Scheduler rules on the fake driver: warm reuse, concurrency limits, a bounded queue, and moving a line to new
// code without a cold start. The same paths run on real VMs in tests/vm/engine.test.ts.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  defaultIdleProfileMs,
  type Execution,
  type SchedulerOptions,
} from "../../../../main/invoke/sandbox-scheduler.ts";
import { fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function setup(o: Partial<SchedulerOptions> = {}, delays = { loadDelayMs: 30, invokeDelayMs: 20 }) {
  const stack = fakeSchedulerStack({ delays, scheduler: o });
  cleanup.push(stack.close);
  return stack;
}

const exec = (version: string, over: Partial<Execution> = {}): Execution => ({
  profile: "p1",
  configKey: `cfg-${version}`,
  taskKey: "t1",
  lineKey: "line-1",
  follow: true,
  spec: {
    runtime: "nodejs",
    handler: "index.handler",
    functionName: "f",
    functionVersion: version,
    memoryMb: 128,
    timeoutMs: 3000,
    env: {},
  },
  loadCode: async () => ({ zip: Buffer.from("zip"), sha256: "0".repeat(64) }),
  ...over,
});

test("the first run loads a sandbox; the next reuses it warm", async () => {
  const { scheduler } = setup();
  const a = await scheduler.run(exec("1"), "{}");
  const b = await scheduler.run(exec("1"), "{}");
  assert.equal(a.coldStart, true);
  assert.equal(b.coldStart, false);
  assert.equal(a.vm, b.vm);
  assert.equal(JSON.parse(b.payload!).version, "1");
});

test("a task's concurrency limit makes the rest wait their turn", async () => {
  const { scheduler } = setup({ maxConcurrentPerTask: 1 });
  await scheduler.run(exec("1"), "{}");
  const t0 = performance.now();
  const runs = await Promise.all([1, 2, 3].map(() => scheduler.run(exec("1"), "{}")));
  assert.ok(performance.now() - t0 >= 55, "three 20 ms invocations ran at the same time");
  assert.ok(
    runs.every((r) => r.ok && !r.coldStart),
    "a limit should queue, not load more sandboxes",
  );
  assert.ok(runs.some((r) => r.queuedMs >= 15));
});

test("a full queue refuses with a clear error instead of growing", async () => {
  const { scheduler } = setup({ maxConcurrentPerTask: 1, maxQueuePerProfile: 1 });
  await scheduler.run(exec("1"), "{}");
  const results = await Promise.allSettled([1, 2, 3].map(() => scheduler.run(exec("1"), "{}")));
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(refused.length, 1);
  assert.match(String((refused[0] as PromiseRejectedResult).reason), /TOO_MANY_REQUESTS/);
});

test("a line moves to new code in the background: the old sandbox answers until the new one is ready", async () => {
  const { scheduler, driver } = setup({}, { loadDelayMs: 150, invokeDelayMs: 5 });
  await scheduler.run(exec("1"), "{}");
  const first = await scheduler.run(exec("2"), "{}");
  assert.equal(first.coldStart, false);
  assert.equal(first.servedVersion, "1", "answered by the warm old sandbox");
  const served: string[] = [];
  const deadline = Date.now() + 3000;
  while (served.at(-1) !== "2" && Date.now() < deadline) {
    const r = await scheduler.run(exec("2"), "{}");
    assert.equal(r.coldStart, false);
    served.push(r.servedVersion);
  }
  assert.equal(served.at(-1), "2");
  // The old sandbox is gone from the VM once the new one took over.
  await new Promise((r) => setTimeout(r, 50));
  const held = [...driver.domains.values()].flatMap((d) =>
    [...d.loaded.values()].map((l) => l.functionVersion),
  );
  assert.deepEqual(held, ["2"]);
});

test("a request naming a version waits for that version rather than taking an older one", async () => {
  const { scheduler } = setup();
  await scheduler.run(exec("1", { follow: false, lineKey: "v1" }), "{}");
  const r = await scheduler.run(exec("2", { follow: false, lineKey: "v2" }), "{}");
  assert.equal(r.coldStart, true);
  assert.equal(r.servedVersion, "2");
});

test("profiles never share a VM in the scheduler either", async () => {
  const { scheduler } = setup();
  const a = await scheduler.run(exec("1"), "{}");
  const b = await scheduler.run(exec("1", { profile: "p2", configKey: "cfg-p2" }), "{}");
  assert.notEqual(a.vm, b.vm);
  assert.match(a.vm, /^hearth-p1-/);
  assert.match(b.vm, /^hearth-p2-/);
});

test("drain lets running invocations finish and refuses new ones", async () => {
  const { scheduler, pool } = setup({}, { loadDelayMs: 10, invokeDelayMs: 150 });
  await scheduler.run(exec("1"), "{}");
  const running = scheduler.run(exec("1"), '{"late":false}');
  await new Promise((r) => setTimeout(r, 20));
  const left = await scheduler.drain(5000);
  assert.equal(left, 0);
  // The VMs go right after the drain, as in a shutdown: an invocation the drain did not wait for would fail here.
  await pool.close();
  const r = await running;
  assert.equal(r.ok, true, "the accepted invocation was answered");
  await assert.rejects(scheduler.run(exec("1"), "{}"), /ENGINE_CLOSED/);
});

test("a profile idle for idleProfileMs gives its sandboxes and VMs back, and its next run starts one again", async () => {
  const { scheduler, pool } = setup({ idleProfileMs: 300 });
  const a = await scheduler.run(exec("1"), "{}");
  assert.equal(a.ok, true);
  assert.ok(pool.keeps("p1"));
  const deadline = Date.now() + 5000;
  while (pool.keeps("p1") || pool.list("p1").some((v) => v.state !== "gone")) {
    assert.ok(Date.now() < deadline, "p1 was not parked within 5 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(scheduler.snapshot(), [], "no sandbox is left behind");
  const b = await scheduler.run(exec("1"), "{}");
  assert.equal(b.ok, true);
  assert.equal(b.coldStart, true, "the next run loads a fresh sandbox in a fresh VM");
  assert.notEqual(b.vm, a.vm);
  assert.ok(pool.keeps("p1"));
});

test("a profile with a run under way is not parked, however long the run", async () => {
  const { scheduler, pool } = setup({ idleProfileMs: 100 }, { loadDelayMs: 10, invokeDelayMs: 600 });
  const r = await scheduler.run(exec("1"), "{}");
  assert.equal(r.ok, true);
  assert.ok(pool.keeps("p1"), "the run just ended: the profile is active");
});

test("HEARTH_IDLE_MINUTES sets the idle time; a wrong value is refused by name", () => {
  assert.equal(defaultIdleProfileMs({}), 600_000);
  assert.equal(defaultIdleProfileMs({ HEARTH_IDLE_MINUTES: "2.5" }), 150_000);
  assert.equal(defaultIdleProfileMs({ HEARTH_IDLE_MINUTES: "0" }), 0);
  assert.throws(() => defaultIdleProfileMs({ HEARTH_IDLE_MINUTES: "soon" }), /HEARTH_IDLE_MINUTES/);
  assert.throws(() => defaultIdleProfileMs({ HEARTH_IDLE_MINUTES: "-1" }), /HEARTH_IDLE_MINUTES/);
});

test("a deploy loads the new code on a VM whose vCPU is free, not beside the old code that is running", async () => {
  const { scheduler, pool } = setup({}, { loadDelayMs: 50, invokeDelayMs: 400 });
  const first = await scheduler.run(exec("1"), "{}");
  const deadline = Date.now() + 3000;
  while (!pool.list("p1").some((v) => v.state === "ready")) {
    assert.ok(Date.now() < deadline, "no spare VM within 3 s");
    await new Promise((r) => setTimeout(r, 10));
  }
  // The old sandbox is running a call when the line moves to version 2.
  const running = scheduler.run(exec("1"), "{}");
  await new Promise((r) => setTimeout(r, 20));
  const moved = scheduler.run(exec("2"), "{}");
  const loadedOn = await new Promise<string>((resolve) =>
    scheduler.on("sandbox", (e) => {
      if (e.version === "2" && e.state === "loading" && e.vm) resolve(e.vm);
    }),
  );
  assert.notEqual(loadedOn, first.vm, "version 2 loads beside the busy version 1");
  assert.equal((await running).servedVersion, "1");
  assert.equal((await moved).ok, true);
});

/** `width` closed loops call version 1 until the line has grown to `width` ready sandboxes of it. */
async function growLine(scheduler: ReturnType<typeof setup>["scheduler"], width: number): Promise<void> {
  let v1Ready = 0;
  const counting = (e: { version: string; state: string }): void => {
    if (e.version === "1" && e.state === "ready") v1Ready++;
  };
  scheduler.on("sandbox", counting);
  const grown = Date.now() + 5000;
  while (v1Ready < width) {
    assert.ok(Date.now() < grown, `the line grew to ${v1Ready} sandboxes, not ${width}`);
    await Promise.all(Array.from({ length: width }, () => scheduler.run(exec("1"), "{}")));
  }
  scheduler.off("sandbox", counting);
}

test("a wide line moves in about two loads: the first new sandbox alone, then the rest together", async () => {
  const { scheduler } = setup({}, { loadDelayMs: 200, invokeDelayMs: 30 });
  // Four closed loops grow the line to four sandboxes of version 1.
  await growLine(scheduler, 4);
  const loads: { at: number; state: string }[] = [];
  scheduler.on("sandbox", (e) => {
    if (e.version === "2" && (e.state === "loading" || e.state === "ready"))
      loads.push({ at: performance.now(), state: e.state });
  });
  // Four closed loops follow the line to version 2 until every answer comes from it.
  const t0 = performance.now();
  let movedAt = 0;
  await Promise.all(
    [1, 2, 3, 4].map(async () => {
      let lastTwo = 0;
      while (performance.now() - t0 < 5000 && lastTwo < 5) {
        const r = await scheduler.run(exec("2"), "{}");
        assert.equal(r.ok, true);
        assert.equal(r.coldStart, false, "no call waits for a load");
        lastTwo = r.servedVersion === "2" ? lastTwo + 1 : 0;
      }
      movedAt = Math.max(movedAt, performance.now() - t0);
    }),
  );
  const starts = loads.filter((l) => l.state === "loading").map((l) => l.at - t0);
  const firstReady = loads.find((l) => l.state === "ready")!.at - t0;
  assert.ok(starts.length >= 4, `four replacements loaded (${starts.length})`);
  assert.equal(starts.filter((s) => s < firstReady).length, 1, "the first new sandbox loads alone");
  // One at a time would take four loads (800 ms); the rest start together once the first is ready.
  assert.ok(movedAt < 4 * 200, `the line moved after ${movedAt.toFixed(0)} ms`);
});

test("once the first new sandbox is ready the line's calls are its: the old sandboxes finish and go", async () => {
  const { scheduler } = setup({}, { loadDelayMs: 300, invokeDelayMs: 20 });
  await growLine(scheduler, 3);
  let firstReady = Infinity;
  const gone: number[] = [];
  scheduler.on("sandbox", (e) => {
    if (e.version === "2" && e.state === "ready") firstReady = Math.min(firstReady, performance.now());
    if (e.version === "1" && e.state === "gone") gone.push(performance.now());
  });
  const calls: { start: number; version: string; cold: boolean }[] = [];
  const t0 = performance.now();
  await Promise.all(
    [1, 2, 3].map(async () => {
      while (performance.now() - t0 < 1200) {
        const start = performance.now();
        const r = await scheduler.run(exec("2"), "{}");
        assert.equal(r.ok, true);
        calls.push({ start, version: r.servedVersion, cold: r.coldStart });
      }
    }),
  );
  assert.ok(firstReady < Infinity, "version 2 became ready");
  assert.ok(
    calls.some((c) => c.start < firstReady && c.version === "1"),
    "version 1 answered while version 2 loaded",
  );
  const late = calls.filter((c) => c.start > firstReady + 1);
  assert.ok(late.length > 10, `${late.length} calls after version 2 was ready`);
  assert.deepEqual(
    late.filter((c) => c.version !== "2"),
    [],
    "no call begun after the new sandbox was ready went to the old code",
  );
  assert.equal(gone.length, 3, "every old sandbox went");
  assert.ok(!calls.some((c) => c.cold), "no call waited for a load");
});

/** A load the VM failed (it stopped, its agent went quiet): not the code's doing. */
const vmLost = (): Error => Object.assign(new Error("VM_LOST: the VM stopped"), { code: "VM_LOST" });

test("a load the VM failed is tried again, and the caller is served", async () => {
  const { scheduler } = setup();
  let loads = 0;
  const r = await scheduler.run(
    exec("1", {
      loadCode: async () => {
        if (loads++ === 0) throw vmLost();
        return { zip: Buffer.from("zip"), sha256: "0".repeat(64) };
      },
    }),
    "{}",
  );
  assert.equal(loads, 2);
  assert.equal(r.ok, true);
  assert.equal(r.coldStart, true);
});

test("a VM that fails every load is the pool's trouble (NO_VM_AVAILABLE), never the code's init failure", async () => {
  const { scheduler } = setup();
  let loads = 0;
  const failing = exec("1", {
    loadCode: async () => {
      loads++;
      throw vmLost();
    },
  });
  await assert.rejects(scheduler.run(failing, "{}"), (err: Error & { code?: string }) => {
    assert.equal(err.code, "NO_VM_AVAILABLE");
    assert.match(err.message, /VM_LOST/);
    return true;
  });
  assert.equal(loads, 2, "one retry, then the caller hears of it");
});

test("the code's own init failure is not retried", async () => {
  const { scheduler } = setup();
  let loads = 0;
  const broken = exec("1", {
    loadCode: async () => {
      loads++;
      throw new Error(
        "SANDBOX_INIT_FAILED: Runtime.HandlerNotFound: index.handler is undefined or not exported",
      );
    },
  });
  await assert.rejects(scheduler.run(broken, "{}"), /SANDBOX_INIT_FAILED/);
  assert.equal(loads, 1);
});
