// A real VM booted through libvirt from the built image: the agent, sandboxes, both runtimes, logs and crashes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { loadManifest, bootFiles } from "../../main/vm/image-manifest.ts";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import { bootVm, type BootedVm } from "../../main/vm/vm-boot.ts";
import { slotUidRange, type SandboxSpec } from "../../main/vm/protocol.ts";
import { fixtureDir, fixtureSpec } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const manifest = loadManifest();
if (!manifest) throw new Error('the guest image is not built: run "npm run image" first');

const driver = new LibvirtDriver();
let vm: BootedVm;

const specOf = fixtureSpec;

async function load(slot: number, name: string, overrides: Partial<SandboxSpec> = {}) {
  const { zip, sha256 } = await zipFolder(fixtureDir(name));
  return vm.session.load(slot, specOf(name, overrides), zip, sha256);
}

before(async () => {
  const { accel } = await chooseAccel(bootFiles(manifest));
  vm = await bootVm(driver, {
    host: "test",
    profile: "test",
    accel,
    manifest,
    logDir: join(tmpdir(), "hearth-test-logs"),
  });
  console.log(
    `# booted ${vm.name} (${accel}): create ${vm.createMs.toFixed(0)} ms, agent ready ${vm.readyMs.toFixed(0)} ms`,
  );
});

after(async () => {
  vm?.session.close();
  if (vm) await driver.destroy(vm.name);
  await driver.close();
});

