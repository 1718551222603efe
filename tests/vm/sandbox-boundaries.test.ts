// A real VM: what a caller's variables can do to a runtime's start (nothing), what the owner's still do, and
// whether sandboxes of one VM reach each other's sockets (they must not).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { tally } from "../helpers/reliability-tally.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { loadManifest, bootFiles } from "../../main/vm/image-manifest.ts";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import { bootVm, type BootedVm } from "../../main/vm/vm-boot.ts";
import type { SandboxSpec } from "../../main/vm/protocol.ts";
import { fixtureDir, fixtureSpec } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const manifest = loadManifest();
if (!manifest) throw new Error('the guest image is not built: run "npm run image" first');

const driver = new LibvirtDriver();
let vm: BootedVm;

async function load(slot: number, name: string, overrides: Partial<SandboxSpec> = {}) {
  const spec = fixtureSpec(name, overrides);
  const { zip, sha256 } = await zipFolder(fixtureDir(name));
  return vm.session.load(slot, spec, zip, sha256);
}

async function answer(slot: number, payload: unknown = {}): Promise<Record<string, unknown>> {
  const r = await vm.session.invoke(slot, JSON.stringify(payload));
  assert.equal(r.ok, true, JSON.stringify(r.error));
  return JSON.parse(r.payload!) as Record<string, unknown>;
}

/** What a grantee's alias tried in the review, and more of the same class, for both runtimes. */
const HOSTILE: Record<string, string> = {
  NODE_OPTIONS: "--require=/proc/self/environ",
  NODE_PATH: "/tmp",
  LD_PRELOAD: "/tmp/evil.so",
  LD_LIBRARY_PATH: "/tmp",
  PYTHONPATH: "/tmp/evil",
  PYTHONSTARTUP: "/tmp/evil.py",
  PYTHONINSPECT: "1",
  PYTHONWARNINGS: "ignore::DeprecationWarning:antigravity",
  BROWSER: "/bin/sh -c 'id > /tmp/pwned'",
  PATH: "/tmp",
  HOME: "/",
};

before(async () => {
  const { accel } = await chooseAccel(bootFiles(manifest));
  vm = await bootVm(driver, {
    host: "test",
    profile: "test",
    accel,
    manifest,
    logDir: join(tmpdir(), "hearth-test-logs"),
  });
});

after(async () => {
  vm?.session.close();
  if (vm) await driver.destroy(vm.name);
  await driver.close();
});

