// Reliability, faults: a VM's QEMU killed mid-invocation, the host process killed while it writes its state,
// and libvirtd restarted under a running Hearth. Each fault is counted as injected, then as survived.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Host } from "../../main/host.ts";
import type { InvokeResult } from "../../main/invoke/engine.ts";
import { openHearthStore } from "../../main/store/hearth-store.ts";
import {
  profileWith,
  qemuPidFile,
  startHost,
  until,
  virshDomains,
  closeHost,
} from "../helpers/reliability-host.ts";
import { tally } from "../helpers/reliability-tally.ts";

const here = dirname(fileURLToPath(import.meta.url));
let host: Host;
let dataDir = "";
let alice = "";
let bob = "";

const invoke = (profile: string, task: string, payload: unknown): Promise<InvokeResult> =>
  host.engine.invoke({ callerProfileId: profile, ref: { task }, payload: JSON.stringify(payload) });

before(async () => {
  ({ host, dataDir } = await startHost("rel-faults", {
    warm: 1,
    maxVmsPerProfile: 3,
    // Room for each of the three profiles' VMs and spares: this file is about faults, not the host's VM budget.
    maxVms: 8,
  }));
  alice = await profileWith(host, "alice", ["slow-logger"]);
  bob = await profileWith(host, "bob", ["echo-node"]);
  // Both sandboxes warm before any fault.
  assert.equal((await invoke(alice, "slow-logger", { lines: 1 })).ok, true);
  assert.equal((await invoke(bob, "echo", { warm: true })).ok, true);
});

after(async () => {
  assert.deepEqual(await closeHost(host, dataDir), [], "VMs left running after the host closed");
});

