// A real VM: task code that answers far over 6 MB or writes raw frames to its own port must not stall the host,
// grow its memory, or touch a neighbour; its caller gets Lambda's error, and its sandbox starts again.
import { after, before, describe, test } from "node:test";
import { tally } from "../helpers/reliability-tally.ts";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { loadManifest, bootFiles } from "../../main/vm/image-manifest.ts";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import { bootVm, type BootedVm } from "../../main/vm/vm-boot.ts";
import type { SandboxSpec } from "../../main/vm/protocol.ts";
import type { InvokeOutcome } from "../../main/vm/guest-session.ts";
import { fixtureDir, fixtureSpec, fixtureTask } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const manifest = loadManifest();
if (!manifest) throw new Error('the guest image is not built: run "npm run image" first');

const driver = new LibvirtDriver();
let vm: BootedVm;
const ATTACKER = 1;
const NEIGHBOUR = 2;
const PYTHON = 3;

async function load(slot: number, name: string, overrides: Partial<SandboxSpec> = {}): Promise<void> {
  const spec = fixtureSpec(name, { functionName: `${fixtureTask(name).name}-${slot}`, ...overrides });
  const { zip, sha256 } = await zipFolder(fixtureDir(name));
  await vm.session.load(slot, spec, zip, sha256);
}

interface Watched {
  outcome: InvokeOutcome;
  maxPingMs: number;
  maxNeighbourMs: number;
  neighbourCalls: number;
  rssBeforeMb: number;
  rssPeakMb: number;
}

