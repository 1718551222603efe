// The async queue's rules with a stand-in engine: persistence, retries, resumption, refusals, caps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import type { Engine, EventSettings } from "../../../../main/invoke/engine.ts";
import { DEFAULT_SETTINGS } from "./async-settings.ts";
import { isHearthError } from "../../../../main/domain/model/errors.ts";
import { lambdaErrorResponse } from "../../../../main/http/error-status.ts";
import { nativeErrorResponse } from "../../../../main/operations/error-status.ts";

function fakeEngine(
  behaviour: (payload: string, attempt: number) => { ok: boolean; payload?: string } | "hang",
  settings: (ref: { task: string }) => Partial<EventSettings> = () => ({}),
) {
  const attempts = new Map<string, number>();
  return {
    calls: attempts,
    engine: {
      resolve: (_caller: string, ref: { task: string }) => {
        if (ref.task === "missing") throw new Error('TASK_NOT_FOUND: no task "missing"');
        return {};
      },
      eventSettings: (_caller: string, ref: { task: string }): EventSettings => {
        if (ref.task === "missing") throw new Error('TASK_NOT_FOUND: no task "missing"');
        return {
          ...DEFAULT_SETTINGS,
          functionArn: `arn:aws:lambda:local:111122223333:function:${ref.task}:$LATEST`,
          ...settings(ref),
        };
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
  // Waits for the record to say it runs (a loaded machine may take longer than a fixed pause), then stops.
  const state = (): string => JSON.parse(readFileSync(join(dir, `${a.id}.json`), "utf8")).state;
  for (const deadline = Date.now() + 5000; state() !== "running" && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  first.close();
  assert.equal(state(), "running");
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

test("a profile's queue is capped: one more is refused as a throttle, other profiles still queue", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const q = new AsyncInvocations(fakeEngine(() => "hang").engine, { dir, maxQueuedPerProfile: 2 });
  await q.start();
  // Sent at once: the writes in flight count, so a burst cannot slip past the cap.
  const burst = await Promise.allSettled(
    [1, 2, 3, 4].map((n) => q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: `${n}` })),
  );
  assert.equal(burst.filter((r) => r.status === "fulfilled").length, 2);
  const refused = burst.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.ok(isHearthError(refused.reason, "ASYNC_QUEUE_FULL"), String(refused.reason));
  assert.match((refused.reason as Error).message, /2 asynchronous invocations queued or running/);
  // What an SDK sees: a throttle it backs off from, with the reason in the message.
  const answer = lambdaErrorResponse(refused.reason);
  assert.equal(answer.status, 429);
  assert.equal(answer.headers["x-amzn-errortype"], "TooManyRequestsException");
  assert.match(answer.body.message, /^ASYNC_QUEUE_FULL: /);
  assert.equal(nativeErrorResponse(refused.reason).status, 429);
  await q.enqueue({ callerProfileId: "prf_b", ref: { task: "t" }, payload: "{}" });
  assert.equal(readdirSync(dir).filter((f) => f.endsWith(".json")).length, 3);
  q.close();
});

test("a payload over the asynchronous limit is refused before anything is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const q = new AsyncInvocations(fakeEngine(() => ({ ok: true })).engine, { dir });
  await q.start();
  const big = JSON.stringify("x".repeat(256 * 1024));
  await assert.rejects(
    q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: big }),
    (err: unknown) => isHearthError(err, "PAYLOAD_TOO_LARGE") && /262144 bytes/.test((err as Error).message),
  );
  assert.deepEqual(readdirSync(dir), []);
});

test("a result larger than a record keeps is left out, and the record says so", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const result = JSON.stringify("y".repeat(5000));
  const q = new AsyncInvocations(fakeEngine(() => ({ ok: true, payload: result })).engine, {
    dir,
    maxOutcomeBytes: 1024,
  });
  await q.start();
  const a = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: "{}" });
  await q.idle();
  const outcome = q.get(a.id)!.outcome!;
  assert.equal(q.get(a.id)!.state, "succeeded");
  assert.equal(outcome.payload, undefined);
  assert.deepEqual(outcome.payloadOmitted, { bytes: 5002, limitBytes: 1024 });
  assert.ok(readFileSync(join(dir, `${a.id}.json`), "utf8").length < 1024);
});

