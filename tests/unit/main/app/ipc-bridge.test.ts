// The window's IPC bridge with a stand-in ipcMain and a host over a temp store and a stand-in scheduler (no VMs):
// every message checked, errors as { code, message, field }, streams on per-call channels, cleaned up after.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { LogRecord } from "../../../../main/contract.ts";
import { stubHost } from "./stub-host.ts";
import { StartupProgress } from "../../../../main/startup-progress.ts";
import { ensureTlsIdentity } from "../../../../main/store/tls-identity.ts";
import {
  registerIpcBridge,
  type IpcEventLike,
  type IpcMainLike,
  type SenderLike,
} from "../../../../main/app/ipc-bridge.ts";
import {
  CALL_CHANNEL,
  INVOKE_STREAM_CHANNEL,
  LIVE_LOGS_CLOSE_CHANNEL,
  LIVE_LOGS_OPEN_CHANNEL,
  SHARE_LINK_CHANNEL,
  SHARE_LINKS_TAKE_CHANNEL,
  streamChannel,
  type IpcAnswer,
} from "../../../../main/app/ipc-channels.ts";

type Listener = (event: IpcEventLike, ...args: unknown[]) => unknown;

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  readonly listeners = new Map<string, Set<Listener>>();
  handle(channel: string, listener: Listener): void {
    assert.ok(!this.handlers.has(channel), `${channel} handled twice`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel) ?? new Set();
    set.add(listener);
    this.listeners.set(channel, set);
  }
  removeListener(channel: string, listener: Listener): void {
    this.listeners.get(channel)?.delete(listener);
  }
  /** What ipcRenderer.invoke would resolve with. */
  async invoke<T = unknown>(channel: string, event: IpcEventLike, ...args: unknown[]): Promise<IpcAnswer<T>> {
    const h = this.handlers.get(channel);
    assert.ok(h, `no handler for ${channel}`);
    return (await h(event, ...args)) as IpcAnswer<T>;
  }
  send(channel: string, event: IpcEventLike, ...args: unknown[]): void {
    for (const l of this.listeners.get(channel) ?? []) l(event, ...args);
  }
}

