// A sandbox the guest gave up restarting (it crashed too often) is dropped by the scheduler, so the next request
// loads a fresh one instead of waiting forever on a slot that will never come up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import type { Execution } from "../../../../main/invoke/sandbox-scheduler.ts";
import { fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

const exec: Execution = {
  profile: "p1",
  configKey: "cfg-1",
  taskKey: "t1",
  lineKey: "line-1",
  follow: true,
  spec: {
    runtime: "nodejs",
    handler: "index.handler",
    functionName: "f",
    functionVersion: "1",
    memoryMb: 128,
    timeoutMs: 3000,
    env: {},
  },
  loadCode: async () => ({ zip: Buffer.from("zip"), sha256: "0".repeat(64) }),
};

/** The agent's word that a sandbox's runtime exited with status 3, and whether it starts it again. */
const exitedWith3 = (slot: number, restarting: boolean) => ({
  t: "sandbox-exit" as const,
  slot,
  reason: "exit" as const,
  exitCode: 3,
  signal: null,
  detail: "",
  restarting,
});

test("a sandbox left failed after its last crash is replaced on the next request", async () => {
  const { scheduler, pool, close } = fakeSchedulerStack();
  try {
    const first = await scheduler.run(exec, "{}");
    assert.equal(first.coldStart, true);
    const [sb] = scheduler.snapshot();
    assert.ok(sb);
    const session = pool.get(sb.vm)!.session!;
    session.emit("sandbox-exit", exitedWith3(sb.slot, false));
    assert.deepEqual(scheduler.snapshot(), [], "the failed sandbox is still scheduled");
    const next = await Promise.race([
      scheduler.run(exec, "{}"),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the request hung")), 5000)),
    ]);
    assert.equal(next.ok, true);
    assert.equal(next.coldStart, true, "a fresh sandbox was loaded");
  } finally {
    await close();
  }
});

test("a sandbox that restarts after a crash stays scheduled", async () => {
  const { scheduler, pool, close } = fakeSchedulerStack();
  try {
    await scheduler.run(exec, "{}");
    const [sb] = scheduler.snapshot();
    pool.get(sb!.vm)!.session!.emit("sandbox-exit", exitedWith3(sb!.slot, true));
    assert.equal(scheduler.snapshot().length, 1);
  } finally {
    await close();
  }
});

test("a request waiting on a sandbox whose restart failed goes to a new sandbox, never having run", async () => {
  const { scheduler, pool, driver, close } = fakeSchedulerStack();
  try {
    await scheduler.run(exec, "{}");
    const [sb] = scheduler.snapshot();
    const session = pool.get(sb!.vm)!.session!;
    const exited = once(session, "sandbox-exit");
    driver.agentEvent(sb!.vm, exitedWith3(sb!.slot, true));
    await exited;
    // The sandbox is restarting: the request waits in its queue until it is up again, or fails to come up.
    const waiting = scheduler.run(exec, JSON.stringify({ n: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    driver.agentEvent(sb!.vm, {
      t: "sandbox-failed",
      slot: sb!.slot,
      error: {
        errorType: "Runtime.ExitError",
        errorMessage: "Runtime exited during init with signal: SIGKILL",
        trace: [],
      },
    });
    const r = await waiting;
    assert.equal(r.ok, true, `answered with ${JSON.stringify(r.error)}`);
    assert.equal(r.coldStart, true, "a fresh sandbox was loaded for it");
    assert.deepEqual(JSON.parse(r.payload!).got, JSON.stringify({ n: 2 }));
    assert.equal(scheduler.snapshot().length, 1, "the failed sandbox is still scheduled");
  } finally {
    await close();
  }
});