/** Runs an attack while pinging the agent and invoking the neighbour back to back, timing every answer. */
async function whileAttacking(payload: unknown): Promise<Watched> {
  const mb = (n: number) => Math.round(n / 1048576);
  const rssBeforeMb = mb(process.memoryUsage().rss);
  let rssPeak = 0;
  let done = false;
  let maxPingMs = 0;
  let maxNeighbourMs = 0;
  let neighbourCalls = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const pinger = (async () => {
    while (!done) {
      const t0 = performance.now();
      await vm.session.ping();
      maxPingMs = Math.max(maxPingMs, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const neighbour = (async () => {
    while (!done) {
      const t0 = performance.now();
      const r = await vm.session.invoke(NEIGHBOUR, JSON.stringify({ echo: neighbourCalls }));
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal((JSON.parse(r.payload!) as { echo: number }).echo, neighbourCalls);
      neighbourCalls++;
      maxNeighbourMs = Math.max(maxNeighbourMs, performance.now() - t0);
    }
  })();
  try {
    const outcome = await vm.session.invoke(ATTACKER, JSON.stringify(payload));
    return {
      outcome,
      maxPingMs,
      maxNeighbourMs,
      neighbourCalls,
      rssBeforeMb,
      rssPeakMb: mb(Math.max(rssPeak, process.memoryUsage().rss)),
    };
  } finally {
    done = true;
    clearInterval(sampler);
    await Promise.all([pinger, neighbour]);
  }
}

function assertPrompt(w: Watched, what: string, rssAllowanceMb = 64): void {
  console.log(
    `${what}: ping ≤ ${w.maxPingMs.toFixed(0)} ms, neighbour ≤ ${w.maxNeighbourMs.toFixed(0)} ms ` +
      `(${w.neighbourCalls} calls), host RSS ${w.rssBeforeMb} → peak ${w.rssPeakMb} MiB`,
  );
  assert.ok(w.neighbourCalls > 0, "the neighbour was invoked while the attack ran");
  // The host's own answer (the agent's ping crosses the host's frame handling) is held to 1 s. The neighbour
  // shares the attacker's one vCPU, which is busy building the attacker's 80 MB under TCG: 2 s for it.
  assert.ok(w.maxPingMs < 1000, `a ping took ${w.maxPingMs.toFixed(0)} ms`);
  assert.ok(w.maxNeighbourMs < 2000, `a neighbour's invocation took ${w.maxNeighbourMs.toFixed(0)} ms`);
  assert.ok(
    w.rssPeakMb - w.rssBeforeMb < rssAllowanceMb,
    `host RSS grew from ${w.rssBeforeMb} to ${w.rssPeakMb} MiB`,
  );
}

async function attackerServesAgain(): Promise<number> {
  await vm.session.whenUp(ATTACKER);
  const r = await vm.session.invoke(ATTACKER, JSON.stringify({ echo: "again" }));
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const out = JSON.parse(r.payload!) as { pid: number; echo: string };
  assert.equal(out.echo, "again");
  return out.pid;
}

async function attackerPid(): Promise<number> {
  const r = await vm.session.invoke(ATTACKER, "{}");
  return (JSON.parse(r.payload!) as { pid: number }).pid;
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
  await load(ATTACKER, "frame-abuser");
  await load(NEIGHBOUR, "frame-abuser", { memoryMb: 128 });
});

after(async () => {
  vm?.session.close();
  if (vm) await driver.destroy(vm.name);
  await driver.close();
});

describe("a sandbox's port carries at most what Lambda allows", () => {
  test("an 80 MB result is answered with Function.ResponseSizeTooLarge while the host serves others", async () => {
    tally("hostile", "80 MB result", { attacksTried: 1 });
    const w = await whileAttacking({ mode: "big-result", mb: 80 });
    assert.equal(w.outcome.ok, false);
    assert.equal(w.outcome.error?.errorType, "Function.ResponseSizeTooLarge");
    assert.match(w.outcome.error?.errorMessage ?? "", /6291456 bytes, 6 MB/);
    assertPrompt(w, "80 MB result");
    await attackerServesAgain();
    tally("hostile", "80 MB result", { attacksHeld: 1 });
  });

  test("an oversized raw frame from task code is refused at its header, and only its sandbox restarts", async () => {
    tally("hostile", "oversized raw frame", { attacksTried: 1 });
    const before = await attackerPid();
    const w = await whileAttacking({ mode: "raw-oversized", mb: 80 });
    assert.equal(w.outcome.ok, false);
    assert.equal(w.outcome.error?.errorType, "Function.ResponseSizeTooLarge");
    assert.match(w.outcome.error?.errorMessage ?? "", /83886080 bytes\).*6 MB/);
    assertPrompt(w, "80 MB raw frame");
    assert.notEqual(await attackerServesAgain(), before, "the attacker's runtime was replaced");
    tally("hostile", "oversized raw frame", { attacksHeld: 1 });
  });

  test("a 24 MB raw frame under the port's limit is reassembled at once and dropped as no frame", async () => {
    // The figure: 24 MB cost 17.8 s of host CPU when joined per chunk. Spaces are not JSON: discarded.
    const w = await whileAttacking({ mode: "raw-oversized", mb: 24 });
    assert.equal(w.outcome.ok, true, JSON.stringify(w.outcome.error));
    assert.deepEqual(JSON.parse(w.outcome.payload!), { wrote: 24 });
    assertPrompt(w, "24 MB raw frame under the limit", 128);
  });

  test("Python: a result over 6 MB is answered with Function.ResponseSizeTooLarge", async () => {
    await load(PYTHON, "frame-abuser", { runtime: "python3", handler: "big.handler", memoryMb: 128 });
    const r = await vm.session.invoke(PYTHON, JSON.stringify({ mb: 7 }));
    assert.equal(r.ok, false);
    assert.equal(r.error?.errorType, "Function.ResponseSizeTooLarge");
    assert.match(r.error?.errorMessage ?? "", /6291456 bytes, 6 MB/);
    const small = await vm.session.invoke(PYTHON, JSON.stringify({ mb: 1 }));
    assert.equal(small.ok, true, JSON.stringify(small.error));
    await vm.session.unload(PYTHON);
  });

  test("a frame no runtime sends fails the invocation and restarts only that sandbox", async () => {
    tally("hostile", "frame no runtime sends", { attacksTried: 1 });
    const before = await attackerPid();
    const w = await whileAttacking({ mode: "raw-invalid" });
    assert.equal(w.outcome.ok, false);
    assert.equal(w.outcome.error?.errorType, "Runtime.InvalidResponse");
    assert.ok(w.outcome.roundTripMs < 4000, "failed at once, not when the handler finished");
    assertPrompt(w, "invalid raw frame");
    assert.notEqual(await attackerServesAgain(), before, "the attacker's runtime was replaced");
    tally("hostile", "frame no runtime sends", { attacksHeld: 1 });
  });
});