describe("a runtime's start belongs to its owner", () => {
  test("Node: a caller's loader and interpreter variables never reach the runtime or its children", async () => {
    tally("hostile", "a caller's loader variables", { attacksTried: 1 });
    // 256 MB: not the prewarmed runtime's size, so a runtime starts for this spec, as in the review's attack.
    await load(1, "env-probe", {
      memoryMb: 256,
      env: { ...HOSTILE, GREETING: "from-the-caller" },
      callerEnv: [...Object.keys(HOSTILE), "GREETING"],
    });
    const seen = (await answer(1)) as {
      env: Record<string, string>;
      childEnv: string[];
      stackTraceLimit: number;
    };
    assert.equal(seen.env.GREETING, "from-the-caller", "an allowed caller variable still arrives");
    for (const name of [
      "NODE_OPTIONS",
      "NODE_PATH",
      "LD_PRELOAD",
      "LD_LIBRARY_PATH",
      "PYTHONPATH",
      "BROWSER",
    ]) {
      assert.equal(seen.env[name], undefined, `${name} reached the task's environment`);
      assert.ok(!seen.childEnv.some((l) => l.startsWith(`${name}=`)), `${name} reached a child process`);
    }
    assert.equal(seen.env.PATH, "/usr/local/bin:/usr/bin:/bin");
    assert.equal(seen.env.HOME, "/var/sandboxes/1/home");
    assert.equal(seen.stackTraceLimit, 10);
    tally("hostile", "a caller's loader variables", { attacksHeld: 1 });
  });

  test("Node: the owner's own NODE_OPTIONS still shapes the runtime's start", async () => {
    await load(2, "env-probe", { memoryMb: 256, env: { NODE_OPTIONS: "--stack-trace-limit=3" } });
    const seen = (await answer(2)) as { env: Record<string, string>; stackTraceLimit: number };
    assert.equal(seen.stackTraceLimit, 3);
    assert.equal(seen.env.NODE_OPTIONS, "--stack-trace-limit=3");
  });

  test("Node: a prewarmed runtime gets the same cleaned environment", async () => {
    await load(3, "env-probe", {
      env: { NODE_OPTIONS: "--stack-trace-limit=5", LD_PRELOAD: "/tmp/evil.so", GREETING: "x" },
      callerEnv: ["NODE_OPTIONS", "LD_PRELOAD", "GREETING"],
    });
    const seen = (await answer(3)) as { env: Record<string, string>; stackTraceLimit: number };
    assert.equal(seen.env.NODE_OPTIONS, undefined);
    assert.equal(seen.env.LD_PRELOAD, undefined);
    assert.equal(seen.env.GREETING, "x");
    assert.equal(seen.stackTraceLimit, 10);
  });

  test("Python starts isolated: no PYTHON* variable, from anyone, shapes it", async () => {
    await load(4, "env-probe-python", {
      env: { ...HOSTILE, GREETING: "py" },
      callerEnv: [...Object.keys(HOSTILE), "GREETING"],
    });
    const seen = (await answer(4)) as {
      env: Record<string, string>;
      isolated: number;
      ignoreEnvironment: number;
      path: string[];
    };
    assert.equal(seen.isolated, 1);
    assert.equal(seen.ignoreEnvironment, 1);
    assert.ok(!seen.path.includes("/tmp/evil"), `sys.path: ${seen.path.join(":")}`);
    for (const name of ["PYTHONPATH", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONWARNINGS", "BROWSER"])
      assert.equal(seen.env[name], undefined, `${name} reached the task's environment`);
    assert.equal(seen.env.GREETING, "py");
    await vm.session.unload(4);
  });
});

describe("sockets between sandboxes of one VM", () => {
  test("a neighbour reaches neither an abstract unix socket nor a loopback port of another sandbox", async () => {
    await vm.session.unload(1);
    await vm.session.unload(2);
    await load(5, "net-probe");
    await load(6, "net-probe");
    const own = (await answer(5, { mode: "listen", name: "hearth-probe", port: 7070 })) as Record<
      string,
      { ok: boolean }
    >;
    assert.equal(own.abstract?.ok, true, `the listener cannot reach itself: ${JSON.stringify(own)}`);
    assert.equal(own.tcp?.ok, true, `the listener cannot reach itself: ${JSON.stringify(own)}`);
    const other = (await answer(6, { mode: "reach", name: "hearth-probe", port: 7070 })) as Record<
      string,
      { ok: boolean; error?: string }
    >;
    assert.equal(
      other.abstract?.ok,
      false,
      `a neighbour reached the abstract socket: ${JSON.stringify(other)}`,
    );
    assert.equal(other.tcp?.ok, false, `a neighbour reached the loopback port: ${JSON.stringify(other)}`);
  });
});

describe("one sandbox never reaches another through the agent", () => {
  test("links planted in a slot's folders, then a crash: the cleanup follows none of them", async () => {
    tally("hostile", "links planted in a slot's folders, then a crash", { attacksTried: 1 });
    for (const slot of [3, 5, 6]) await vm.session.unload(slot);
    await load(7, "env-report", { env: { VICTIM_SECRET: "victim-secret-7" } });
    const before = await answer(7);
    await load(8, "hostile");
    const tried = await answer(8, { mode: "swap-folders", target: "/var/sandboxes/7", crash: true });
    // The slot's root is root's: its folders cannot be renamed, removed or joined by a link.
    assert.equal(tried.renameTmp, "EACCES", JSON.stringify(tried));
    assert.equal(tried.removeHome, "EACCES", JSON.stringify(tried));
    assert.equal(tried.linkInRoot, "EACCES", JSON.stringify(tried));
    assert.equal(tried.linkInTmp, "done");
    assert.equal(tried.linkInHome, "done");
    // The crash makes the agent restart the runtime after emptying tmp and home: the links go, not their targets.
    await new Promise((r) => setTimeout(r, 3000));
    const again = await answer(8, {});
    assert.ok(typeof again.pid === "number");
    const after = (await answer(7)) as { env: Record<string, string>; uid: number; cwd: string };
    assert.equal(after.env.VICTIM_SECRET, "victim-secret-7");
    assert.equal(after.uid, (before as { uid: number }).uid);
    assert.equal(after.cwd, "/var/sandboxes/7/task");
    tally("hostile", "links planted in a slot's folders, then a crash", { attacksHeld: 1 });
  });

  for (const [what, line] of [
    ["null", "null\n"],
    ["an array", "[1,2]\n"],
    ["100 KB without a newline", "x".repeat(100_000)],
  ] as const) {
    test(`${what} on the status descriptor ends that runtime, not the agent; the next task is its own`, async () => {
      tally("hostile", `${what} on the status descriptor`, { attacksTried: 1 });
      const agentStarts = vm.session.ready!.agentStarts;
      const first = await load(5, "hostile");
      const r = await vm.session.invoke(5, JSON.stringify({ mode: "junk-status", line }));
      assert.ok(r.ok || r.error, JSON.stringify(r));
      await vm.session.ping();
      await load(5, "env-report", { env: { NEW_SECRET: `new-${what}` } });
      const seen = (await answer(5)) as { env: Record<string, string>; cwd: string };
      assert.equal(seen.env.NEW_SECRET, `new-${what}`, "the new task did not answer with its own code");
      assert.equal(seen.cwd, "/var/sandboxes/5/task");
      const stats = await vm.session.stats();
      const pids = stats.sandboxes.map((s) => s.pid);
      assert.ok(!pids.includes(first.pid), "the hostile runtime is still running");
      assert.equal(vm.session.ready!.agentStarts, agentStarts, "the agent restarted");
      assert.equal(vm.session.lost, null);
      tally("hostile", `${what} on the status descriptor`, { attacksHeld: 1 });
    });
  }
});

describe("each load of a slot is a stranger to the loads before it", () => {
  interface Survey {
    uid: number;
    user: string;
    lookOwner?: number | null;
    pid: number;
    root: { uid: number; mode: string };
    folders: Record<
      "task" | "tmp" | "home",
      { uid: number; mode: string; entries: { name: string; uid: number; link: boolean }[] }
    >;
    strayAlive?: boolean;
    strayPid?: number | null;
    planted?: Record<string, string>;
    evil?: boolean;
  }

  test("two loads of one slot run as two uids, and another slot's loads as others still", async () => {
    for (const slot of [1, 2, 3, 5, 6, 7, 8]) await vm.session.unload(slot);
    const uids: number[] = [];
    for (const slot of [3, 3, 3, 4]) {
      const t0 = performance.now();
      await load(slot, "hostile");
      const loadMs = Math.round(performance.now() - t0);
      const seen = (await answer(slot, { mode: "survey" })) as unknown as Survey;
      console.log(`# load into slot ${slot}: ${loadMs} ms, uid ${seen.uid}`);
      uids.push(seen.uid);
      assert.equal(seen.user, `sbx${slot}`, "the load's uid has no name in the guest's accounts");
      for (const f of ["task", "tmp", "home"] as const) {
        assert.equal(seen.folders[f].uid, seen.uid, `${f} is not the load's own`);
        assert.equal(seen.folders[f].mode, "700", `${f} is open to others`);
      }
      assert.deepEqual(seen.root, { uid: 0, mode: "711" });
    }
    assert.equal(new Set(uids).size, uids.length, `uids repeat across loads: ${uids.join(", ")}`);
    await vm.session.unload(4);
  });

  test("what a load leaves behind (links, a signal-proof process) reaches nothing of the next load", async () => {
    tally("hostile", "links and a signal-proof process left for the next load", { attacksTried: 1 });
    // A neighbour whose runtime starts before slot 3's next load, so its mount namespace dates from before it.
    await load(4, "hostile");
    await load(3, "hostile");
    const first = (await answer(3, { mode: "plant" })) as unknown as Survey;
    assert.equal(first.planted?.codeLink, "done", JSON.stringify(first.planted));
    assert.equal(first.planted?.rootLink, "EACCES", "a link was planted in the slot's root");
    assert.ok(typeof first.strayPid === "number", "the stray never started");

    // The next load of the same code must answer with that code, not with what the first load linked in its place.
    const t0 = performance.now();
    await load(3, "hostile");
    console.log(`# load over a planted slot: ${Math.round(performance.now() - t0)} ms`);
    // Time for a stray that survived to write into the new load's folders, if it could.
    await new Promise((r) => setTimeout(r, 500));
    const second = (await answer(3, { mode: "survey", strayPid: first.strayPid })) as unknown as Survey;
    assert.equal(second.evil, undefined, "the code the first load planted answered");
    assert.equal(second.strayAlive, false, `the first load's process ${first.strayPid} still runs`);
    assert.notEqual(second.uid, first.uid, "the second load runs as the first load's uid");
    for (const f of ["task", "tmp", "home"] as const) {
      const folder = second.folders[f];
      assert.equal(folder.uid, second.uid, `${f} is not the second load's own`);
      assert.equal(folder.mode, "700");
      for (const e of folder.entries) {
        assert.notEqual(e.uid, first.uid, `${f}/${e.name} belongs to the first load's uid`);
        assert.equal(e.link, false, `${f}/${e.name} is a link`);
        assert.ok(!e.name.startsWith("stray-"), `the stray wrote ${f}/${e.name}`);
      }
    }
    assert.deepEqual(second.folders.tmp.entries, []);
    assert.deepEqual(second.folders.home.entries, []);
    assert.deepEqual(second.folders.task.entries.map((e) => e.name).sort(), ["index.mjs", "task.json"]);
    // The first load's file system went from the neighbour's view too (and with it the memory its files held).
    const neighbour = (await answer(4, {
      mode: "survey",
      look: "/var/sandboxes/3/task",
    })) as unknown as Survey;
    assert.equal(neighbour.lookOwner, second.uid, "a neighbour still holds slot 3's old file system");
    await vm.session.unload(3);
    await vm.session.unload(4);
    tally("hostile", "links and a signal-proof process left for the next load", { attacksHeld: 1 });
  });
});