let nextId = 1;
class FakeWindow implements SenderLike {
  readonly id = nextId++;
  readonly sent: { channel: string; data: unknown }[] = [];
  private destroyed = false;
  private readonly events = new EventEmitter();
  send(channel: string, ...args: unknown[]): void {
    assert.ok(!this.destroyed, "sent to a destroyed window");
    this.sent.push({ channel, data: args[0] });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  once(event: "destroyed", listener: () => void): void {
    this.events.once(event, listener);
  }
  destroy(): void {
    this.destroyed = true;
    this.events.emit("destroyed");
  }
  on(channel: string): unknown[] {
    return this.sent.filter((s) => s.channel === channel).map((s) => s.data);
  }
  get event(): IpcEventLike {
    return { sender: this, senderFrame: { url: "file:///app/renderer/out/index.html" } };
  }
}

async function world(t: TestContext) {
  const { host, runs, ensured, profile } = await stubHost(t);
  const ipc = new FakeIpcMain();
  const bridge = registerIpcBridge(ipc, { host: async () => host });
  t.after(() => bridge.dispose());
  return { ipc, bridge, host, runs, ensured, profile };
}

function failed(a: IpcAnswer, code: string, field?: string): string {
  assert.equal(a.ok, false, `expected ${code}, got ${JSON.stringify(a)}`);
  if (a.ok) return "";
  assert.equal(a.error.code, code, a.error.message);
  assert.equal(a.error.field, field, a.error.message);
  assert.ok(a.error.message.startsWith(`${code}: `), a.error.message);
  assert.deepEqual(
    Object.keys(a.error).sort(),
    field === undefined ? ["code", "message"] : ["code", "field", "message"],
  );
  return a.error.message;
}

test("an unknown operation, or a malformed envelope, is refused before anything runs", async (t) => {
  const { ipc } = await world(t);
  const w = new FakeWindow();
  for (const name of ["dropDatabase", "__proto__", "toString", "constructor", ""]) {
    const message = failed(
      await ipc.invoke(CALL_CHANNEL, w.event, { name, input: {} }),
      "INVALID_INPUT",
      "name",
    );
    assert.match(message, /unknown operation/);
  }
  failed(await ipc.invoke(CALL_CHANNEL, w.event, "listTasks"), "INVALID_INPUT");
  failed(await ipc.invoke(CALL_CHANNEL, w.event, { name: 42 }), "INVALID_INPUT", "name");
  failed(await ipc.invoke(CALL_CHANNEL, w.event, { name: "health", extra: 1 }), "INVALID_INPUT", "extra");
  failed(await ipc.invoke(CALL_CHANNEL, w.event, { name: "health", profile: 7 }), "INVALID_INPUT", "profile");
  failed(await ipc.invoke(CALL_CHANNEL, w.event, undefined), "INVALID_INPUT");
});

test("bad input is refused with the operation's own schema, naming the field", async (t) => {
  const { ipc, host } = await world(t);
  const w = new FakeWindow();
  const call = (name: string, input: unknown, profile?: string) =>
    ipc.invoke(CALL_CHANNEL, w.event, { name, input, ...(profile ? { profile } : {}) });
  assert.match(
    failed(await call("createProfile", { name: 5 }), "INVALID_INPUT", "name"),
    /name must be a string/,
  );
  failed(await call("createProfile", { name: "bob", admin: true }), "INVALID_INPUT", "admin");
  failed(await call("getTask", { task: "" }, "alice"), "INVALID_INPUT", "task");
  failed(
    await call("createGrant", { task: "echo", grantee: "x", maxMemoryMb: "lots" }, "alice"),
    "INVALID_INPUT",
    "maxMemoryMb",
  );
  failed(await call("invoke", { task: "echo", mode: "sometimes" }, "alice"), "INVALID_INPUT", "mode");
  failed(await call("queryLogs", { task: "echo", since: "yesterday" }, "alice"), "INVALID_INPUT", "since");
  failed(await call("listTasks", [], "alice"), "INVALID_INPUT");
  // Nothing of the refused calls was stored.
  assert.deepEqual(
    host.store.documents.state.profiles.map((p) => p.name),
    ["alice"],
  );
});

test("valid calls run through the native handlers, acting as the envelope's profile", async (t) => {
  const { ipc, ensured } = await world(t);
  const w = new FakeWindow();
  const ok = async (name: string, input: unknown, profile?: string): Promise<unknown> => {
    const a = await ipc.invoke(CALL_CHANNEL, w.event, { name, input, ...(profile ? { profile } : {}) });
    assert.ok(a.ok, JSON.stringify(a));
    return a.value;
  };
  assert.equal(((await ok("health", {})) as { name: string }).name, "hearth");
  // The window is the machine's owner: it may create profiles, and sees every profile.
  const bob = (await ok("createProfile", { name: "bob" })) as {
    profile: { id: string };
    credentials: object;
  };
  assert.ok(bob.credentials);
  assert.deepEqual(ensured, [bob.profile.id]);
  assert.deepEqual(((await ok("listProfiles", {})) as { name: string }[]).map((p) => p.name).sort(), [
    "alice",
    "bob",
  ]);
  // Profile operations act as the profile named in the envelope (by name or id), and need one.
  assert.deepEqual(
    ((await ok("listTasks", {}, "alice")) as { name: string }[]).map((t) => t.name),
    ["echo"],
  );
  assert.deepEqual(await ok("listTasks", {}, bob.profile.id), []);
  assert.match(
    failed(
      await ipc.invoke(CALL_CHANNEL, w.event, { name: "listTasks", input: {} }),
      "INVALID_INPUT",
      "profile",
    ),
    /profile/,
  );
  failed(
    await ipc.invoke(CALL_CHANNEL, w.event, { name: "listTasks", profile: "nobody" }),
    "PROFILE_NOT_FOUND",
    "profile",
  );
  failed(
    await ipc.invoke(CALL_CHANNEL, w.event, { name: "getTask", input: { task: "nope" }, profile: "bob" }),
    "TASK_NOT_FOUND",
    "task",
  );
  // A synchronous invocation answers with the contract's InvocationResult.
  const r = (await ok("invoke", { task: "echo", payload: '{"a":1}' }, "alice")) as {
    ok: boolean;
    result: unknown;
    version: string;
    maxMemoryUsedMb: number;
  };
  assert.deepEqual([r.ok, r.result, r.version, r.maxMemoryUsedMb], [true, { a: 1 }, "$LATEST", 2]);
  // An accepted asynchronous one answers with the accepted invocation (HTTP's 202 has no IPC equivalent).
  assert.deepEqual(await ok("invoke", { task: "echo", mode: "async" }, "alice"), {
    requestId: "async-1",
    state: "queued",
  });
  failed(
    await ipc.invoke(CALL_CHANNEL, w.event, {
      name: "invoke",
      input: { task: "echo", mode: "stream" },
      profile: "alice",
    }),
    "INVALID_INPUT",
    "mode",
  );
  failed(
    await ipc.invoke(CALL_CHANNEL, w.event, {
      name: "invoke",
      input: { task: "echo", payload: "{" },
      profile: "alice",
    }),
    "INVALID_INPUT",
    "payload",
  );
});

test("a streamed invocation sends start, each line and the result on its own channel, then answers", async (t) => {
  const { ipc } = await world(t);
  const w = new FakeWindow();
  const a = await ipc.invoke(INVOKE_STREAM_CHANNEL, w.event, {
    profile: "alice",
    streamId: "s-1",
    input: { task: "echo", payload: "{}" },
  });
  assert.deepEqual(a, { ok: true, value: null });
  const events = w.on(streamChannel("s-1")) as { type: string; line?: string }[];
  assert.deepEqual(
    events.map((e) => (e.type === "log" ? `log:${e.line}` : e.type)),
    ["start", "log:first", "log:second", "result"],
  );
  assert.deepEqual(
    w.sent.map((s) => s.channel).filter((c) => c !== streamChannel("s-1")),
    [],
  );
  // A target that does not resolve is an error answer, and no event is sent.
  failed(
    await ipc.invoke(INVOKE_STREAM_CHANNEL, w.event, {
      profile: "alice",
      streamId: "s-2",
      input: { task: "nope" },
    }),
    "TASK_NOT_FOUND",
    "task",
  );
  assert.deepEqual(w.on(streamChannel("s-2")), []);
  failed(
    await ipc.invoke(INVOKE_STREAM_CHANNEL, w.event, {
      profile: "alice",
      streamId: "../x",
      input: { task: "echo" },
    }),
    "INVALID_INPUT",
    "streamId",
  );
  failed(
    await ipc.invoke(INVOKE_STREAM_CHANNEL, w.event, { profile: "alice", streamId: "s-3", input: "echo" }),
    "INVALID_INPUT",
    "input",
  );
});

test("a live tail streams records until closed, and ends when its window goes away", async (t) => {
  const { ipc, bridge } = await world(t);
  const w = new FakeWindow();
  const lines = (id: string) =>
    (w.on(streamChannel(id)) as LogRecord[]).filter((r) => r.kind === "line").map((r) => r.line);
  const invoke = () =>
    ipc.invoke(CALL_CHANNEL, w.event, { name: "invoke", input: { task: "echo" }, profile: "alice" });

  failed(
    await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, { streamId: "t-1", input: { task: "echo" } }),
    "INVALID_INPUT",
    "profile",
  );
  failed(
    await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
      profile: "alice",
      streamId: "t-1",
      input: { task: "nope" },
    }),
    "TASK_NOT_FOUND",
    "task",
  );
  failed(
    await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
      profile: "alice",
      streamId: "t-1",
      input: { task: "echo", limit: 3 },
    }),
    "INVALID_INPUT",
    "limit",
  );
  assert.equal(bridge.openStreams, 0);

  assert.ok(
    (
      await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
        profile: "alice",
        streamId: "t-1",
        input: { task: "echo" },
      })
    ).ok,
  );
  failed(
    await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
      profile: "alice",
      streamId: "t-1",
      input: { task: "echo" },
    }),
    "INVALID_INPUT",
    "streamId",
  );
  await invoke();
  assert.deepEqual(lines("t-1"), ["first", "second"]);

  ipc.send(LIVE_LOGS_CLOSE_CHANNEL, w.event, { streamId: "t-1" });
  assert.equal(bridge.openStreams, 0);
  await invoke();
  assert.deepEqual(lines("t-1"), ["first", "second"], "nothing after the close");

  // A window that goes away takes its tails with it; a release (reload) too.
  assert.ok(
    (
      await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
        profile: "alice",
        streamId: "t-2",
        input: { task: "echo" },
      })
    ).ok,
  );
  assert.ok(
    (
      await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
        profile: "alice",
        streamId: "t-3",
        input: { task: "echo" },
      })
    ).ok,
  );
  assert.equal(bridge.openStreams, 2);
  bridge.release(w.id);
  assert.equal(bridge.openStreams, 0);
  assert.ok(
    (
      await ipc.invoke(LIVE_LOGS_OPEN_CHANNEL, w.event, {
        profile: "alice",
        streamId: "t-4",
        input: { task: "echo" },
      })
    ).ok,
  );
  w.destroy();
  assert.equal(bridge.openStreams, 0);
  await invoke(); // would throw in FakeWindow.send if anything still sent to it
});