describe("guest agent in a real VM", () => {
  test("the agent reports ready with its boot time and sandbox slots", () => {
    const r = vm.session.ready!;
    assert.equal(r.protocol, 1);
    assert.ok(r.bootMs > 0 && r.bootMs < 60_000, `bootMs ${r.bootMs}`);
    assert.deepEqual(r.slots, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(r.kernel, manifest.kernel.release);
  });

  test("ping answers", async () => {
    const { rttUs, uptimeMs } = await vm.session.ping();
    assert.ok(rttUs > 0 && uptimeMs >= vm.session.ready!.bootMs);
  });

  test("a code blob whose sha256 does not match is refused", async () => {
    const { zip } = await zipFolder(fixtureDir("echo-node"));
    await assert.rejects(
      vm.session.load(8, specOf("echo-node"), zip, "0".repeat(64)),
      /CODE_CHECKSUM_MISMATCH/,
    );
  });

  test("echo-node and hello-env load into two sandboxes and answer", async () => {
    const echo = await load(1, "echo-node", { functionVersion: "3" });
    const hello = await load(2, "hello-env", { env: { GREETING: "hi", API_KEY: "secret-from-alias" } });
    assert.ok(echo.initMs > 0 && hello.initMs > 0);
    assert.notEqual(echo.pid, hello.pid);

    const r1 = await vm.session.invoke(1, JSON.stringify({ a: 1, text: "ünïcode" }));
    assert.equal(r1.ok, true, JSON.stringify(r1.error));
    assert.deepEqual(JSON.parse(r1.payload!), { echo: { a: 1, text: "ünïcode" }, version: "3" });

    const r2 = await vm.session.invoke(2, JSON.stringify({ name: "Ann" }));
    assert.deepEqual(JSON.parse(r2.payload!), { greeting: "hi, Ann", hasApiKey: true });
    assert.ok(r2.maxRssKb > 1000, `maxRssKb ${r2.maxRssKb}`);
  });

  test("a sandbox cannot read another sandbox's code or environment, and has no network", async () => {
    await load(3, "snoop");
    const r = await vm.session.invoke(3, JSON.stringify({ slot: 2 }));
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const seen = JSON.parse(r.payload!);
    assert.ok(seen.uid >= slotUidRange(3).first && seen.uid <= slotUidRange(3).last, `uid ${seen.uid}`);
    assert.deepEqual(seen.otherCode, { ok: false, code: "EACCES" });
    assert.deepEqual(seen.otherEnvironReadable, []);
    assert.equal(seen.network.ok, true);
    assert.deepEqual(
      seen.network.value.split(",").filter((n: string) => n !== "lo"),
      [],
    );
  });

  test("slow-logger's lines stream before its result arrives", async () => {
    await load(4, "slow-logger");
    const t0 = performance.now();
    const lines: { at: number; line: string }[] = [];
    const r = await vm.session.invoke(4, JSON.stringify({ lines: 5 }), {
      onLog: ({ line }) => lines.push({ at: performance.now() - t0, line }),
    });
    const resultAt = performance.now() - t0;
    assert.equal(r.ok, true);
    assert.deepEqual(
      lines.map((l) => l.line),
      ["line 1 of 5", "line 2 of 5", "line 3 of 5", "line 4 of 5", "line 5 of 5"],
    );
    // 200 ms apart in the task: the first line must reach us long before the result does.
    assert.ok(resultAt - lines[0]!.at > 600, `first line at ${lines[0]!.at} ms, result at ${resultAt} ms`);
    assert.ok(lines[4]!.at - lines[0]!.at > 600, "lines arrived together, not as they were written");
  });

  test("python3 runtime: its watchdog ends a handler that overruns its timeout", async () => {
    await load(7, "hello-python", { timeoutMs: 1000, handler: "app.sleeper" });
    const r = await vm.session.invoke(7, JSON.stringify({ seconds: 30 }), { hostTimeoutMs: 30_000 });
    assert.equal(r.fault, "timeout");
    assert.ok(r.roundTripMs >= 1000 && r.roundTripMs < 4000, `roundTrip ${r.roundTripMs}`);
  });

  test("python3 runtime: result, logs and a raised error", async () => {
    await load(5, "hello-python", { functionVersion: "7" });
    const logs: string[] = [];
    const r = await vm.session.invoke(5, JSON.stringify({ name: "Bo" }), {
      onLog: ({ line }) => logs.push(line),
    });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const body = JSON.parse(r.payload!);
    assert.equal(body.greeting, "hello, Bo");
    assert.equal(body.version, "7");
    assert.ok(body.user >= slotUidRange(5).first && body.user <= slotUidRange(5).last, `uid ${body.user}`);
    assert.ok(body.remainingMs > 0 && body.remainingMs <= 5000);
    assert.deepEqual(logs, ["python says hi to Bo"]);

    const bad = await vm.session.invoke(5, JSON.stringify({ fail: true }));
    assert.equal(bad.ok, false);
    assert.equal(bad.fault, "handler");
    assert.equal(bad.error?.errorType, "ValueError");
    assert.equal(bad.error?.errorMessage, "asked to fail");
    assert.ok(bad.error!.trace.some((l) => l.includes("app.py")));
  });

  describe("crasher: every mode ends in a clear error and the sandbox comes back", () => {
    before(async () => {
      await load(6, "crasher");
    });

    const healthy = async (): Promise<void> => {
      await vm.session.whenUp(6);
      const ok = await vm.session.invoke(6, "{}");
      assert.equal(ok.ok, true, `sandbox did not recover: ${JSON.stringify(ok.error)}`);
      assert.deepEqual(JSON.parse(ok.payload!), { ok: true });
    };

    test("throw → the handler's error with type, message and stack", async () => {
      const r = await vm.session.invoke(6, JSON.stringify({ mode: "throw" }));
      assert.equal(r.fault, "handler");
      assert.equal(r.error?.errorType, "Error");
      assert.equal(r.error?.errorMessage, "asked to throw");
      assert.ok(r.error!.trace[1]?.includes("index.mjs"), JSON.stringify(r.error!.trace));
      await healthy();
    });

    test("exit → Runtime.ExitError with the exit status, then a restarted sandbox", async () => {
      const r = await vm.session.invoke(6, JSON.stringify({ mode: "exit" }));
      assert.equal(r.fault, "exit");
      assert.equal(r.error?.errorType, "Runtime.ExitError");
      assert.match(r.error!.errorMessage, /exit status 3/);
      await healthy();
    });

    test("a kill meant for a runtime that already died leaves the one started in its place alone", async () => {
      // The host's timer and the runtime's own watchdog can both end one overrun: the host's kill then arrives
      // after the guest has started the next runtime, and must not take that one down during its init.
      const pidOf = async (): Promise<number | null> =>
        (await vm.session.stats()).sandboxes.find((s) => s.slot === 6)?.pid ?? null;
      const before = await pidOf();
      assert.ok(before);
      const r = await vm.session.invoke(6, JSON.stringify({ mode: "exit" }));
      assert.equal(r.fault, "exit");
      await vm.session.request({ t: "kill", slot: 6, reason: "timeout", pid: before });
      await vm.session.whenUp(6);
      const after = (await vm.session.stats()).sandboxes.find((s) => s.slot === 6);
      assert.notEqual(after?.pid, before);
      assert.equal(after?.state, "up");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await pidOf(), after?.pid, "the new runtime was killed by the old one's kill");
      await healthy();
    });

    test("loop → timed out after the task's 3 s and killed", async () => {
      const r = await vm.session.invoke(6, JSON.stringify({ mode: "loop" }));
      assert.equal(r.fault, "timeout");
      assert.equal(r.error?.errorType, "Sandbox.Timedout");
      assert.match(r.error!.errorMessage, /Task timed out after 3\.00 seconds/);
      assert.ok(r.roundTripMs >= 3000 && r.roundTripMs < 4500, `roundTrip ${r.roundTripMs}`);
      await healthy();
    });

    test("loop, with the host's timer out of the way → the guest's own watchdog times it out", async () => {
      const r = await vm.session.invoke(6, JSON.stringify({ mode: "loop" }), { hostTimeoutMs: 30_000 });
      assert.equal(r.fault, "timeout");
      assert.equal(r.error?.errorType, "Sandbox.Timedout");
      assert.ok(r.roundTripMs >= 3000 && r.roundTripMs < 6000, `roundTrip ${r.roundTripMs}`);
      await healthy();
    });

    test("oom → Runtime.OutOfMemory at the task's 128 MB", async () => {
      // Filling 128 MB takes seconds under TCG: give this sandbox room so the memory limit, not the clock, ends it.
      // The VM's sandbox memory is full by now: make room first.
      await vm.session.unload(3);
      await load(8, "crasher", { timeoutMs: 30_000 });
      const r = await vm.session.invoke(8, JSON.stringify({ mode: "oom" }));
      assert.equal(r.fault, "oom", JSON.stringify(r));
      assert.equal(r.error?.errorType, "Runtime.OutOfMemory");
      await vm.session.whenUp(8);
      const ok = await vm.session.invoke(8, "{}");
      assert.equal(ok.ok, true, `sandbox did not recover: ${JSON.stringify(ok.error)}`);
    });

    test("the agent itself survived all of it", async () => {
      const { rttUs } = await vm.session.ping();
      assert.ok(rttUs > 0);
      const stats = await vm.session.stats();
      const crasher = stats.sandboxes.find((s) => s.slot === 6);
      assert.equal(crasher?.state, "up");
      assert.ok((crasher?.restarts ?? 0) >= 3, `restarts ${crasher?.restarts}`);
      assert.equal(stats.sandboxes.find((s) => s.slot === 8)?.restarts, 1);
      assert.equal(vm.session.lost, null);
    });
  });

  test("unload frees the slot and a loaded handler that is missing is a clear init error", async () => {
    await vm.session.unload(1);
    await assert.rejects(vm.session.invoke(1, "{}"), /SANDBOX_EMPTY/);
    await assert.rejects(load(1, "echo-node", { handler: "index.nothere" }), /Runtime\.HandlerNotFound/);
    await assert.rejects(load(1, "echo-node", { handler: "missing.handler" }), /Runtime\.ImportModuleError/);
  });

  test("stats report guest memory and each sandbox", async () => {
    const s = await vm.session.stats();
    assert.ok(s.memTotalKb > 100_000 && s.memAvailableKb > 0 && s.memAvailableKb < s.memTotalKb);
    assert.ok(s.agentRssKb > 0);
    assert.ok(s.sandboxes.length >= 4);
  });

  test("a VM refuses a sandbox its memory cannot hold, naming what holds it", async () => {
    const budget = vm.session.ready!.sandboxMemoryMb;
    assert.ok(budget > 500, `sandbox memory ${budget} MB`);
    await assert.rejects(
      load(3, "echo-node", { memoryMb: budget }),
      /VM_MEMORY_FULL: a \d+ MB sandbox does not fit/,
    );
  });
});