test("finished records are capped per profile, the oldest removed first", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const q = new AsyncInvocations(fakeEngine(() => ({ ok: true })).engine, { dir, maxFinishedPerProfile: 2 });
  await q.start();
  const ids = [];
  for (let n = 0; n < 4; n++) {
    ids.push((await q.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: `${n}` })).id);
    await q.idle();
    await new Promise((r) => setTimeout(r, 2)); // distinct finishing times
  }
  await q.enqueue({ callerProfileId: "prf_b", ref: { task: "t" }, payload: "{}" });
  await q.idle();
  assert.deepEqual(
    q
      .list({ callerProfileId: "prf_a" })
      .map((i) => i.id)
      .sort(),
    ids.slice(2).sort(),
  );
  assert.equal(q.list({ callerProfileId: "prf_b" }).length, 1);
  assert.equal(readdirSync(dir).length, 3);
});

test("a record written before the caps existed still loads and runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const id = "0b6f5c1e-8a7d-4d3e-9f00-123456789abc";
  const now = new Date().toISOString();
  // Exactly the shape the earlier version wrote: no fields this one added.
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify({
      id,
      callerProfileId: "prf_a",
      ref: { task: "t" },
      payload: '{"old":true}',
      state: "queued",
      attempts: 0,
      maxAttempts: 3,
      nextAt: Date.now(),
      createdAt: now,
      updatedAt: now,
    }),
  );
  const q = new AsyncInvocations(fakeEngine((payload) => ({ ok: true, payload })).engine, { dir });
  assert.deepEqual(await q.start(), { resumed: 1 });
  await q.idle();
  assert.equal(q.get(id)!.state, "succeeded");
  assert.equal(q.get(id)!.outcome?.payload, '{"old":true}');
});

test("the task's MaximumRetryAttempts bounds the attempts; 0 runs an event once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const { engine, calls } = fakeEngine(
    () => ({ ok: false }),
    (ref) => ({ maximumRetryAttempts: ref.task === "once" ? 0 : 1 }),
  );
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  const once = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "once" }, payload: "{}" });
  const twice = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "twice" }, payload: "{}" });
  await q.idle();
  assert.deepEqual([calls.get(once.id), calls.get(twice.id)], [1, 2]);
  assert.deepEqual(
    [q.get(once.id)!.condition, q.get(twice.id)!.condition],
    ["RetriesExhausted", "RetriesExhausted"],
  );
});

test("an event older than its maximum age is dropped unrun as EventAgeExceeded, and its failure is sent on", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const { engine, calls } = fakeEngine(
    (payload) => (payload.includes("requestContext") ? { ok: true, payload } : { ok: false }),
    (ref) =>
      ref.task === "aging"
        ? { maximumEventAgeSeconds: 60, onFailure: "arn:aws:lambda:local:111122223333:function:sink" }
        : {},
  );
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  // Written by an earlier run two minutes ago, and never run since.
  const old = new Date(Date.now() - 120_000).toISOString();
  const id = "0f0f0f0f-0000-4000-8000-000000000001";
  writeFileSync(
    join(dir, `${id}.json`),
    JSON.stringify({
      id,
      callerProfileId: "prf_a",
      ref: { task: "aging" },
      payload: '{"n":1}',
      state: "queued",
      attempts: 0,
      maxAttempts: 3,
      nextAt: 0,
      createdAt: old,
      updatedAt: old,
      functionArn: "arn:aws:lambda:local:111122223333:function:aging:$LATEST",
      maxAgeS: 60,
    }),
  );
  await q.start();
  await q.idle();
  const item = q.get(id)!;
  assert.equal(item.state, "failed");
  assert.equal(item.condition, "EventAgeExceeded");
  assert.equal(item.attempts, 0);
  assert.equal(calls.get(id), undefined, "it never ran");
  const sent = item.delivered!;
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.kind, "destination");
  const dest = q.get(sent[0]!.requestId!)!;
  assert.equal(dest.callerProfileId, "prf_owner", "the task's owner invokes its destination");
  assert.deepEqual(dest.origin, { kind: "destination", requestId: id, depth: 1 });
  const record = JSON.parse(dest.payload);
  assert.deepEqual(record.requestContext, {
    requestId: id,
    functionArn: "arn:aws:lambda:local:111122223333:function:aging:$LATEST",
    condition: "EventAgeExceeded",
    approximateInvokeCount: 0,
  });
  assert.deepEqual(record.requestPayload, { n: 1 });
  assert.equal(record.responseContext, undefined);
});

