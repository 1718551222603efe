// Reliability, isolation: a task in a real sandbox tries to read another sandbox's code and environment in the
// same VM, to reach the network, to fill the disk and to fork-bomb. Each attempt must be contained, and the VM
// must go on serving its other sandboxes (or be replaced when it cannot).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { updateTaskConfig } from "../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../main/domain/tasks/versions.ts";
import type { Host } from "../../main/host.ts";
import type { InvokeResult } from "../../main/invoke/engine.ts";
import type { VmStateChange } from "../../main/vm/pool.ts";
import { profileWith, startHost, closeHost } from "../helpers/reliability-host.ts";
import { tally } from "../helpers/reliability-tally.ts";

let host: Host;
/** Invocations of the intruder that failed after its bomb was killed, before one answered. */
let failedAfterBomb = -1;
const vmEvents: VmStateChange[] = [];
let dataDir = "";
let tenant = "";
const marker = `victim-secret-${randomBytes(8).toString("hex")}`;

const invoke = (task: string, payload: unknown): Promise<InvokeResult> =>
  host.engine.invoke({ callerProfileId: tenant, ref: { task }, payload: JSON.stringify(payload) });

const body = (r: InvokeResult): Record<string, unknown> => {
  assert.equal(r.ok, true, JSON.stringify(r.error));
  return JSON.parse(r.payload!) as Record<string, unknown>;
};

/** The victim (echo-node, with a secret in its environment) still answers, in the VM it shares with the intruder. */
async function victimAnswers(tag: string): Promise<InvokeResult> {
  const r = await invoke("echo", { tag });
  assert.deepEqual(body(r), { echo: { tag }, version: "$LATEST" });
  return r;
}

interface Attempt {
  ok: boolean;
  payload?: string;
  vm: string;
  /** The error type and message, or what was thrown. */
  summary: string;
}

/** An invocation whose failure, thrown or answered, is kept as a value. */
async function attempt(run: () => Promise<InvokeResult>): Promise<Attempt> {
  try {
    const r = await run();
    return {
      ok: r.ok,
      ...(r.payload !== undefined ? { payload: r.payload } : {}),
      vm: r.vm,
      summary: r.ok ? (r.payload ?? "") : `${r.error?.errorType}: ${r.error?.errorMessage}`,
    };
  } catch (err) {
    return { ok: false, vm: "", summary: (err as Error).message };
  }
}

/** The victim answers again within a minute: in its VM, or in the one the pool put in its place. */
async function victimEventually(tag: string): Promise<{ vm: string; tries: number }> {
  const deadline = Date.now() + 60_000;
  let last = "";
  for (let tries = 1; Date.now() < deadline; tries++) {
    const r = await attempt(() => invoke("echo", { tag }));
    if (r.ok && r.payload === JSON.stringify({ echo: { tag }, version: "$LATEST" }))
      return { vm: r.vm, tries };
    last = r.summary;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`the victim did not answer again within 60 s: ${last}`);
}

/** One escape attempt: counted as tried, and as contained once its assertions passed. */
async function escape(what: string, run: () => Promise<void>): Promise<void> {
  tally("isolation", what, { escapesTried: 1 });
  await run();
  tally("isolation", what, { escapesContained: 1 });
}

before(async () => {
  ({ host, dataDir } = await startHost("rel-isolation", { warm: 1, maxVmsPerProfile: 2 }));
  host.pool.on("vm-state", (e) => vmEvents.push(e));
  tenant = await profileWith(host, "tenant", ["echo-node", "intruder", "hello-env"]);
  await host.store.documents.update((s) =>
    updateTaskConfig(
      s,
      tenant,
      { task: "echo", environment: { VICTIM_SECRET: marker } },
      { now: Date.now() },
    ),
  );
});

after(async () => {
  assert.deepEqual(await closeHost(host, dataDir), [], "VMs left running after the host closed");
});

