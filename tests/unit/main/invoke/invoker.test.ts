// The invoker on a real store, engine and async queue over the fake VM driver: each mode, the empty-payload rule,
// what an answer carries, and when a local name leads to a remote alias instead of a task here.
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvocationEvent, InvocationResult } from "../../../../main/contract.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { addRemote } from "../../../../main/domain/sharing/remotes.ts";
import { createTask, updateTaskConfig } from "../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import { Engine } from "../../../../main/invoke/engine.ts";
import {
  invocationResult,
  Invoker,
  type InvocationEventSink,
  type InvocationWords,
  type RemoteAliasCall,
} from "../../../../main/invoke/invoker.ts";
import type { RemoteInvokeOptions } from "../../../../main/remote/remote-invoker.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { fakeSchedulerStack } from "../../../helpers/fake-scheduler.ts";

/** What the remote alias's owner answers, in the stand-in for the pinned call. */
const OWNER_RESULT: InvocationResult = {
  requestId: "owner-req",
  ok: true,
  result: { resized: true },
  version: "3",
  servedVersion: "3",
  durationMs: 7,
  maxMemoryUsedMb: 41,
  coldStart: false,
};

interface RemoteCall {
  callerProfileId: string;
  remote: string;
  o: RemoteInvokeOptions;
}

/**
 * A profile with task "echo" ($LATEST at 512 MB, version 1 published at 256 MB) and remote alias "resize", on
 * fake VMs whose sandboxes print two lines and answer `{ version, got }` with the payload they were given.
 */
async function world(t: TestContext, remote: (o: RemoteInvokeOptions) => Promise<InvocationResult>) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-invoker-"));
  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx()));
  const zip = Buffer.from("zip");
  const code = { sha256: await store.blobs.put(zip), size: zip.length };
  const task = { name: "echo", runtime: "nodejs" as const, handler: "index.handler", memoryMb: 256, code };
  await store.documents.update((s) => createTask(s, profile.id, task, ctx()));
  await store.documents.update((s) => publishVersion(s, profile.id, { task: "echo" }, ctx()));
  await store.documents.update((s) =>
    updateTaskConfig(s, profile.id, { task: "echo", memoryMb: 512 }, ctx()),
  );
  await store.documents.update((s) =>
    addRemote(
      s,
      profile.id,
      {
        endpoint: "https://127.0.0.2:7443",
        token: `hth_${"Ab3_-".repeat(8)}xyz`,
        fingerprint: `sha256:${"ab".repeat(32)}`,
        name: "resize",
      },
      ctx(),
    ),
  );
  const stack = fakeSchedulerStack({
    delays: { loadDelayMs: 5, invokeDelayMs: 5, invokeLogLines: ["first", "second"] },
  });
  let runs = 0;
  const run = stack.scheduler.run.bind(stack.scheduler);
  stack.scheduler.run = (...a) => {
    runs++;
    return run(...a);
  };
  const engine = new Engine(store, stack.scheduler);
  const queue = new AsyncInvocations(engine, { dir: join(dir, "async"), retryDelaysMs: [] });
  await queue.start();
  const remoteCalls: RemoteCall[] = [];
  const callRemote: RemoteAliasCall = async (callerProfileId, r, o) => {
    remoteCalls.push({ callerProfileId, remote: r.name, o });
    return remote(o);
  };
  const invoker = new Invoker({
    store,
    engine,
    async: queue,
    callRemote,
    remoteConnections: new RemoteConnections(),
  });
  t.after(async () => {
    queue.close();
    await stack.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const got = (payload: string | undefined): unknown => (JSON.parse(payload!) as { got: string }).got;
  return { invoker, queue, profile, remoteCalls, runs: () => runs, got };
}

/** A sink that records what it is given, in order. */
function recordingSink() {
  const seen: (InvocationEvent | { type: "fail"; err: unknown } | { type: "end" })[] = [];
  let opened = 0;
  const open = (): InvocationEventSink => {
    opened++;
    return {
      send: (e) => void seen.push(e),
      fail: (err) => void seen.push({ type: "fail", err }),
      keepAlive: () => {},
      end: () => void seen.push({ type: "end" }),
    };
  };
  return { seen, open, opened: () => opened };
}

const ownerAnswers = async (): Promise<InvocationResult> => OWNER_RESULT;

test("sync runs the task here and answers its payload, versions, memory limit and, when asked, its lines", async (t) => {
  const w = await world(t, ownerAnswers);
  const caller = { profileId: w.profile.id };
  const a = await w.invoker.invoke({ caller, target: { task: "echo" }, payload: '{"n":1}', mode: "sync" });
  assert.equal(a.ok, true);
  assert.equal(w.got(a.payload), '{"n":1}');
  assert.equal(a.version, "$LATEST");
  assert.equal(a.servedVersion, "$LATEST");
  assert.equal(a.memoryMb, 512);
  assert.equal(a.lines, undefined, "lines are kept only when asked for");
  assert.deepEqual(invocationResult(a).result, { version: "$LATEST", got: '{"n":1}' });

  // The memory limit is the version's that ran, not $LATEST's.
  const v1 = await w.invoker.invoke({
    caller,
    target: { task: "echo", qualifier: "1" },
    payload: "{}",
    mode: "sync",
    keepLines: true,
  });
  assert.equal(v1.version, "1");
  assert.equal(v1.memoryMb, 256);
  assert.deepEqual(v1.lines, ["first", "second"]);
  assert.equal(w.remoteCalls.length, 0);
});

test("an empty payload is {}; anything else must be JSON, refused with the caller's field before anything runs", async (t) => {
  const w = await world(t, ownerAnswers);
  const caller = { profileId: w.profile.id };
  for (const payload of ["", "  \n"]) {
    const a = await w.invoker.invoke({ caller, target: { task: "echo" }, payload, mode: "sync" });
    assert.equal(w.got(a.payload), "{}");
  }
  const before = w.runs();
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "echo" }, payload: "{nope", mode: "sync" }),
    (e: Error & { code?: string; field?: string }) => e.code === "INVALID_INPUT" && e.field === "payload",
  );
  const words: InvocationWords = {
    payloadField: "Payload",
    modeField: "InvocationType",
    modes: { sync: "with RequestResponse", async: "with Event" },
  };
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "echo" }, payload: "[", mode: "async", words }),
    (e: Error & { code?: string; field?: string }) => e.code === "INVALID_INPUT" && e.field === "Payload",
  );
  assert.equal(w.runs(), before, "a refused payload reached a sandbox");
  // An event Hearth built goes as its JSON.
  const a = await w.invoker.invoke({ caller, target: { task: "echo" }, event: { path: "/x" }, mode: "sync" });
  assert.equal(w.got(a.payload), '{"path":"/x"}');
});

