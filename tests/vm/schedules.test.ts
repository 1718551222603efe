// Schedules on a real host with real VMs, driven by the `hearth` CLI: a rate schedule fires on time through the
// async queue with EventBridge's Scheduled Event, is listed with its last run, paused (no next run) and resumed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { ScheduleView } from "../../main/contract.ts";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { cliEnv, hearth } from "../helpers/hearth-cli.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-schedules-"));
let host: Host;
let server: FastifyInstance;
let env: NodeJS.ProcessEnv;
let account = "";

async function ok(args: string[]): Promise<string> {
  const r = await hearth(env, args);
  assert.equal(r.code, 0, `hearth ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  host = await Host.start({ dataDir });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const made = await host.store.documents.update((s) => createProfile(s, { name: "cron" }, ctx));
  account = made.profile.accountId;
  await importFolder(host.store, made.profile.id, fixtureDir("echo-node"));
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  env = {
    ...cliEnv(mkdtempSync(join(tmpdir(), "hearth-schedules-cli-"))),
    HEARTH_URL: `http://127.0.0.1:${(server.server.address() as { port: number }).port}`,
    AWS_ACCESS_KEY_ID: made.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: made.credentials.secretAccessKey,
  };
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a rate(1 minute) schedule fires on time with EventBridge's event; pause and resume", async () => {
  const made = JSON.parse(
    await ok(["schedule", "create", "tick", "--rate", "1 minute", "--task", "echo", "--json"]),
  ) as ScheduleView;
  const due = Date.parse(made.nextRunAt!);
  assert.equal(
    due - Date.parse(made.createdAt),
    60_000,
    "a rate's first run is one period after it was made",
  );
  // Refused by name, and nothing stored.
  const bad = await hearth(env, ["schedule", "create", "bad", "--rate", "5 weeks", "--task", "echo"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /expression/);
  const missing = await hearth(env, [
    "schedule",
    "create",
    "gone",
    "--rate",
    "1 minute",
    "--task",
    "nothing",
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /TASK_NOT_FOUND/);

  // Wait for the run, then for its event to have run in the task.
  let s: ScheduleView | undefined;
  const until = due + 20_000;
  while (Date.now() < until) {
    s = (JSON.parse(await ok(["schedule", "ls", "--json"])) as ScheduleView[]).find((x) => x.name === "tick");
    if (s?.lastRequestId) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(s?.lastRequestId, "the schedule sent its run");
  assert.equal(Date.parse(s.lastRunAt!), due, "the run is the one that was due");
  const item = host.async.get(s.lastRequestId)!;
  const sentLate = Date.parse(item.createdAt) - due;
  console.log(`# schedule: run due ${new Date(due).toISOString()}, queued ${sentLate} ms after`);
  assert.ok(sentLate >= 0 && sentLate < 2000, `queued ${sentLate} ms after it was due`);
  await host.async.idle();
  const done = host.async.get(s.lastRequestId)!;
  assert.equal(done.state, "succeeded", JSON.stringify(done.outcome));
  const event = (JSON.parse(done.outcome!.payload!) as { echo: Record<string, unknown> }).echo;
  assert.equal(event["detail-type"], "Scheduled Event");
  assert.equal(event.source, "aws.events");
  assert.equal(event.account, account);
  assert.equal(event.time, new Date(due).toISOString().replace(/\.\d{3}Z$/, "Z"));
  assert.deepEqual(event.resources, [`arn:aws:events:local:${account}:rule/tick`]);
  assert.equal(s.nextRunAt, new Date(due + 60_000).toISOString());

  const paused = JSON.parse(await ok(["schedule", "pause", "tick", "--json"])) as ScheduleView;
  assert.deepEqual([paused.state, paused.nextRunAt], ["disabled", null]);
  const human = await ok(["schedule", "ls"]);
  assert.match(human, /tick\s+rate\(1 minute\)\s+echo\s+disabled/);
  const resumed = JSON.parse(await ok(["schedule", "resume", "tick", "--json"])) as ScheduleView;
  assert.equal(resumed.state, "enabled");
  assert.equal(
    Date.parse(resumed.nextRunAt!) - Date.parse(resumed.updatedAt),
    60_000,
    "a resumed rate counts from then",
  );
  await ok(["schedule", "rm", "tick"]);
  assert.deepEqual(JSON.parse(await ok(["schedule", "ls", "--json"])), []);
});
