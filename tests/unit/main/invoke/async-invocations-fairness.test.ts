// The async queue shared fairly: one profile's flood or retries never hold every worker or delay another's call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import type { Engine } from "../../../../main/invoke/engine.ts";
import { DEFAULT_SETTINGS } from "./async-settings.ts";

interface Call {
  profile: string;
  payload: string;
  finish: (ok: boolean) => void;
}

/** An engine whose invocations run until the test finishes them: "sleepers" of exactly the length the test wants. */
function heldEngine() {
  const started: Call[] = [];
  const engine = {
    resolve: () => ({}),
    eventSettings: () => ({ ...DEFAULT_SETTINGS }),
    invoke: (req: { callerProfileId: string; payload: string }) =>
      new Promise((resolve) => {
        started.push({
          profile: req.callerProfileId,
          payload: req.payload,
          finish: (ok) =>
            resolve({
              ok,
              payload: ok ? '"done"' : undefined,
              error: ok ? undefined : { errorType: "Error", errorMessage: "failed", trace: [] },
              servedVersion: "$LATEST",
              durationMs: 1,
            }),
        });
      }),
  } as unknown as Engine;
  const running = (profile: string) => started.filter((c) => c.profile === profile && !done.has(c)).length;
  const done = new Set<Call>();
  const finish = (c: Call, ok = true) => {
    done.add(c);
    c.finish(ok);
  };
  return { engine, started, running, finish, isDone: (c: Call) => done.has(c) };
}

/** Lets the queue's file writes (each flushed to disk, slow on a busy machine) and follow-up pumps happen. */
async function settle(cond: () => boolean = () => true): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    await new Promise((r) => setTimeout(r, 2));
    if (cond()) {
      // A little more, so anything that would wrongly start too has the chance to.
      await new Promise((r) => setTimeout(r, 10));
      return;
    }
  }
}

const dir = () => mkdtempSync(join(tmpdir(), "hearth-async-fair-"));
const call = (profile: string, n: number) => ({
  callerProfileId: profile,
  ref: { task: "sleep" },
  payload: `${n}`,
});

test("another profile's call starts at once while one profile floods the queue with long sleepers", async () => {
  const e = heldEngine();
  const q = new AsyncInvocations(e.engine, { dir: dir(), concurrency: 4 });
  await q.start();
  for (let n = 0; n < 10; n++) await q.enqueue(call("prf_a", n));
  await settle(() => e.started.length >= 3);
  // The flood holds all but one worker: nothing of a's has finished, yet b's call starts.
  assert.equal(e.running("prf_a"), 3);
  await q.enqueue(call("prf_b", 0));
  await settle(() => e.running("prf_b") === 1);
  assert.equal(e.running("prf_b"), 1);
  assert.equal(e.started.length, 4);
  // a's own order is kept: its first three went first.
  assert.deepEqual(
    e.started.filter((c) => c.profile === "prf_a").map((c) => c.payload),
    ["0", "1", "2"],
  );
  q.close();
});

test("with no worker reserved, another profile's call takes the first worker that frees", async () => {
  const e = heldEngine();
  const q = new AsyncInvocations(e.engine, { dir: dir(), concurrency: 4, maxRunningPerProfile: 4 });
  await q.start();
  for (let n = 0; n < 10; n++) await q.enqueue(call("prf_a", n));
  await settle(() => e.started.length >= 4);
  assert.equal(e.running("prf_a"), 4);
  await q.enqueue(call("prf_b", 0));
  await settle();
  assert.equal(e.running("prf_b"), 0, "every worker is busy: b waits");
  e.finish(e.started[0]!);
  await settle(() => e.running("prf_b") === 1);
  assert.equal(e.running("prf_b"), 1, "the freed worker goes to b, not to a's fifth sleeper");
  assert.equal(e.running("prf_a"), 3);
  assert.equal(e.started.length, 5);
  q.close();
});

test("profiles flooding together share the workers round robin, each keeping its own order", async () => {
  const e = heldEngine();
  const q = new AsyncInvocations(e.engine, { dir: dir(), concurrency: 4 });
  await q.start();
  for (let n = 0; n < 6; n++) await q.enqueue(call("prf_a", n));
  await settle(() => e.started.length >= 3);
  for (let n = 0; n < 6; n++) await q.enqueue(call("prf_b", n));
  for (let n = 0; n < 6; n++) await q.enqueue(call("prf_c", n));
  await settle(() => e.started.length >= 4);
  // a took three workers while alone, b the one kept free; c waits for the next worker to free.
  assert.deepEqual([e.running("prf_a"), e.running("prf_b"), e.running("prf_c")], [3, 1, 0]);
  e.finish(e.started[0]!);
  await settle(() => e.running("prf_c") === 1);
  // Three profiles: a share of one each; c was below it, so the freed worker went to c, not to a's next.
  assert.deepEqual([e.running("prf_a"), e.running("prf_b"), e.running("prf_c")], [2, 1, 1]);
  e.finish(e.started[1]!);
  await settle(() => e.started.length >= 6);
  // Everyone holds its share: the freed worker is lent to the profile served longest ago (a, before b and c).
  assert.deepEqual([e.running("prf_a"), e.running("prf_b"), e.running("prf_c")], [2, 1, 1]);
  for (const p of ["prf_a", "prf_b", "prf_c"]) {
    const order = e.started.filter((c) => c.profile === p).map((c) => Number(c.payload));
    assert.deepEqual(
      order,
      [...order].sort((x, y) => x - y),
      `${p} runs in its own order`,
    );
  }
  q.close();
});

test("retries keep Lambda's two retries with back-off, yet a failing profile never holds every worker", async () => {
  const e = heldEngine();
  const q = new AsyncInvocations(e.engine, { dir: dir(), concurrency: 4, retryDelaysMs: [20, 40] });
  await q.start();
  const ids = [];
  for (let n = 0; n < 4; n++) ids.push((await q.enqueue(call("prf_a", n))).id);
  let most = 0;
  // Every attempt fails; the test fails each as it starts, and watches how many a holds at once.
  for (let i = 0; i < 2000 && e.started.length < 12; i++) {
    await new Promise((r) => setTimeout(r, 5));
    most = Math.max(most, e.running("prf_a"));
    for (const c of e.started) if (!e.isDone(c)) e.finish(c, false);
  }
  await q.idle();
  assert.ok(most <= 3, `a held ${most} workers`);
  for (const id of ids) {
    const item = q.get(id)!;
    assert.equal(item.state, "failed");
    assert.equal(item.attempts, 3);
  }
  assert.equal(e.started.length, 12);
  q.close();
});