test("destinations get Lambda's record on success and on failure; the dead-letter target gets the event", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const sink = "arn:aws:lambda:local:111122223333:function:sink";
  const dlq = "arn:aws:lambda:local:111122223333:function:dlq";
  const { engine } = fakeEngine(
    (payload) => (JSON.parse(payload).fail ? { ok: false } : { ok: true, payload: '{"done":true}' }),
    (ref) =>
      ref.task === "work"
        ? { maximumRetryAttempts: 1, onSuccess: sink, onFailure: sink, deadLetter: dlq }
        : {},
  );
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  const good = await q.enqueue({
    callerProfileId: "prf_a",
    ref: { task: "work" },
    payload: '{"fail":false}',
  });
  const bad = await q.enqueue({ callerProfileId: "prf_a", ref: { task: "work" }, payload: '{"fail":true}' });
  await q.idle();
  const ok = q.get(good.id)!;
  assert.deepEqual(
    ok.delivered!.map((d) => [d.kind, d.arn]),
    [["destination", sink]],
  );
  const okRecord = JSON.parse(q.get(ok.delivered![0]!.requestId!)!.payload);
  assert.equal(okRecord.version, "1.0");
  assert.equal(okRecord.requestContext.condition, "Success");
  assert.equal(okRecord.requestContext.approximateInvokeCount, 1);
  assert.deepEqual(okRecord.responseContext, { statusCode: 200, executedVersion: "$LATEST" });
  assert.deepEqual(okRecord.responsePayload, { done: true });

  const failed = q.get(bad.id)!;
  assert.equal(failed.attempts, 2);
  assert.deepEqual(
    failed.delivered!.map((d) => [d.kind, d.arn]),
    [
      ["destination", sink],
      ["dead-letter", dlq],
    ],
  );
  const failRecord = JSON.parse(q.get(failed.delivered![0]!.requestId!)!.payload);
  assert.equal(failRecord.requestContext.condition, "RetriesExhausted");
  assert.equal(failRecord.requestContext.approximateInvokeCount, 2);
  assert.deepEqual(failRecord.responseContext, {
    statusCode: 200,
    executedVersion: "$LATEST",
    functionError: "Unhandled",
  });
  assert.deepEqual(failRecord.responsePayload, {
    errorMessage: "failed attempt 2",
    errorType: "Error",
    stackTrace: [],
  });
  assert.equal(q.get(failed.delivered![1]!.requestId!)!.payload, '{"fail":true}');
});

test("an event is seen ended only with its destination's record already sent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  const sink = "arn:aws:lambda:local:111122223333:function:sink";
  const { engine } = fakeEngine(
    (payload) => (JSON.parse(payload).fail ? { ok: false } : { ok: true }),
    (ref) => (ref.task === "work" ? { maximumRetryAttempts: 0, onSuccess: sink, onFailure: sink } : {}),
  );
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  for (const fail of [false, true]) {
    const { id } = await q.enqueue({
      callerProfileId: "prf_a",
      ref: { task: "work" },
      payload: JSON.stringify({ fail }),
    });
    // Looked at between every turn of the loop, as a caller polling its state would.
    for (let looks = 0; ; looks++) {
      const item = q.get(id)!;
      if (item.state === "succeeded" || item.state === "failed") {
        assert.equal(item.delivered?.length, 1, `ended without its destination: ${JSON.stringify(item)}`);
        assert.ok(item.delivered[0]!.requestId);
        break;
      }
      assert.ok(looks < 100_000, "the event never ended");
      await new Promise((r) => setImmediate(r));
    }
  }
  await q.idle();
});

test("a chain of destinations stops at 16 events, noted on the last", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-async-unit-"));
  // a → b → a → …: each one's success goes to the other.
  const { engine } = fakeEngine(
    () => ({ ok: true, payload: "{}" }),
    (ref) => ({ onSuccess: `arn:aws:lambda:local:111122223333:function:${ref.task === "a" ? "b" : "a"}` }),
  );
  const q = new AsyncInvocations(engine, { dir, retryDelaysMs: [10, 10] });
  await q.start();
  await q.enqueue({ callerProfileId: "prf_owner", ref: { task: "a" }, payload: "{}" });
  await q.idle();
  const all = q.list();
  assert.equal(all.length, 17);
  const last = all.find((i) => i.origin?.depth === 16)!;
  assert.match(last.delivered![0]!.error!, /loop/);
});
