// An API's token is counted and held to its rate limit like an alias's: calls, last use and address recorded, and
// past the limit the gateway answers 429 Too Many Requests with Retry-After before anything runs.
import { RemoteConnections } from "../../../../../main/remote/remote-connections.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { createApi } from "../../../../../main/domain/apis/apis.ts";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../../main/domain/tasks/tasks.ts";
import { mintApiToken } from "../../../../../main/domain/access/tokens.ts";
import { registerApiGateway } from "../../../../../main/http/apis/api-gateway.ts";
import { AsyncInvocations } from "../../../../../main/invoke/async-invocations.ts";
import { Engine } from "../../../../../main/invoke/engine.ts";
import { Invoker } from "../../../../../main/invoke/invoker.ts";
import type {
  Execution,
  RunOutcome,
  SandboxScheduler,
} from "../../../../../main/invoke/sandbox-scheduler.ts";
import { openHearthStore } from "../../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";

test("an API token with a rate limit: counted per call, then 429 with Retry-After and nothing run", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-api-usage-"));
  const store = await openHearthStore(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  await store.documents.update((s) =>
    createTask(s, profile.id, { name: "orders", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  const api = await store.documents.update((s) =>
    createApi(
      s,
      profile.id,
      { name: "shop", access: "token", routes: [{ routeKey: "$default", target: { task: "orders" } }] },
      ctx(),
    ),
  );
  const limited = await store.documents.update((s) =>
    mintApiToken(s, profile.id, { apiId: api.id, rateLimitPerMinute: 2 }, ctx()),
  );
  let runs = 0;
  const scheduler = {
    run: async (exec: Execution): Promise<RunOutcome> => {
      runs++;
      return {
        requestId: "r",
        ok: true,
        payload: JSON.stringify({ statusCode: 200, body: "ok" }),
        durationMs: 1,
        roundTripMs: 1,
        maxRssKb: 1,
        servedVersion: exec.spec.functionVersion,
        servedConfigKey: exec.configKey,
        vm: "vm",
        coldStart: false,
        queuedMs: 0,
      } as RunOutcome;
    },
  } as unknown as SandboxScheduler;
  const server = Fastify({ logger: false });
  const engine = new Engine(store, scheduler);
  const invoker = new Invoker({
    store,
    engine,
    async: new AsyncInvocations(engine, { dir: join(dir, "async") }),
    remoteConnections: new RemoteConnections(),
  });
  registerApiGateway(server, { store, invoker });
  t.after(() => server.close());
  await server.ready();
  const call = (token: string) =>
    server.inject({
      method: "GET",
      url: "/apis/shop/anything",
      headers: { authorization: `Bearer ${token}` },
      remoteAddress: "192.0.2.7",
    });

  assert.equal((await call(limited.secret)).statusCode, 200);
  assert.equal((await call(limited.secret)).statusCode, 200);
  const third = await call(limited.secret);
  assert.equal(third.statusCode, 429);
  assert.match(String(third.headers["retry-after"]), /^\d+$/);
  assert.equal(runs, 2, "the refused call ran nothing");
  const usage = store.tokenUsage.usageOf(limited.token.id)!;
  assert.deepEqual([usage.calls, usage.throttled, usage.addresses], [2, 1, ["192.0.2.7"]]);
  // A wrong token is refused as before, and counted against no token.
  assert.equal((await call(`hth_${"z".repeat(43)}`)).statusCode, 401);
  assert.equal(store.tokenUsage.usageOf(limited.token.id)!.calls, 2);
});