test("only the app's own window is answered, and a host that failed to start says why", async (t) => {
  const w = new FakeWindow();
  const trusted = new FakeWindow();
  const ipc = new FakeIpcMain();
  const bridge = registerIpcBridge(ipc, {
    host: () => Promise.reject(new Error("IMAGE_NOT_BUILT: no guest image in /x")),
    trust: (e) => e.sender.id === trusted.id,
  });
  t.after(() => bridge.dispose());
  failed(await ipc.invoke(CALL_CHANNEL, w.event, { name: "health" }), "FORBIDDEN", "sender");
  failed(await ipc.invoke(SHARE_LINKS_TAKE_CHANNEL, w.event), "FORBIDDEN", "sender");
  failed(
    await ipc.invoke(INVOKE_STREAM_CHANNEL, w.event, { streamId: "a", input: {} }),
    "FORBIDDEN",
    "sender",
  );
  const a = await ipc.invoke(CALL_CHANNEL, trusted.event, { name: "health" });
  assert.ok(
    !a.ok && a.error.code === "HOST_NOT_STARTED" && /IMAGE_NOT_BUILT/.test(a.error.message),
    JSON.stringify(a),
  );
});

test("share links wait for the window to listen, then go straight to it", async (t) => {
  const { ipc, bridge } = await world(t);
  const link = (n: number) => ({
    endpoint: `https://h${n}.example:7443`,
    token: `hth_${"a".repeat(43)}`,
    fingerprint: `sha256:${"0".repeat(64)}`,
  });
  bridge.shareLink(link(1));
  bridge.shareLink(link(2));
  const w = new FakeWindow();
  assert.deepEqual(await ipc.invoke(SHARE_LINKS_TAKE_CHANNEL, w.event), {
    ok: true,
    value: [link(1), link(2)],
  });
  assert.deepEqual(await ipc.invoke(SHARE_LINKS_TAKE_CHANNEL, w.event), { ok: true, value: [] });
  bridge.shareLink(link(3));
  assert.deepEqual(w.on(SHARE_LINK_CHANNEL), [link(3)]);
  w.destroy();
  bridge.shareLink(link(4));
  const again = new FakeWindow();
  assert.deepEqual(await ipc.invoke(SHARE_LINKS_TAKE_CHANNEL, again.event), { ok: true, value: [link(4)] });
});

