// The invoke store: payload checks, log lines appended as they stream, the outcome, and runs the user walked away from.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { InvocationResult } from "../../../main/contract.ts";
import { createInvokeStore, MAX_RECENT } from "../../../renderer/stores/invoke-store.ts";
import { apiError, fakeApi, tick } from "./fake-api.ts";

const result = (over: Partial<InvocationResult> = {}): InvocationResult => ({
  requestId: "req-1",
  ok: true,
  result: { ok: 1 },
  version: "$LATEST",
  servedVersion: "$LATEST",
  durationMs: 12,
  maxMemoryUsedMb: 40,
  coldStart: false,
  ...over,
});

const log = (line: string) => ({
  type: "log" as const,
  t: "2026-11-23T10:00:00.000Z",
  stream: "stdout" as const,
  line,
});

test("lines land in the store one at a time, before the result", async () => {
  const api = fakeApi({});
  const seen: string[] = [];
  api.stream = async (emit) => {
    emit({ type: "start", requestId: "req-1" });
    for (const l of ["one", "two", "three"]) {
      emit(log(l));
      await tick(1);
    }
    emit({ type: "result", result: result() });
  };
  const store = createInvokeStore(api);
  store.subscribe((s) => seen.push(`${s.logs.length}:${s.result ? "result" : "-"}`));
  store.getState().setTarget({ task: "echo", qualifier: "prod" });
  store.getState().setPayload('{"a":1}');
  await store.getState().run();
  const s = store.getState();
  assert.deepEqual(
    s.logs.map((l) => l.line),
    ["one", "two", "three"],
  );
  assert.equal(s.result?.requestId, "req-1");
  assert.equal(s.running, false);
  assert.equal(s.error, null);
  // Each line was a state of its own, and the result came after the last one.
  for (const step of ["1:-", "2:-", "3:-", "3:result"]) assert.ok(seen.includes(step), `${step} in ${seen}`);
  assert.deepEqual(api.calls[0], {
    name: "invoke",
    input: { task: "echo", qualifier: "prod", payload: '{"a":1}' },
  });
  assert.equal(s.recent.length, 1);
  assert.equal(s.recent[0]!.target, "echo:prod");
});

test("an invalid payload never leaves the window, and says where it is wrong", async () => {
  const api = fakeApi({});
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "echo" });
  store.getState().setPayload('{\n  "a": 1,\n}');
  assert.equal(store.getState().payloadProblem?.line, 3);
  await store.getState().run();
  assert.equal(api.calls.length, 0);
  store.getState().setPayload("   ");
  assert.equal(store.getState().payloadProblem, null);
  await store.getState().run();
  assert.equal((api.calls[0]!.input as { payload: string }).payload, "{}");
});

test("a failure to run (an error event, or a refused request) is a readable error", async () => {
  const api = fakeApi({});
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "ghost" });
  api.stream = async (emit) => emit({ type: "error", error: { code: "NO_VM_AVAILABLE", message: "no VM" } });
  await store.getState().run();
  assert.deepEqual(store.getState().error, { code: "NO_VM_AVAILABLE", message: "no VM" });

  api.stream = async () => {
    throw apiError(404, "TASK_NOT_FOUND", 'no task "ghost"', "task");
  };
  await store.getState().run();
  assert.equal(store.getState().error?.code, "TASK_NOT_FOUND");
  assert.equal(store.getState().error?.field, "task");
  assert.equal(store.getState().running, false);
});

test("a handler's own failure is the result, not an error", async () => {
  const api = fakeApi({});
  api.stream = async (emit) =>
    emit({
      type: "result",
      result: result({ ok: false, error: { errorType: "TypeError", errorMessage: "boom" } }),
    });
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "crasher" });
  await store.getState().run();
  assert.equal(store.getState().error, null);
  assert.equal(store.getState().result?.error?.errorMessage, "boom");
  assert.equal(store.getState().recent[0]!.ok, false);
});

test("a stream that ends without an outcome says so", async () => {
  const api = fakeApi({});
  api.stream = async (emit) => emit(log("half"));
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "echo" });
  await store.getState().run();
  assert.equal(store.getState().error?.code, "STREAM_ENDED");
});

test("after switching target mid-run, the old run's events are dropped", async () => {
  const api = fakeApi({});
  let release!: () => void;
  api.stream = async (emit) => {
    emit(log("early"));
    await new Promise<void>((r) => (release = r));
    emit(log("late"));
    emit({ type: "result", result: result() });
  };
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "slow" });
  const running = store.getState().run();
  await tick();
  assert.equal(store.getState().logs.length, 1);
  store.getState().setTarget({ task: "other" });
  release();
  await running;
  assert.deepEqual(store.getState().logs, []);
  assert.equal(store.getState().result, null);
  assert.equal(store.getState().running, false);
});

test("one run at a time, and the latency history stays bounded", async () => {
  const api = fakeApi({});
  api.stream = async (emit) => {
    await tick(1);
    emit({ type: "result", result: result() });
  };
  const store = createInvokeStore(api);
  store.getState().setTarget({ task: "echo" });
  await Promise.all([store.getState().run(), store.getState().run()]);
  assert.equal(api.calls.length, 1);
  for (let i = 0; i < MAX_RECENT + 5; i++) await store.getState().run();
  assert.equal(store.getState().recent.length, MAX_RECENT);
});
