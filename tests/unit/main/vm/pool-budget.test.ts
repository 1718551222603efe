// The host-wide VM budget on a fake driver: a full host gives room to a waiting profile, boots are queued fairly,
// VMs get their profile's CPU weight, and a profile whose VMs keep dying backs off.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import type { Execution } from "../../../../main/invoke/sandbox-scheduler.ts";
import type { PoolOptions, VmStateChange } from "../../../../main/vm/pool.ts";
import type { FakeDriverOptions } from "../../../helpers/fake-driver.ts";
import { fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function setup(
  pool: Partial<PoolOptions>,
  delays: FakeDriverOptions = { loadDelayMs: 10, invokeDelayMs: 10 },
) {
  const stack = fakeSchedulerStack({ delays, pool: { refill: "boot", ...pool } });
  cleanup.push(stack.close);
  const events: VmStateChange[] = [];
  let mostLive = 0;
  stack.pool.on("vm-state", (e) => {
    events.push(e);
    const live = stack.pool.list().filter((v) => ["booting", "ready", "busy"].includes(v.state)).length;
    mostLive = Math.max(mostLive, live);
  });
  return { ...stack, events, mostLive: () => mostLive };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const exec = (profile: string, task: string): Execution => ({
  profile,
  configKey: `${profile}-${task}`,
  taskKey: `${profile}-${task}`,
  lineKey: `${profile}-${task}`,
  follow: false,
  spec: {
    runtime: "nodejs",
    handler: "index.handler",
    functionName: task,
    functionVersion: "1",
    memoryMb: 128,
    timeoutMs: 30_000,
    env: {},
  },
  loadCode: async () => ({ zip: Buffer.from("zip"), sha256: "0".repeat(64) }),
});

test("a full host: another profile's spare gives way to a profile that waits for a VM", async () => {
  const { pool, mostLive } = setup({ warm: 1, maxVms: 2 });
  await pool.start();
  for (const p of ["alice", "bob", "carol"]) pool.ensure(p);
  await until("two spares", () => pool.list().filter((v) => v.state === "ready").length === 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(pool.list().length, 2, "spares are made only from free room");
  const waiter = pool.list().some((v) => v.profile === "carol") ? "alice" : "carol";
  const vm = await pool.acquire(waiter, 2000);
  assert.equal(vm.profile, waiter);
  assert.ok(mostLive() <= 2, `at most 2 VMs lived at once, saw ${mostLive()}`);
});

test("a profile holding every VM of a full host gives one back to a profile under its share", async () => {
  // alice runs long calls on two VMs (two tasks): the host is full when bob's first call comes.
  const { scheduler, pool, mostLive } = setup(
    { warm: 0, maxVms: 2 },
    { loadDelayMs: 10, invokeDelayMs: 300 },
  );
  await pool.start();
  const flood = [1, 2, 3, 4, 5, 6].map((i) => scheduler.run(exec("alice", `t${i % 2}`), "{}"));
  await until("alice holds two VMs", () => pool.list("alice").filter((v) => v.state === "busy").length === 2);
  const yields: string[] = [];
  pool.on("yield", (e) => yields.push(`${e.profile} for ${e.for}`));
  const t0 = performance.now();
  const bob = await scheduler.run(exec("bob", "echo"), "{}");
  const waited = performance.now() - t0;
  assert.equal(bob.ok, true);
  assert.deepEqual(yields, ["alice for bob"]);
  // The VM alice gives back finishes its calls (300 ms each) and goes, then bob's boots; without the budget bob
  // would wait for alice's VMs to idle for five minutes.
  assert.ok(waited < 1500, `bob waited ${Math.round(waited)} ms`);
  const results = await Promise.all(flood);
  assert.ok(
    results.every((r) => r.ok),
    "alice's calls all answered",
  );
  assert.ok(mostLive() <= 2, `at most 2 VMs lived at once, saw ${mostLive()}`);
});

test("queued boots go to the profile with the fewest VMs first, not first come first served", async () => {
  const { pool, events } = setup({ warm: 0, maxVms: 8, maxConcurrentBoots: 1 }, { bootDelayMs: 40 });
  await pool.start();
  const alice = [1, 2, 3].map(() => pool.acquire("alice", 5000));
  await new Promise((r) => setTimeout(r, 5));
  const bob = pool.acquire("bob", 5000);
  await Promise.all([...alice, bob]);
  const readyOrder = events.filter((e) => e.to === "ready").map((e) => e.vm.profile);
  assert.deepEqual(readyOrder.slice(0, 2), ["alice", "bob"], `ready in order ${readyOrder.join(", ")}`);
});

test("every serving VM gets its part of its profile's CPU weight, renewed as VMs come and go", async () => {
  const { pool, driver } = setup({ warm: 0, maxVms: 8 });
  await pool.start();
  const [a1, a2] = await Promise.all([pool.acquire("alice"), pool.acquire("alice")]);
  const b1 = await pool.acquire("bob");
  await until(
    "weights",
    () => driver.cpuShares.get(a1.name) === 512 && driver.cpuShares.get(a2.name) === 512,
  );
  assert.equal(driver.cpuShares.get(b1.name), 1024);
  await pool.retire(a2, "test");
  await until("alice's one VM weighs the whole profile", () => driver.cpuShares.get(a1.name) === 1024);
});

test("a profile whose VMs die soon after they are ready backs off before booting again", async () => {
  const { pool, driver, events } = setup({ warm: 1, maxVms: 8 });
  const problems: string[] = [];
  pool.on("problem", (p) => problems.push(p.message));
  // Every VM of mallory's dies as soon as it is ready, as a guest that crashes its agent would.
  pool.on("vm-state", (e) => {
    if (e.vm.profile === "mallory" && e.to === "ready") void driver.kill(e.vm.name);
  });
  await pool.start();
  pool.ensure("mallory");
  pool.ensure("alice");
  await new Promise((r) => setTimeout(r, 2500));
  const boots = events.filter((e) => e.vm.profile === "mallory" && e.to === "booting").length;
  // Boots take 20 ms here: without a back-off there would be about a hundred; with it 1 + 1 s + 2 s + 4 s….
  assert.ok(boots >= 2 && boots <= 4, `${boots} boots of mallory in 2.5 s`);
  assert.ok(
    problems.some((m) => /died 0 s after it was ready/.test(m)),
    problems.join("\n"),
  );
  assert.equal(
    pool.list("alice").filter((v) => v.state === "ready").length,
    1,
    "another profile keeps its spare",
  );
});

test("a profile under its share gets spares on a full host from a profile over its share, up to the share, and keeps them", async () => {
  const { pool, events } = setup({ warm: 4, maxPerProfile: 4, maxVms: 4 });
  await pool.start();
  pool.ensure("alice");
  await until(
    "alice fills the host with spares",
    () => pool.list("alice").filter((v) => v.state === "ready").length === 4,
  );
  pool.ensure("bob");
  await until("a spare for bob", () => pool.list("bob").some((v) => v.state === "ready"));
  // Settled: bob keeps his spare and alice does not take the room back.
  await new Promise((r) => setTimeout(r, 300));
  // Both want four spares on a host with room for four: each ends with its fair share, two.
  assert.equal(pool.list("bob").filter((v) => v.state === "ready").length, 2);
  assert.equal(pool.list("alice").filter((v) => v.state === "ready").length, 2);
  const retired = events.filter((e) => e.to === "draining").map((e) => `${e.vm.profile}: ${e.reason}`);
  assert.deepEqual(retired, [
    'alice: room for a spare of profile "bob"',
    'alice: room for a spare of profile "bob"',
  ]);
});