test("async accepts into the queue at once and runs it there; an unknown target is refused, not queued", async (t) => {
  const w = await world(t, ownerAnswers);
  const caller = { profileId: w.profile.id };
  const accepted = await w.invoker.invoke({ caller, target: { task: "echo" }, payload: "", mode: "async" });
  // Answered on acceptance: the queue may have started it already, but not finished it.
  assert.ok(["queued", "running"].includes(accepted.state), accepted.state);
  assert.equal(w.queue.get(accepted.requestId)?.payload, "{}");
  for (let i = 0; i < 200 && w.queue.get(accepted.requestId)?.state !== "succeeded"; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(w.queue.get(accepted.requestId)?.state, "succeeded");
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "nope" }, payload: "{}", mode: "async" }),
    /TASK_NOT_FOUND/,
  );
});

test("stream sends start, each line and the result, then ends; a wrong target is refused before it opens", async (t) => {
  const w = await world(t, ownerAnswers);
  const caller = { profileId: w.profile.id };
  const sink = recordingSink();
  await w.invoker.invoke({
    caller,
    target: { task: "echo" },
    payload: "",
    mode: "stream",
    openEvents: sink.open,
  });
  assert.deepEqual(
    sink.seen.map((e) => e.type),
    ["start", "log", "log", "result", "end"],
  );
  const [start, first, second, result] = sink.seen as [
    Extract<InvocationEvent, { type: "start" }>,
    Extract<InvocationEvent, { type: "log" }>,
    Extract<InvocationEvent, { type: "log" }>,
    Extract<InvocationEvent, { type: "result" }>,
  ];
  assert.deepEqual([first.line, second.line], ["first", "second"]);
  assert.equal(result.result.requestId, start.requestId);
  assert.deepEqual(result.result.result, { version: "$LATEST", got: "{}" });

  const refused = recordingSink();
  await assert.rejects(
    w.invoker.invoke({
      caller,
      target: { task: "nope" },
      payload: "",
      mode: "stream",
      openEvents: refused.open,
    }),
    /TASK_NOT_FOUND/,
  );
  assert.equal(refused.opened(), 0);
});

