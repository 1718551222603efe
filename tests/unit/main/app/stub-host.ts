// A Host for tests of main/app without VMs: a temp store with profile alice and task "echo", an engine over a
// stand-in scheduler that prints two lines ("first", "second") and echoes the payload, live logs, and a pool of no
// VMs whose change events a test may emit.
import { EventEmitter } from "node:events";
import type { TestContext } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import type { Host } from "../../../../main/host.ts";
import { Engine } from "../../../../main/invoke/engine.ts";
import type { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import { InvocationLogs } from "../../../../main/invoke/invocation-logs.ts";
import { Invoker } from "../../../../main/invoke/invoker.ts";
import type { Execution, RunOutcome, SandboxScheduler } from "../../../../main/invoke/sandbox-scheduler.ts";
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import { SharingRegistry } from "../../../../main/remote/sharing-registry.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { LogFiles } from "../../../../main/store/log-files.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";

/** A host over a temp store: profile alice with task "echo", run by a scheduler that prints two lines. */
export async function stubHost(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-ipc-"));
  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "alice" }, ctx()));
  await store.documents.update((s) =>
    createTask(
      s,
      profile.id,
      {
        name: "echo",
        runtime: "nodejs",
        handler: "index.handler",
        code: { sha256: "1".padStart(64, "0"), size: 10 },
      },
      ctx(),
    ),
  );
  const runs: { exec: Execution; payload: string }[] = [];
  const scheduler = {
    run: async (
      exec: Execution,
      payload: string,
      o: { requestId: string; onLog?: (l: { stream: "stdout" | "stderr"; line: string }) => void },
    ): Promise<RunOutcome> => {
      runs.push({ exec, payload });
      o.onLog?.({ stream: "stdout", line: "first" });
      await new Promise((r) => setTimeout(r, 5));
      o.onLog?.({ stream: "stderr", line: "second" });
      return {
        requestId: o.requestId,
        ok: true,
        payload,
        durationMs: 1,
        roundTripMs: 1,
        maxRssKb: 2048,
        servedVersion: exec.spec.functionVersion,
        servedConfigKey: exec.configKey,
        vm: "vm",
        coldStart: false,
        queuedMs: 0,
        concurrency: 1,
      };
    },
    vmReport: () => new Map(),
    invocationsOn: () => 0,
    on: () => {},
    off: () => {},
  } as unknown as SandboxScheduler;
  const logs = new InvocationLogs(new LogFiles(join(dir, "logs")));
  const engine = new Engine(store, scheduler, systemRandom.float, logs);
  const ensured: string[] = [];
  const queue = {
    enqueue: async () => ({ id: "async-1", state: "queued" }),
    get: () => undefined,
  };
  const remoteConnections = new RemoteConnections();
  const host = {
    dataDir: dir,
    accel: "tcg",
    manifest: { inputsKey: "test-image" },
    store,
    engine,
    logs,
    scheduler,
    // An emitter, so tests can play VM changes through the pool's event feed.
    pool: Object.assign(new EventEmitter(), {
      ensure: (p: string) => ensured.push(p),
      list: () => [],
      get: () => undefined,
      warmth: () => [],
      figures: {},
    }),
    async: queue,
    invoker: new Invoker({ store, engine, async: queue as unknown as AsyncInvocations, remoteConnections }),
    remoteConnections,
    sharing: new SharingRegistry(),
  } as unknown as Host;
  // In this order: log records still buffered go to the store's folder before it is closed and removed.
  t.after(async () => {
    host.remoteConnections.close();
    await logs.flush();
    await store.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  });
  return { host, runs, ensured, profile };
}
