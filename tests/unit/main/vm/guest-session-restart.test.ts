// An agent that starts again on its own cannot vouch for runtimes its predecessor left: the session is lost,
// so the pool retires the VM instead of loading the next task beside an orphan.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GuestSession } from "../../../../main/vm/guest-session.ts";
import { FakeDriver } from "../../../helpers/fake-driver.ts";

const READY = { t: "ready", protocol: 1, bootMs: 10, agentMs: 1, kernel: "fake", slots: [1, 2] };

test("a ready frame with a higher start count marks the session lost; the same count does not", async () => {
  const driver = new FakeDriver();
  const name = await driver.create("<domain><name>restart-test</name></domain>");
  const session = new GuestSession(await driver.channelSockets(name));
  try {
    await session.connect(2000);
    const lost = new Promise<string>((resolve) => session.once("lost", resolve));
    // A reconnect's ready repeats the count: nothing happened to the agent.
    driver.agentEvent(name, { ...READY, agentStarts: 1 });
    await session.ping();
    assert.equal(session.lost, null);
    driver.agentEvent(name, { ...READY, agentStarts: 2 });
    assert.match(await lost, /the agent restarted unasked \(start 2 after 1\)/);
    assert.notEqual(session.lost, null);
  } finally {
    session.close();
    await driver.close();
  }
});
