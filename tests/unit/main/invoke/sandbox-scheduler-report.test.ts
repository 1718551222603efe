// The scheduler's per-VM report for the pool view, on the fake driver: which sandboxes each VM holds, in which
// state, and how many invocations it served; filtered by profile. The pool's warm-up figures beside it.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import type { Execution } from "../../../../main/invoke/sandbox-scheduler.ts";
import { fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function setup(delays = { loadDelayMs: 30, invokeDelayMs: 20 }, warm = 1) {
  const stack = fakeSchedulerStack({ delays, warm });
  cleanup.push(stack.close);
  return stack;
}

const exec = (version: string, over: Partial<Execution> = {}): Execution => ({
  profile: "p1",
  configKey: `cfg-${version}`,
  taskKey: "task-1",
  lineKey: `line-${version}`,
  follow: false,
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

const until = async (ok: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

test("a VM's report lists its sandboxes by slot and counts the invocations it served", async () => {
  const { scheduler } = setup();
  assert.equal(scheduler.vmReport().size, 0, "nothing held before the first invocation");
  const a = await scheduler.run(exec("1"), "{}");
  await scheduler.run(exec("1"), "{}");
  await scheduler.run(exec("2"), "{}");
  const report = scheduler.vmReport();
  assert.deepEqual([...report.keys()], [a.vm]);
  assert.deepEqual(report.get(a.vm), {
    invocations: 3,
    sandboxes: [
      { slot: 1, taskKey: "task-1", version: "1", state: "ready", configKey: "cfg-1" },
      { slot: 2, taskKey: "task-1", version: "2", state: "ready", configKey: "cfg-2" },
    ],
  });
});

test("a sandbox reads loading while its code loads and busy while it runs", async () => {
  const { scheduler } = setup({ loadDelayMs: 80, invokeDelayMs: 80 });
  const states = () => [...scheduler.vmReport().values()].flatMap((r) => r.sandboxes.map((s) => s.state));
  const run = scheduler.run(exec("1"), "{}");
  await until(() => states().includes("loading"));
  await until(() => states().includes("busy"));
  await run;
  assert.deepEqual(states(), ["ready"]);
});

test("the report can be asked for one profile: another profile's VMs stay out", async () => {
  const { scheduler } = setup();
  const a = await scheduler.run(exec("1"), "{}");
  const b = await scheduler.run(exec("1", { profile: "p2" }), "{}");
  assert.deepEqual([...scheduler.vmReport("p1").keys()], [a.vm]);
  assert.deepEqual([...scheduler.vmReport("p2").keys()], [b.vm]);
  assert.equal(scheduler.vmReport().size, 2);
  assert.equal(scheduler.vmReport("nobody").size, 0);
});

test("the pool's warmth counts a profile's spares against its target while they boot", async () => {
  const { pool } = setup({ loadDelayMs: 10, invokeDelayMs: 10 }, 2);
  assert.deepEqual(pool.warmth(), []);
  pool.ensure("p1");
  assert.deepEqual(pool.warmth("p1"), [{ profile: "p1", target: 2, ready: 0, booting: 2, busy: 0 }]);
  await until(() => pool.warmth("p1")[0]!.ready === 2);
  assert.deepEqual(pool.warmth(), [{ profile: "p1", target: 2, ready: 2, booting: 0, busy: 0 }]);
  assert.deepEqual(pool.warmth("p2"), []);
});