describe("isolation inside one VM", () => {
  let vm = "";

  test("another sandbox's code, files and environment cannot be read", async () => {
    const victim = await victimAnswers("first");
    vm = victim.vm;
    await escape("read another sandbox's code and environment", async () => {
      const r = await invoke("intruder", { mode: "snoop", marker });
      assert.equal(r.vm, vm, "the two tasks were not placed in the same VM");
      const seen = body(r) as {
        uid: number;
        mine: string;
        others: Record<string, { list: { ok: boolean }; code: { ok: boolean }; file: { ok: boolean } }>;
        environ: string[];
      };
      console.log(`# snoop: ${JSON.stringify(seen)}`);
      assert.ok(seen.uid >= 10000, `the sandbox runs as uid ${seen.uid}`);
      for (const [slot, o] of Object.entries(seen.others)) {
        assert.equal(o.list.ok, false, `slot ${slot}'s folder was listed`);
        assert.equal(o.code.ok, false, `slot ${slot}'s code was listed`);
        assert.equal(o.file.ok, false, `slot ${slot}'s code was read`);
      }
      assert.deepEqual(
        seen.environ.filter((e) => e.endsWith(":marker")),
        [],
        "the victim's environment was read",
      );
      assert.deepEqual(seen.environ, [], "another process's environment was readable");
    });
  });

  test("each sandbox has a /tmp of its own: what one leaves there, another in the same VM does not see", async () => {
    await escape("read another sandbox's /tmp", async () => {
      const planted = `planted-${randomBytes(6).toString("hex")}`;
      const a = await invoke("intruder", { mode: "tmp", plant: planted });
      assert.equal(a.vm, vm, "not in the victim's VM");
      const mine = body(a) as { planted: { ok: boolean }; seen: { ok: boolean; value?: string } };
      assert.equal(mine.planted.ok, true, `could not write its own /tmp: ${JSON.stringify(mine)}`);
      assert.ok(
        mine.seen.value?.split(",").includes(planted),
        `its own file is missing: ${JSON.stringify(mine)}`,
      );
      // Version 1 of the same task is another sandbox, placed beside the first in the same VM.
      await host.store.documents.update((s) =>
        publishVersion(s, tenant, { task: "intruder" }, { now: Date.now() }),
      );
      const b = await host.engine.invoke({
        callerProfileId: tenant,
        ref: { task: "intruder", qualifier: "1" },
        payload: JSON.stringify({ mode: "tmp" }),
      });
      assert.equal(b.vm, vm, "the second sandbox is in another VM");
      assert.equal(b.coldStart, true, "the same sandbox answered");
      const other = body(b) as { seen: { ok: boolean; value?: string } };
      console.log(
        `# tmp: the planting sandbox sees ${mine.seen.value}; its neighbour sees ${JSON.stringify(other.seen)}`,
      );
      assert.equal(other.seen.ok, true, "its own /tmp is not listable");
      assert.ok(!other.seen.value!.split(",").includes(planted), "the neighbour saw the planted file");
    });
  });

  test("each sandbox has a disk of its own: what one writes does not take space from its neighbour", async () => {
    await escape("take another sandbox's disk space", async () => {
      type Disk = { filled: { mb: number; code: string | null } | null; sizeMb: number; freeMb: number };
      const before = body(
        await host.engine.invoke({
          callerProfileId: tenant,
          ref: { task: "intruder", qualifier: "1" },
          payload: JSON.stringify({ mode: "disk" }),
        }),
      ) as Disk;
      // 40 MiB stays under the filler's 128 MB memory limit (its files count against it): it lives, its files stay.
      const filler = await invoke("intruder", { mode: "disk", fillMb: 40 });
      const f = body(filler) as Disk;
      const neighbour = await host.engine.invoke({
        callerProfileId: tenant,
        ref: { task: "intruder", qualifier: "1" },
        payload: JSON.stringify({ mode: "disk" }),
      });
      assert.equal(neighbour.vm, filler.vm, "not in the same VM");
      const n = body(neighbour) as Disk;
      console.log(
        `# disk: filler ${JSON.stringify(f)}; neighbour before ${JSON.stringify(before)}, after ${JSON.stringify(n)}`,
      );
      assert.equal(f.filled?.mb, 40, `the filler was stopped: ${JSON.stringify(f)}`);
      assert.ok(
        f.freeMb <= f.sizeMb - 40,
        `the filler's disk does not show its 40 MiB: ${JSON.stringify(f)}`,
      );
      assert.equal(n.freeMb, before.freeMb, "the neighbour lost space to the filler");
    });
  });

  test("no network: no interface but loopback at most, nothing answers, no DNS", async () => {
    await escape("reach the network", async () => {
      const r = await invoke("intruder", { mode: "network" });
      const n = body(r) as Record<string, { ok: boolean; value?: string; code?: string }>;
      console.log(`# network: ${JSON.stringify(n)}`);
      assert.deepEqual(
        (n.interfaces!.value ?? "").split(",").filter((i) => i && i !== "lo"),
        [],
      );
      for (const k of ["gateway", "internet", "loopback", "dns"])
        assert.equal(n[k]!.ok, false, `${k} reached`);
    });
  });

  test("filling the disk is stopped by the sandbox's limits and the neighbour goes on serving", async () => {
    await escape("fill the disk", async () => {
      const r = await invoke("intruder", { mode: "fill-disk", maxMb: 512 });
      console.log(
        `# fill-disk: ${r.ok ? r.payload : JSON.stringify(r.error)} (fault ${r.fault ?? "none"}, vm ${r.vm})`,
      );
      if (r.ok) {
        const f = JSON.parse(r.payload!) as Record<string, { mb: number; code: string | null }>;
        assert.ok(f.home!.code, `wrote ${f.home!.mb} MiB into its home without being stopped`);
      } else {
        // Its files live in memory (tmpfs) and count against its memory limit: killed there, a clear task error.
        assert.match(r.error!.errorType, /Runtime\.OutOfMemory|Sandbox\.Timedout|Runtime\.ExitError/);
      }
      await victimAnswers("after fill-disk");
    });
  });

  test("a new sandbox still loads in a VM where another sandbox filled its disk: each slot's disk is its own", async () => {
    const r = await invoke("hello-env", { name: "late" }).catch((err: Error) => err);
    const ok = !(r instanceof Error) && r.ok;
    tally(
      "isolation",
      "load after fill-disk",
      ok ? { escapesTried: 1, escapesContained: 1 } : { escapesKnownGaps: 1 },
    );
    console.log(
      `# load after fill-disk: ${r instanceof Error ? r.message : (r.payload ?? JSON.stringify(r.error))}`,
    );
    assert.ok(ok, "the load failed");
  });

  test("a fork bomb is held to the sandbox's limits; the VM keeps serving or is replaced", async () => {
    await escape("fork-bomb", async () => {
      const t0 = performance.now();
      const r = await attempt(() => invoke("intruder", { mode: "fork-bomb", wait: true }));
      console.log(`# fork-bomb: ${r.summary} after ${(performance.now() - t0).toFixed(0)} ms in ${r.vm}`);
      assert.equal(r.ok, false);
      // Killed at its timeout or by its memory limit (every forked shell counts against it), or its VM was
      // failed by the pool's health check because the bomb starved the agent of the VM's one vCPU.
      assert.match(r.summary, /Sandbox\.Timedout|Runtime\.OutOfMemory|Hearth\.VmLost|VM_LOST/);
      const victim = await victimEventually("after fork-bomb");
      // The sandbox answers again: at once, after the scheduler replaced a sandbox the leftover bomb kept from
      // starting, or in a new VM.
      const attempts: string[] = [];
      let pids = "";
      let procs = -1;
      for (let i = 0; i < 6 && !pids; i++) {
        const p = await attempt(() => invoke("intruder", { mode: "pids" }));
        if (p.ok)
          ({ pidsCurrent: pids, procs } = JSON.parse(p.payload!) as { pidsCurrent: string; procs: number });
        else attempts.push(p.summary.slice(0, 120));
      }
      const recycled = vmEvents.filter((e) => e.vm.name === r.vm && e.to === "failed").map((e) => e.reason);
      console.log(
        `# after the bomb: victim answered in ${victim.vm} after ${victim.tries} tries; intruder: ${attempts.length} ` +
          `failed attempts (${attempts.join(" | ")}), then ${procs} processes (${pids} tasks) in its cgroup; ` +
          `its VM ${recycled.length ? `was recycled (${recycled.join("; ")})` : "kept serving"}`,
      );
      assert.ok(pids, "the intruder's sandbox never came back");
      assert.ok(Number(pids) <= 256, `${pids} processes in the sandbox's cgroup, over its limit`);
      failedAfterBomb = attempts.length;
    });
  });

  test("after a fork bomb, the restarted runtime starts in an emptied cgroup and answers the next invocation", (t) => {
    if (failedAfterBomb < 0) {
      t.skip("the fork-bomb test did not get as far as invoking the intruder again");
      return;
    }
    console.log(
      `# invocations that failed after the bomb, before the intruder answered again: ${failedAfterBomb}`,
    );
    tally(
      "isolation",
      "leftovers of a killed runtime",
      failedAfterBomb === 0 ? { escapesTried: 1, escapesContained: 1 } : { escapesKnownGaps: 1 },
    );
    // A restart into a cgroup the bomb still fills dies during init; only a fresh load (cgroup.kill) clears it.
    assert.equal(failedAfterBomb, 0, "the restarted runtime shared its cgroup with the bomb and died");
  });

  test("a fork bomb left running after its handler returned stays within the sandbox's process limit", async () => {
    await escape("fork-bomb left running", async () => {
      const r = await attempt(() => invoke("intruder", { mode: "fork-bomb", wait: false, settleMs: 1000 }));
      console.log(`# fork-bomb left running: ${r.summary}`);
      if (r.ok) {
        const report = JSON.parse(r.payload!) as {
          pidsCurrent: { value?: string };
          pidsMax: { value?: string };
        };
        assert.equal(report.pidsMax.value, "256");
        assert.ok(Number(report.pidsCurrent.value) <= 256);
      } else {
        assert.match(
          r.summary,
          /Sandbox\.Timedout|Runtime\.OutOfMemory|Runtime\.ExitError|Hearth\.VmLost|VM_LOST/,
        );
      }
      // The bomb keeps the VM's one vCPU busy: the neighbour answers beside it, or from the VM that replaced it.
      const t0 = performance.now();
      const victim = await victimEventually("beside a running fork bomb");
      console.log(
        `# the victim answered in ${(performance.now() - t0).toFixed(0)} ms (${victim.tries} tries) in ${victim.vm}`,
      );
    });
  });
});