describe("faults", () => {
  test("QEMU killed mid-invocation: a clear error at once, the pool heals, another VM's invocations carry on", async () => {
    // Bob's task runs in his own VM throughout; none of his invocations may fail.
    let stop = false;
    const bobResults: InvokeResult[] = [];
    const bobLoop = (async () => {
      while (!stop) bobResults.push(await invoke(bob, "echo", { n: bobResults.length }));
    })();
    const lines: string[] = [];
    const running = host.engine.invoke({
      callerProfileId: alice,
      ref: { task: "slow-logger" },
      payload: JSON.stringify({ lines: 50 }),
      onLog: (l) => lines.push(l.line),
    });
    await until("slow-logger to print", 20_000, () => lines.length >= 2);
    const busy = host.scheduler.snapshot().find((s) => s.profile === alice && s.busy);
    assert.ok(busy, "alice's sandbox is not busy");
    const vmName = busy.vm;
    const pid = qemuPidFile(vmName);
    assert.ok(pid > 0, `no QEMU pid for ${vmName}`);
    const killedAt = performance.now();
    process.kill(pid, "SIGKILL");
    tally("faults", "qemu killed mid-invocation", { faultsInjected: 1 });
    const r = await running;
    const failMs = performance.now() - killedAt;
    assert.equal(r.ok, false);
    assert.equal(r.fault, "vm");
    assert.equal(r.error?.errorType, "Hearth.VmLost");
    assert.match(r.error!.errorMessage, /the VM running this invocation stopped/);
    // slow-logger's own timeout is 30 s; the caller hears long before it.
    assert.ok(failMs < 5000, `the invocation took ${failMs.toFixed(0)} ms to fail`);

    await until("the pool to replace the killed VM", 90_000, () => {
      const vms = host.pool.list(alice);
      return (
        !vms.some((v) => v.name === vmName) && vms.some((v) => v.state === "ready" || v.state === "busy")
      );
    });
    assert.ok(!virshDomains("hearth-").includes(vmName), "the killed domain is still listed by libvirt");
    const again = await invoke(alice, "slow-logger", { lines: 1 });
    assert.equal(again.ok, true, JSON.stringify(again.error));
    assert.notEqual(again.vm, vmName);
    const healedMs = performance.now() - killedAt;
    stop = true;
    await bobLoop;
    const bobFailed = bobResults.filter((x) => !x.ok);
    console.log(
      `# QEMU killed: caller answered after ${failMs.toFixed(0)} ms, alice served again after ${healedMs.toFixed(0)} ms; ` +
        `bob ${bobResults.length} invocations meanwhile, ${bobFailed.length} failed`,
    );
    assert.ok(bobResults.length > 10, `bob ran only ${bobResults.length} invocations`);
    assert.deepEqual(
      bobFailed.map((x) => x.error),
      [],
    );
    assert.ok(
      bobResults.every((x) => x.vm !== vmName),
      "bob's task ran in alice's VM",
    );
    tally("faults", "qemu killed mid-invocation", { faultsSurvived: 1 });
  });

  test("the host process SIGKILLed at random points of its writes: the data directory reopens with the last acknowledged state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-rel-writes-"));
    // The writer runs bundled, so each of the 50 children starts in a fraction of tsx's start-up time.
    const writer = join(dir, "..", `${basename(dir)}-writer.mjs`);
    await build({
      entryPoints: [join(here, "..", "helpers", "reliability-writer.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: writer,
      logLevel: "warning",
    });
    const iterations = 50;
    const outcomes: string[] = [];
    let survived = 0;
    try {
      for (let i = 0; i < iterations; i++) {
        const child = spawn(process.execPath, [writer, dir], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stderr.on("data", (c: Buffer) => (err += c.toString()));
        const exited = new Promise<void>((r) => child.on("close", () => r()));
        // Most kills land among the writes: after a few acknowledgements, a random fraction of a write later;
        // some land while the child is still opening the directory.
        const acksBeforeKill = i % 5 === 0 ? 0 : 1 + Math.floor(Math.random() * 6);
        let armed = false;
        const kill = (): void => {
          armed = true;
          setTimeout(() => child.kill("SIGKILL"), Math.random() * 25);
        };
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (!armed && acksBeforeKill > 0 && (out.match(/^committed /gm) ?? []).length >= acksBeforeKill)
            kill();
        });
        if (acksBeforeKill === 0) setTimeout(kill, Math.random() * 250);
        await exited;
        tally("faults", "host killed during writes", { faultsInjected: 1 });
        const acked = [...out.matchAll(/^(?:committed|opened) (\d+)$/gm)].map((m) => Number(m[1]));
        const committed = acked.length ? acked[acked.length - 1]! : null;
        assert.doesNotMatch(err, /Error/, `the writer failed on its own: ${err}`);
        // Reopening takes over the dead writer's lock, reads the document and the secret key it needs.
        const store = await openHearthStore(dir);
        const names = store.documents.state.profiles.map((p) => p.name);
        await store.close();
        const expected = (n: number) => Array.from({ length: n }, (_, k) => `w${k}`);
        if (committed === null) {
          // Killed before it opened: only what earlier children acknowledged is there, plus at most one more.
          assert.ok(names.length >= (outcomes.length ? Number(outcomes.at(-1)!.split("/")[0]) : 0));
        } else {
          assert.ok(
            names.length === committed || names.length === committed + 1,
            `${names.length} profiles on disk, ${committed} acknowledged`,
          );
        }
        assert.deepEqual(names, expected(names.length), "profiles on disk are not w0..wN in order");
        outcomes.push(`${names.length}/${committed ?? "-"}`);
        survived++;
        tally("faults", "host killed during writes", { faultsSurvived: 1 });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(writer, { force: true });
    }
    const inFlight = outcomes.filter((o) => {
      const [n, c] = o.split("/");
      return c !== "-" && Number(n) === Number(c) + 1;
    }).length;
    console.log(
      `# host killed ${iterations} times during writes: reopened ${survived} times with the acknowledged state ` +
        `(${inFlight} times the unacknowledged write in flight had landed too); final ${outcomes.at(-1)}`,
    );
    assert.equal(survived, iterations);
  });

  test("libvirtd restarted under Hearth: running VMs keep answering and Hearth reconnects for new ones", async (t) => {
    const pidFile = "/run/libvirtd.pid";
    if (!existsSync(pidFile)) {
      t.skip(`no ${pidFile}: libvirtd is managed by a service manager here, not started with "libvirtd -d"`);
      return;
    }
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    // Everything that is about to need libvirt: a fresh VM for a new profile, and destroying an old one.
    const carol = await profileWith(host, "carol", ["echo-node"]);
    const restartedAt = performance.now();
    process.kill(pid, "SIGTERM");
    tally("faults", "libvirtd restarted", { faultsInjected: 1 });
    await until("libvirtd to exit", 15_000, () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    // While libvirtd is down, warm sandboxes still answer: invocations do not go through libvirt.
    const whileDown = await invoke(bob, "echo", { down: true });
    assert.equal(whileDown.ok, true, JSON.stringify(whileDown.error));
    const started = spawnSync("libvirtd", ["-d"], { encoding: "utf8" });
    assert.equal(started.status, 0, `libvirtd -d: ${started.stderr}`);
    await until("libvirtd to answer", 30_000, () => {
      return spawnSync("virsh", ["-c", "qemu:///system", "version"]).status === 0;
    });
    const upMs = performance.now() - restartedAt;

    // The same VMs, still running and listed through Hearth's own (reopened) connection.
    const listed = (await host.driver.list()).filter((d) => d.metadata?.host === host.pool.hostId);
    assert.ok(listed.length >= 2, `Hearth lists ${listed.length} of its VMs after the restart`);
    const r = await invoke(bob, "echo", { after: true });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    // A new profile needs a new VM: restored through libvirt on the new connection.
    const c = await invoke(carol, "echo", { carol: true });
    assert.equal(c.ok, true, JSON.stringify(c.error));
    // And a VM taken out of service is really destroyed, not taken for "already gone". Alice is used first: a
    // profile idle for a minute keeps no spare beside the VM it holds.
    assert.equal((await invoke(alice, "slow-logger", { lines: 1 })).ok, true);
    const spare = await until("a ready spare of alice's", 60_000, () =>
      host.pool.list(alice).find((v) => v.state === "ready"),
    );
    await host.pool.retire(host.pool.get(spare.name)!, "test: retire after the libvirtd restart");
    assert.ok(!virshDomains("hearth-").includes(spare.name), `${spare.name} still runs after retire`);
    console.log(
      `# libvirtd restarted in ${upMs.toFixed(0)} ms; carol's first invocation (a new VM) ran in ${c.vm}`,
    );
    tally("faults", "libvirtd restarted", { faultsSurvived: 1 });
  });
});
