// The clock and randomness sync after a restore is sent again when its answer does not come: a frame lost while a
// restored guest's port settles must not cost the pool a VM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GuestSession } from "../../../../main/vm/guest-session.ts";
import { FakeDriver } from "../../../helpers/fake-driver.ts";

async function sessionOn(driver: FakeDriver): Promise<GuestSession> {
  const name = await driver.create("<domain><name>sync-test</name></domain>");
  const session = new GuestSession(await driver.channelSockets(name));
  await session.connect(2000);
  return session;
}

test("a sync whose frame was lost is sent again and answered", async () => {
  const driver = new FakeDriver({ dropSyncs: 1 });
  const session = await sessionOn(driver);
  try {
    const started = performance.now();
    const r = await session.sync(5000, 200);
    assert.equal(r.t, "synced");
    assert.equal(driver.syncs, 2, "sent twice");
    const ms = performance.now() - started;
    assert.ok(ms >= 190 && ms < 2000, `answered after ${ms.toFixed(0)} ms`);
  } finally {
    session.close();
    await driver.close();
  }
});

test("a sync that is never answered fails at its deadline, saying how often it was tried", async () => {
  const driver = new FakeDriver({ dropSyncs: 1000 });
  const session = await sessionOn(driver);
  try {
    const err = await session.sync(650, 200).then(
      () => assert.fail("answered"),
      (e: Error) => e,
    );
    const m = /^AGENT_TIMEOUT: no answer to sync within 650 ms \((\d+) tries\)$/.exec(err.message);
    assert.ok(m, err.message);
    // Every 200 ms within 650 ms: four tries, fewer only when this machine's timers ran late.
    assert.ok(Number(m[1]) >= 2 && Number(m[1]) <= 4, err.message);
    assert.equal(driver.syncs, Number(m[1]));
  } finally {
    session.close();
    await driver.close();
  }
});
