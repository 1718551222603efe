// The preload against the real IPC bridge, over a stand-in electron whose messages to the page arrive later (as
// over a pipe): exactly `window.hearth`, errors as plain { code, message, detail, field }, streams that end, tails
// that stop, share links; and a bundle that requires nothing a sandboxed preload cannot.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import type * as ElectronMock from "./electron-mock.ts";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { buildApp, PRELOAD_BUNDLE } from "../../../../main/app/build.ts";
import { registerIpcBridge, type IpcBridge, type IpcMainLike } from "../../../../main/app/ipc-bridge.ts";
import { streamChannel } from "../../../../main/app/ipc-channels.ts";
import type {
  HearthDesktopApi,
  InvocationEvent,
  LogRecord,
  ShareLink,
  VmView,
} from "../../../../main/contract.ts";
import type { Host } from "../../../../main/host.ts";
import { stubHost } from "./stub-host.ts";

let electron: typeof ElectronMock;
let hearth: HearthDesktopApi;
let bridge: IpcBridge;
let host: Host;

const streamListeners = () =>
  electron.ipcRenderer.activeChannels().filter((c) => c.startsWith(streamChannel("")));
const settle = () => new Promise((r) => setTimeout(r, 20));

before(async () => {
  register(new URL("./electron-mock-hooks.mjs", import.meta.url), {
    data: { mock: new URL("./electron-mock.ts", import.meta.url).href },
  });
  electron = (await import("electron" as string)) as typeof ElectronMock;
  await import("../../../../main/app/preload.ts");
  hearth = electron.contextBridge.exposed.hearth as HearthDesktopApi;
});

test("the preload exposes exactly window.hearth with the contract's five functions", () => {
  assert.deepEqual(Object.keys(electron.contextBridge.exposed), ["hearth"]);
  assert.deepEqual(Object.keys(hearth).sort(), [
    "call",
    "invokeStream",
    "liveLogs",
    "onShareLink",
    "poolEvents",
  ]);
});

test("calls reach the host; failures reject with a plain object shaped like HearthApiError", async (t) => {
  ({ host } = await stubHost(t));
  bridge = registerIpcBridge(electron.ipcMain as unknown as IpcMainLike, { host: async () => host });
  t.after(() => bridge.dispose());
  assert.equal((await hearth.call("health", {})).name, "hearth");
  assert.deepEqual(
    (await hearth.call("listTasks", {}, "alice")).map((x) => x.name),
    ["echo"],
  );
  const err = await hearth.call("getTask", { task: "" }, "alice").then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(!(err instanceof Error), "not an Error: the context bridge would drop its fields");
  assert.deepEqual(err, {
    name: "HearthApiError",
    code: "INVALID_INPUT",
    message: "INVALID_INPUT: task must not be empty",
    detail: "task must not be empty",
    field: "task",
  });
  const unknown = await hearth.call("nope" as "health", {}).then(
    () => assert.fail("resolved"),
    (e: { code: string; field: string }) => e,
  );
  assert.deepEqual([unknown.code, unknown.field], ["INVALID_INPUT", "name"]);
});

test("invokeStream delivers every event in order and resolves after the result, even when the answer comes first", async (t) => {
  ({ host } = await stubHost(t));
  bridge = registerIpcBridge(electron.ipcMain as unknown as IpcMainLike, { host: async () => host });
  t.after(() => bridge.dispose());
  const events: InvocationEvent[] = [];
  await hearth.invokeStream({ task: "echo", payload: '{"n":1}' }, (e) => events.push(e), "alice");
  assert.deepEqual(
    events.map((e) => (e.type === "log" ? e.line : e.type)),
    ["start", "first", "second", "result"],
  );
  const last = events.at(-1)!;
  assert.ok(last.type === "result" && last.result.ok && (last.result.result as { n: number }).n === 1);
  const failed = await hearth
    .invokeStream({ task: "missing" }, (e) => events.push(e), "alice")
    .catch((e: { code: string }) => e.code);
  assert.equal(failed, "TASK_NOT_FOUND");
  await settle();
  assert.equal(events.length, 4, "no event for an invocation that never started");
  assert.deepEqual(streamListeners(), [], "the stream channels' listeners are gone");
});

