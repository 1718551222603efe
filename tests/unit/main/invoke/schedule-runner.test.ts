// The schedule runner with a real document store and a stand-in queue: a run sent on time with EventBridge's event,
// runs missed while stopped reported and not replayed, a paused schedule silent, a refused run noted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createSchedule, updateSchedule } from "../../../../main/domain/schedules/schedules.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { ScheduleRunner } from "../../../../main/invoke/schedule-runner.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";

async function world(createdAt: number) {
  const store = await openHearthStore(mkdtempSync(join(tmpdir(), "hearth-schedules-")));
  const ctx = { now: createdAt, random: systemRandom, sealer: store.secrets };
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "cron" }, ctx));
  await store.documents.update((s) =>
    createTask(
      s,
      profile.id,
      {
        name: "tick",
        runtime: "nodejs",
        handler: "index.handler",
        code: { sha256: "a".repeat(64), size: 1 },
      },
      ctx,
    ),
  );
  const sent: { callerProfileId: string; payload: string; ref: unknown }[] = [];
  let refuse = false;
  const queue = {
    enqueue: async (req: { callerProfileId: string; payload: string; ref: unknown }) => {
      if (refuse) throw new Error("ASYNC_QUEUE_FULL: full");
      sent.push(req);
      return { id: `req-${sent.length}` } as never;
    },
  };
  return { store, profile, ctx, sent, queue, refuse: (v: boolean) => (refuse = v) };
}

test("a rate schedule sends EventBridge's Scheduled Event on time, as its profile", async () => {
  const t0 = Date.now();
  const w = await world(t0 - 58_000);
  await w.store.documents.update((s) =>
    createSchedule(
      s,
      w.profile.id,
      { name: "every-minute", expression: "rate(1 minute)", target: { task: "tick" } },
      w.ctx,
    ),
  );
  const runner = new ScheduleRunner(w.store, w.queue);
  assert.deepEqual(await runner.start(), { missed: 0 });
  assert.equal(w.sent.length, 0, "not before its time");
  await new Promise((r) => setTimeout(r, 2500));
  await runner.settled();
  runner.close();
  assert.equal(w.sent.length, 1);
  assert.equal(w.sent[0]!.callerProfileId, w.profile.id);
  assert.deepEqual(w.sent[0]!.ref, { task: "tick" });
  const event = JSON.parse(w.sent[0]!.payload);
  assert.equal(event["detail-type"], "Scheduled Event");
  assert.equal(event.source, "aws.events");
  assert.equal(event.account, w.profile.accountId);
  assert.equal(event.time, new Date(t0 - 58_000 + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"));
  assert.deepEqual(event.resources, [`arn:aws:events:local:${w.profile.accountId}:rule/every-minute`]);
  assert.deepEqual(event.detail, {});
  const s = w.store.documents.state.schedules[0]!;
  assert.equal(s.lastRequestId, "req-1");
  assert.equal(Date.parse(s.lastRunAt!), t0 - 58_000 + 60_000);
  await w.store.close();
});

test("runs missed while Hearth was stopped are reported once and not replayed; a paused schedule misses nothing", async () => {
  const t0 = Date.now();
  const w = await world(t0 - 10 * 60_000 - 30_000);
  await w.store.documents.update((s) =>
    createSchedule(
      s,
      w.profile.id,
      { name: "m", expression: "rate(1 minute)", target: { task: "tick" } },
      w.ctx,
    ),
  );
  await w.store.documents.update((s) =>
    createSchedule(
      s,
      w.profile.id,
      { name: "off", expression: "rate(1 minute)", target: { task: "tick" }, enabled: false },
      w.ctx,
    ),
  );
  const runner = new ScheduleRunner(w.store, w.queue);
  assert.deepEqual(await runner.start(), { missed: 10 });
  runner.close();
  assert.equal(w.sent.length, 0, "nothing replayed");
  const [m, off] = w.store.documents.state.schedules;
  assert.equal(m!.missed?.count, 10);
  assert.equal(Date.parse(m!.missed!.first), t0 - 10 * 60_000 - 30_000 + 60_000);
  assert.equal(off!.missed, undefined);
  // Started again at once: nothing new was missed, the count stays.
  const again = new ScheduleRunner(w.store, w.queue);
  assert.deepEqual(await again.start(), { missed: 0 });
  again.close();
  assert.equal(w.store.documents.state.schedules[0]!.missed?.count, 10);
  // Resuming clears it.
  await w.store.documents.update((s) =>
    updateSchedule(s, w.profile.id, { name: "m", enabled: false }, { now: Date.now() }),
  );
  await w.store.documents.update((s) =>
    updateSchedule(s, w.profile.id, { name: "m", enabled: true }, { now: Date.now() }),
  );
  assert.equal(w.store.documents.state.schedules[0]!.missed, undefined);
  await w.store.close();
});

test("a run the queue refuses is noted on the schedule with why", async () => {
  const t0 = Date.now();
  const w = await world(t0 - 58_000);
  await w.store.documents.update((s) =>
    createSchedule(
      s,
      w.profile.id,
      { name: "x", expression: "rate(1 minute)", target: { task: "tick" } },
      w.ctx,
    ),
  );
  w.refuse(true);
  const runner = new ScheduleRunner(w.store, w.queue);
  await runner.start();
  await new Promise((r) => setTimeout(r, 2500));
  await runner.settled();
  runner.close();
  assert.match(w.store.documents.state.schedules[0]!.lastError ?? "", /ASYNC_QUEUE_FULL/);
  await w.store.close();
});
