// The start's progress: phases in order with their times, counted steps, a bounded tail of lines, ready and failed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readyStatus, STARTUP_LINES_KEPT, StartupProgress } from "../../../main/startup-progress.ts";

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test("phases are timed in order, the current one carries its step, and ready closes the last", () => {
  const c = clock();
  const p = new StartupProgress(c.now);
  p.begin("image", "building the guest image");
  p.stepTo(3, 7, "fetching the kernel");
  c.advance(4_000);
  let s = p.status();
  assert.equal(s.phase, "image");
  assert.deepEqual(s.step, { n: 3, of: 7, message: "fetching the kernel" });
  assert.equal(s.elapsedMs, 4_000);
  assert.deepEqual(s.phases, []);
  p.begin("host", "starting the VM pool");
  assert.equal(p.status().step, undefined, "a new phase starts without the last one's step");
  c.advance(1_500);
  p.ready();
  c.advance(10_000);
  s = p.status();
  assert.equal(s.phase, "ready");
  assert.equal(s.elapsedMs, 5_500, "the whole start, not the time since");
  assert.deepEqual(
    s.phases.map((x) => [x.phase, x.ms]),
    [
      ["image", 4_000],
      ["host", 1_500],
    ],
  );
  assert.throws(() => p.begin("checks", "again"), /already ready/);
});

test("a failure keeps its message and stops the clock; later calls change nothing", () => {
  const c = clock();
  const p = new StartupProgress(c.now);
  p.begin("checks", "checking the machine");
  c.advance(200);
  p.fail(new Error("LIBVIRT_UNREACHABLE: no libvirtd"));
  p.ready();
  c.advance(1_000);
  const s = p.status();
  assert.equal(s.phase, "failed");
  assert.equal(s.error, "LIBVIRT_UNREACHABLE: no libvirtd");
  assert.equal(s.elapsedMs, 200);
});

test("only the last lines are kept, blank ones dropped, multi-line text split", () => {
  const p = new StartupProgress();
  for (let i = 0; i < STARTUP_LINES_KEPT + 5; i++) p.line(`line ${i}`);
  p.line("a\n\nb");
  const lines = p.status().lines;
  assert.equal(lines.length, STARTUP_LINES_KEPT);
  assert.deepEqual(lines.slice(-2), ["a", "b"]);
  assert.equal(lines[0], `line ${7}`);
  // A copy: the caller cannot change what the next status says.
  lines.push("x");
  assert.equal(p.status().lines.length, STARTUP_LINES_KEPT);
});

test("a host nobody watched starting reports ready", () => {
  assert.equal(readyStatus().phase, "ready");
});
