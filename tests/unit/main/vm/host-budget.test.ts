// The host-wide VM budget's rules: fair shares, whose VM gives way, which boot goes next, CPU weights, back-off.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  backoffMs,
  cpuSharesPerVm,
  defaultMaxVms,
  fairShare,
  nextBoot,
  profileToYield,
  spareToReclaim,
  type ProfileLoad,
} from "../../../../main/vm/host-budget.ts";

const load = (profile: string, live: number, spares = 0, waiting = 0): ProfileLoad => ({
  profile,
  live,
  spares,
  waiting,
});

test("the cap stays near the core count, with room for spares on small machines", () => {
  assert.equal(defaultMaxVms(1), 4);
  assert.equal(defaultMaxVms(2), 4);
  assert.equal(defaultMaxVms(8), 16);
});

test("the fair share divides the cap between active profiles, never below one VM", () => {
  assert.equal(fairShare(4, [load("a", 4), load("b", 0, 0, 1)]), 2);
  assert.equal(fairShare(4, [load("a", 4), load("b", 0), load("c", 0)]), 4, "idle profiles take no share");
  assert.equal(
    fairShare(
      4,
      ["a", "b", "c", "d", "e"].map((p) => load(p, 1)),
    ),
    1,
  );
});

test("a profile under its share may take any spare; at its share only the spare of a profile over theirs", () => {
  const loads = [load("a", 0, 0, 1), load("b", 1, 1), load("c", 3, 1)];
  assert.equal(spareToReclaim("a", loads, 2), "c", "the profile with the most VMs gives way first");
  assert.equal(spareToReclaim("a", [load("a", 0, 0, 1), load("b", 1, 1)], 2), "b");
  assert.equal(spareToReclaim("a", [load("a", 2, 0, 1), load("b", 2, 1)], 2), null);
  assert.equal(spareToReclaim("a", [load("a", 2, 0, 1), load("b", 3, 1)], 2), "b");
  assert.equal(
    spareToReclaim("a", [load("a", 0, 0, 1), load("b", 2, 1, 1)], 2),
    null,
    "a profile that waits itself keeps its spare",
  );
});

test("only a profile over its share is asked to give a held VM back, and only for one under its share", () => {
  assert.equal(profileToYield("b", [load("a", 4), load("b", 0, 0, 1)], 2), "a");
  assert.equal(profileToYield("b", [load("a", 2), load("b", 2, 0, 1)], 2), null);
  assert.equal(profileToYield("b", [load("a", 2), load("b", 1, 0, 1)], 2), null, "nobody is over");
  // Five profiles on four VMs: one with none takes a turn from one at its share.
  const five = ["a", "b", "c", "d"].map((p) => load(p, 1));
  assert.equal(profileToYield("e", [...five, load("e", 0, 0, 1)], 1), "a");
  assert.equal(profileToYield("e", [...five, load("e", 1, 0, 1)], 1), null);
});

test("the next boot goes to the profile with the fewest VMs, then to the one queued first", () => {
  const live: Record<string, number> = { a: 3, b: 0, c: 0 };
  const queue = [
    { profile: "a", queuedAt: 1 },
    { profile: "a", queuedAt: 2 },
    { profile: "c", queuedAt: 4 },
    { profile: "b", queuedAt: 3 },
  ];
  assert.equal(
    nextBoot(queue, (p) => live[p]!),
    3,
  );
  assert.equal(
    nextBoot([], () => 0),
    -1,
  );
  assert.equal(
    nextBoot(queue.slice(0, 2), (p) => live[p]!),
    0,
  );
});

test("a profile's CPU weight is split between its VMs", () => {
  assert.equal(cpuSharesPerVm(1), 1024);
  assert.equal(cpuSharesPerVm(4), 256);
  assert.equal(cpuSharesPerVm(0), 1024);
  assert.equal(cpuSharesPerVm(10_000), 2, "never below the kernel's minimum");
});

test("back-off doubles per failure up to 30 s", () => {
  assert.equal(backoffMs(0), 0);
  assert.equal(backoffMs(1), 1000);
  assert.equal(backoffMs(3), 4000);
  assert.equal(backoffMs(20), 30_000);
});