test("liveLogs tails until the returned function is called, and then stops on both sides", async (t) => {
  ({ host } = await stubHost(t));
  bridge = registerIpcBridge(electron.ipcMain as unknown as IpcMainLike, { host: async () => host });
  t.after(() => bridge.dispose());
  const records: LogRecord[] = [];
  const stop = hearth.liveLogs({ task: "echo" }, (r) => records.push(r), "alice");
  await settle();
  assert.equal(bridge.openStreams, 1);
  await hearth.call("invoke", { task: "echo" }, "alice");
  await settle();
  assert.deepEqual(
    records.filter((r) => r.kind === "line").map((r) => r.line),
    ["first", "second"],
  );
  stop();
  await settle();
  assert.equal(bridge.openStreams, 0);
  await hearth.call("invoke", { task: "echo" }, "alice");
  await settle();
  assert.equal(records.filter((r) => r.kind === "line").length, 2);
  // Stopped before it opened: the tail opens, then closes at once.
  hearth.liveLogs({ task: "echo" }, () => assert.fail("a stopped tail got a record"), "alice")();
  await settle();
  assert.equal(bridge.openStreams, 0);
  assert.deepEqual(streamListeners(), []);
});

test("poolEvents follows the acting profile's VMs until stopped; a refused feed reports why", async (t) => {
  let alice: { id: string };
  ({ host, profile: alice } = await stubHost(t));
  bridge = registerIpcBridge(electron.ipcMain as unknown as IpcMainLike, { host: async () => host });
  t.after(() => bridge.dispose());
  const change = (profile: string, state: string) => ({
    vm: { id: `vm-${profile}`, name: `hearth-${profile}`, profile, state, origin: "boot", createdAt: 1 },
  });
  const seen: VmView[] = [];
  const stop = hearth.poolEvents((vm) => seen.push(vm), "alice");
  const everyone: VmView[] = [];
  const stopAll = hearth.poolEvents((vm) => everyone.push(vm));
  await settle();
  assert.equal(bridge.openStreams, 2);
  host.pool.emit("vm-state", change(alice.id, "booting") as never);
  host.pool.emit("vm-state", change("prf_other", "booting") as never);
  await settle();
  assert.deepEqual(
    seen.map((v) => [v.profile, v.state, v.sandboxes]),
    [[alice.id, "booting", []]],
  );
  assert.deepEqual(
    everyone.map((v) => v.profile),
    [alice.id, "prf_other"],
  );
  stop();
  stopAll();
  await settle();
  assert.equal(bridge.openStreams, 0);
  host.pool.emit("vm-state", change(alice.id, "ready") as never);
  await settle();
  assert.equal(seen.length, 1);
  const errors: { code: string }[] = [];
  hearth.poolEvents(
    () => assert.fail("a refused feed got an event"),
    "nobody",
    (e) => errors.push(e),
  );
  await settle();
  assert.deepEqual(
    errors.map((e) => e.code),
    ["PROFILE_NOT_FOUND"],
  );
  assert.deepEqual(streamListeners(), []);
});

test("share links that came before the page listened, then the ones after", async (t) => {
  ({ host } = await stubHost(t));
  bridge = registerIpcBridge(electron.ipcMain as unknown as IpcMainLike, { host: async () => host });
  t.after(() => bridge.dispose());
  const link = (n: number): ShareLink => ({
    endpoint: `https://h${n}.example`,
    token: `hth_${"b".repeat(43)}`,
    fingerprint: `sha256:${"c".repeat(64)}`,
  });
  bridge.shareLink(link(1));
  const got: ShareLink[] = [];
  const stop = hearth.onShareLink((l) => got.push(l));
  await settle();
  bridge.shareLink(link(2));
  await settle();
  stop();
  bridge.shareLink(link(3));
  await settle();
  assert.deepEqual(got, [link(1), link(2)]);
});

test("the bundled preload is CommonJS and requires only electron", async () => {
  await buildApp();
  const code = readFileSync(PRELOAD_BUNDLE, "utf8");
  const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ["electron"]);
  assert.doesNotMatch(code, /^\s*(import|export)\s/m);
});
