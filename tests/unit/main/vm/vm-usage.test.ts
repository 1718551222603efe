// A process's PSS and CPU time from /proc: this test process's own, which is surely running and using both.
import { test } from "node:test";
import assert from "node:assert/strict";
import { processUsage } from "../../../../main/vm/vm-usage.ts";

test("this process's usage is read, and a process that is gone gives null", async () => {
  const before = await processUsage(process.pid);
  assert.ok(before, "readable");
  assert.ok(before.pssKb > 1024, `PSS ${before.pssKb} kB`);
  const start = Date.now();
  while (Date.now() - start < 150) Math.sqrt(Math.random());
  const after = (await processUsage(process.pid))!;
  const used = process.cpuUsage();
  assert.ok(after.cpuMs >= before.cpuMs + 50, `CPU time grew by ${after.cpuMs - before.cpuMs} ms`);
  // Within a tick of what Node itself counts.
  assert.ok(Math.abs(after.cpuMs - (used.user + used.system) / 1000) < 200);
  assert.equal(await processUsage(2 ** 22 + 12345), null);
});
