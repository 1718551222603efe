// The tray's summary of the pool: ready and busy VMs per profile, by the profiles' names.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadLine, poolLoad, poolTooltip } from "../../../../main/app/pool-summary.ts";

test("VMs are counted per profile by state, profiles without VMs included", () => {
  const profiles = [
    { id: "p-b", name: "bob" },
    { id: "p-a", name: "alice" },
    { id: "p-c", name: "carol" },
  ];
  const vms = [
    { profile: "p-a", state: "ready" },
    { profile: "p-a", state: "busy" },
    { profile: "p-a", state: "busy" },
    { profile: "p-b", state: "booting" },
    { profile: "p-b", state: "draining" },
    { profile: "p-gone", state: "ready" },
  ] as const;
  const loads = poolLoad(vms, profiles);
  assert.deepEqual(loads.map(loadLine), [
    "alice: 1 ready, 2 busy",
    "bob: 0 ready, 0 busy, 1 booting",
    "carol: 0 ready, 0 busy",
    "p-gone: 1 ready, 0 busy",
  ]);
  assert.equal(poolTooltip(loads).split("\n")[0], "Hearth: 2 ready, 2 busy");
  assert.equal(poolTooltip([]), "Hearth: no profiles yet");
});