test("dry-run checks the caller may run the target and runs nothing", async (t) => {
  const w = await world(t, ownerAnswers);
  const caller = { profileId: w.profile.id };
  const before = w.runs();
  await w.invoker.invoke({ caller, target: { task: "echo", qualifier: "1" }, payload: "", mode: "dry-run" });
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "echo", qualifier: "7" }, payload: "", mode: "dry-run" }),
    /VERSION_NOT_FOUND/,
  );
  assert.equal(w.runs(), before);
});

test("a profile's remote alias runs on its owner's machine; an outsider or a qualified name never reaches it", async (t) => {
  const w = await world(t, async (o) => {
    o.onEvent?.({ type: "log", t: "2026-01-01T00:00:00Z", stream: "stdout", line: "owner's line" });
    return OWNER_RESULT;
  });
  const caller = { profileId: w.profile.id };
  const before = w.runs();
  const a = await w.invoker.invoke({ caller, target: { task: "resize" }, payload: "", mode: "sync" });
  assert.equal(w.remoteCalls.length, 1);
  assert.equal(w.remoteCalls[0]!.o.payload, "{}", "the empty-payload rule holds for a remote alias too");
  assert.equal(w.remoteCalls[0]!.o.onEvent, undefined, "a plain call when no lines are kept");
  assert.equal(a.payload, '{"resized":true}');
  assert.equal(a.servedVersion, "3");
  assert.equal(a.memoryMb, 41, "the owner's setting is not shared: what it used stands in");
  assert.deepEqual(invocationResult(a), OWNER_RESULT);

  const tail = await w.invoker.invoke({
    caller,
    target: { task: "resize" },
    payload: "{}",
    mode: "sync",
    keepLines: true,
  });
  assert.deepEqual(tail.lines, ["owner's line"]);
  await w.invoker.invoke({ caller, target: { task: "resize" }, payload: "", mode: "dry-run" });
  assert.equal(w.remoteCalls.length, 2, "a dry run asks the owner nothing");
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "resize" }, payload: "", mode: "async" }),
    (e: Error & { code?: string; field?: string }) =>
      e.code === "INVALID_INPUT" && e.field === "mode" && /sync or streamed, not async/.test(e.message),
  );
  // An outsider's names are not the profile's: there is no task "resize" here.
  await assert.rejects(
    w.invoker.invoke({
      caller: { ...caller, outsider: true },
      target: { task: "resize" },
      payload: "",
      mode: "sync",
    }),
    /TASK_NOT_FOUND/,
  );
  await assert.rejects(
    w.invoker.invoke({ caller, target: { task: "resize", qualifier: "1" }, payload: "", mode: "sync" }),
    /TASK_NOT_FOUND/,
  );
  assert.equal(w.remoteCalls.length, 2);
  assert.equal(w.runs(), before, "nothing ran here for a remote alias");
});

test("a remote alias's stream opens with the owner's first event; a failure before it is thrown, after it sent", async (t) => {
  let fail: "before" | "after" | null = null;
  const w = await world(t, async (o) => {
    if (fail === "before")
      throw Object.assign(new Error("REMOTE_UNREACHABLE: no"), { code: "REMOTE_UNREACHABLE" });
    o.onEvent?.({ type: "start", requestId: "owner-req" });
    o.onEvent?.({ type: "log", t: "2026-01-01T00:00:00Z", stream: "stdout", line: "owner's line" });
    if (fail === "after")
      throw Object.assign(new Error("SANDBOX_TIMEOUT: slow"), { code: "SANDBOX_TIMEOUT" });
    return OWNER_RESULT;
  });
  const caller = { profileId: w.profile.id };
  const stream = (sink: ReturnType<typeof recordingSink>) =>
    w.invoker.invoke({
      caller,
      target: { task: "resize" },
      payload: "",
      mode: "stream",
      openEvents: sink.open,
    });

  const ok = recordingSink();
  await stream(ok);
  assert.deepEqual(
    ok.seen.map((e) => e.type),
    ["start", "log", "result", "end"],
  );
  assert.deepEqual((ok.seen[2] as Extract<InvocationEvent, { type: "result" }>).result, OWNER_RESULT);

  fail = "before";
  const unreachable = recordingSink();
  await assert.rejects(stream(unreachable), /REMOTE_UNREACHABLE/);
  assert.equal(unreachable.opened(), 0);

  fail = "after";
  const cut = recordingSink();
  await stream(cut);
  assert.deepEqual(
    cut.seen.map((e) => e.type),
    ["start", "log", "fail", "end"],
  );
  assert.match(String((cut.seen[2] as { err: Error }).err.message), /SANDBOX_TIMEOUT/);
});