test("dispose removes every channel", async (t) => {
  const { ipc, bridge } = await world(t);
  bridge.dispose();
  assert.equal(ipc.handlers.size, 0);
  assert.equal(
    [...ipc.listeners.values()].reduce((n, s) => n + s.size, 0),
    0,
  );
});

test("the window learns how the start goes while the host is still starting; other calls wait for it", async (t) => {
  const w = new FakeWindow();
  const ipc = new FakeIpcMain();
  const progress = new StartupProgress();
  progress.begin("host", "starting the VM pool");
  let started = false;
  const bridge = registerIpcBridge(ipc, {
    // A host that is still starting: it never resolves during this test.
    host: () => new Promise(() => {}),
    startup: () => progress.status(),
  });
  t.after(() => bridge.dispose());
  const a = await ipc.invoke<{ phase: string; title: string }>(CALL_CHANNEL, w.event, { name: "startup" });
  assert.ok(a.ok && a.value.phase === "host" && a.value.title === "starting the VM pool", JSON.stringify(a));
  void ipc.invoke(CALL_CHANNEL, w.event, { name: "health" }).then(() => (started = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(started, false, "health waits for the host");
  progress.ready();
  const b = await ipc.invoke<{ phase: string }>(CALL_CHANNEL, w.event, { name: "startup" });
  assert.ok(b.ok && b.value.phase === "ready", JSON.stringify(b));
});

test("the window shares an alias through the bridge's view of the shared listener; without one, sharing is off", async (t) => {
  const { host, profile } = await stubHost(t);
  const w = new FakeWindow();
  const profileName = profile.name;
  const call = (ipc: FakeIpcMain, name: string, input: Record<string, unknown>) =>
    ipc.invoke<{ id: string }>(CALL_CHANNEL, w.event, { name, profile: profileName, input });

  const off = new FakeIpcMain();
  const offBridge = registerIpcBridge(off, { host: async () => host });
  t.after(() => offBridge.dispose());
  const published = await call(off, "publishVersion", { task: "echo" });
  assert.equal(published.ok, true, JSON.stringify(published));
  const alias = await call(off, "createAlias", { task: "echo", name: "live", version: 1 });
  assert.ok(alias.ok, JSON.stringify(alias));
  failed(await call(off, "shareAlias", { aliasId: alias.value.id }), "SHARING_OFF");

  const identity = await ensureTlsIdentity(host.dataDir, { hosts: ["192.0.2.7"] });
  const endpoint = {
    url: "https://192.0.2.7:4545",
    fingerprint: identity.fingerprint,
    certPem: identity.cert,
  };
  const asked: unknown[] = [];
  const on = new FakeIpcMain();
  const onBridge = registerIpcBridge(on, {
    host: async () => host,
    sharing: (h) => {
      asked.push(h);
      return endpoint;
    },
  });
  t.after(() => onBridge.dispose());
  const shared = await on.invoke<{ endpoint: string; fingerprint: string; link: string; name: string }>(
    CALL_CHANNEL,
    w.event,
    { name: "shareAlias", profile: profileName, input: { aliasId: alias.value.id } },
  );
  assert.ok(shared.ok, JSON.stringify(shared));
  assert.equal(shared.value.endpoint, endpoint.url);
  assert.equal(shared.value.fingerprint, endpoint.fingerprint);
  assert.equal(shared.value.name, "echo");
  assert.ok(shared.value.link.startsWith("hearth://share?"), shared.value.link);
  assert.deepEqual(asked, [host], "the bridge asks about the host it runs the call on");
});
