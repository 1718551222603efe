// The async queue's rules with a stand-in engine: persistence, retries, resumption, refusal of unknown targets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import type { Engine } from "../../../../main/invoke/engine.ts";

function fakeEngine(
  behaviour: (payload: string, attempt: number) => { ok: boolean; payload?: string } | "hang",
) {
  const attempts = new Map<string, number>();
  return {
    calls: attempts,
    engine: {
      resolve: (_caller: string, ref: { task: string }) => {
        if (ref.task === "missing") throw new Error('TASK_NOT_FOUND: no task "missing"');
        return {};
      },
      invoke: async (req: { payload: string; requestId: string }) => {
        const n = (attempts.get(req.requestId) ?? 0) + 1;
        attempts.set(req.requestId, n);
        const r = behaviour(req.payload, n);
        if (r === "hang") return new Promise(() => {});
        return {
          ok: r.ok,
          payload: r.payload,
          error: r.ok ? undefined : { errorType: "Error", errorMessage: `failed attempt ${n}`, trace: [] },
          servedVersion: "$LATEST",
          durationMs: 1,
        };
      },
    } as unknown as Engine,
  };
}

test("a failing invocation is retried twice, then recorded as failed with its last error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const { engine, calls } = fakeEngine(() => ({ ok: false }));
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  const a = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: "{}" });
  await q.idle();
  const done = q.get(a.id)!;
  assert.equal(done.state, "failed");
  assert.equal(done.attempts, 3);
  assert.equal(calls.get(a.id), 3);
  assert.equal(done.outcome?.error?.errorMessage, "failed attempt 3");
  assert.equal(JSON.parse(readFileSync(join(dir, `${a.id}.json`), "utf8")).state, "failed");
});

test("success on a retry ends the retries", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const { engine } = fakeEngine((_p, n) => (n === 2 ? { ok: true, payload: '"ok"' } : { ok: false }));
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  const a = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: "{}" });
  await q.idle();
  assert.equal(q.get(a.id)!.state, "succeeded");
  assert.equal(q.get(a.id)!.attempts, 2);
  assert.equal(q.get(a.id)!.outcome?.payload, '"ok"');
});

test("an unknown target is refused before anything is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const q = new AsyncInvocations(fakeEngine(() => ({ ok: true })).engine, { dir });
  await q.start();
  await assert.rejects(
    q.enqueue({ callerProfileId: "prf_a", ref: { task: "missing" }, payload: "{}" }),
    /TASK_NOT_FOUND/,
  );
  assert.deepEqual(q.list(), []);
});

test("what was running when the queue stopped runs again on the next start, and counts as an attempt", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const first = new AsyncInvocations(fakeEngine(() => "hang").engine, { dir, retryDelaysMs: [10, 10] });
  await first.start();
  const a = await first.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: '{"n":1}' });
  await new Promise((r) => setTimeout(r, 20));
  first.close();
  assert.equal(JSON.parse(readFileSync(join(dir, `${a.id}.json`), "utf8")).state, "running");
  writeFileSync(join(dir, "stray.json.123.tmp"), "half");

  const { engine } = fakeEngine((payload) => ({ ok: true, payload }));
  const second = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  assert.deepEqual(await second.start(), { resumed: 1 });
  await second.idle();
  const item = second.get(a.id)!;
  assert.equal(item.state, "succeeded");
  assert.equal(item.attempts, 2);
  assert.equal(item.outcome?.payload, '{"n":1}');
});
