// The acceleration choice is probed once and reused while QEMU, the kernel and /dev/kvm stay the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseAccel } from "../../../../main/vm/accel-probe.ts";

test("a cached answer is reused, and a changed kernel is probed again", async () => {
  delete process.env.HEARTH_ACCEL;
  const dir = mkdtempSync(join(tmpdir(), "hearth-accel-"));
  const kernel = join(dir, "vmlinuz");
  writeFileSync(kernel, "not a kernel");
  const boot = { kernel, initrd: kernel, root: null, cmdline: "" };
  const cache = join(dir, "cache", "accel.json");

  const first = await chooseAccel(boot, cache);
  assert.equal(first.accel, "tcg", "a file that is not a kernel boots nothing under KVM");
  const saved = JSON.parse(readFileSync(cache, "utf8")) as { key: string; kvm: { ok: boolean } };
  assert.equal(saved.kvm.ok, false);

  // Pretend the earlier probe had found KVM: the cache, not a new probe, must decide.
  writeFileSync(cache, JSON.stringify({ ...saved, kvm: { ...saved.kvm, ok: true } }));
  assert.equal((await chooseAccel(boot, cache)).accel, "kvm");

  writeFileSync(kernel, "another kernel, another size");
  assert.equal((await chooseAccel(boot, cache)).accel, "tcg");
});

test("HEARTH_ACCEL forces the choice without probing", async () => {
  process.env.HEARTH_ACCEL = "tcg";
  try {
    const r = await chooseAccel({ kernel: "/nonexistent", initrd: "/nonexistent", root: null, cmdline: "" });
    assert.deepEqual(r, { accel: "tcg", kvm: null });
  } finally {
    delete process.env.HEARTH_ACCEL;
  }
});
