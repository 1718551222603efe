// The local port's hand-over from the startup answers to the full API (startServer over a stub host): no connection
// is refused in between, a connection kept alive across it is served by the full API, and AWS SDK calls made while
// starting succeed with the SDK's default retries.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { startServer } from "../../../../main/http/server.ts";
import {
  LAMBDA_PATH_PREFIX,
  LAMBDA_RETRY_AFTER_S,
  openStartupPort,
} from "../../../../main/http/startup-server.ts";
import { StartupProgress } from "../../../../main/startup-progress.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { stubHost } from "../app/stub-host.ts";

const ui = mkdtempSync(join(tmpdir(), "hearth-port-ui-"));
writeFileSync(join(ui, "index.html"), "<!doctype html><title>Hearth</title>");
after(() => rmSync(ui, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET `path`; the status, or the error code when the connection failed (ECONNREFUSED). */
function get(
  port: number,
  path: string,
  agent: Agent | false = false,
): Promise<{ status: number | string; reused: boolean }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ status: err.code ?? err.message, reused: false }),
    );
    req.end();
  });
}

async function startingPort() {
  const progress = new StartupProgress();
  progress.begin("host", "starting the VM pool");
  const listener = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  return { progress, listener, port: listener.port };
}

test("the full API takes the startup answers' socket over: no connection refused, 503s then only 200s", async (t) => {
  const { host } = await stubHost(t);
  const { progress, listener, port } = await startingPort();
  t.after(() => listener.close());
  // A new connection for every request, back to back, across the hand-over.
  const seen: (number | string)[] = [];
  let stop = false;
  const storm = (async () => {
    while (!stop) seen.push((await get(port, "/v1/health")).status);
  })();
  // And one connection kept alive from before the hand-over to after it.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const kept = await get(port, "/v1/health", agent);
  assert.deepEqual(kept, { status: 503, reused: false });

  await sleep(300);
  const server = await startServer({ host: "127.0.0.1", port, app: host, listener });
  progress.ready();
  while (seen.filter((s) => s === 200).length < 50) await sleep(10);
  stop = true;
  await storm;

  const first200 = seen.indexOf(200);
  const refused = seen.filter((s) => typeof s === "string");
  assert.deepEqual(refused, [], "no connection failed");
  assert.ok(first200 > 0, `the startup answers came first: ${seen.slice(0, 5).join(",")}`);
  assert.ok(
    seen.slice(0, first200).every((s) => s === 503),
    "before the hand-over: 503",
  );
  assert.ok(
    seen.slice(first200).every((s) => s === 200),
    "after it: 200, never a 503 again",
  );
  assert.deepEqual(await get(port, "/v1/health", agent), { status: 200, reused: true });
  t.diagnostic(
    `${seen.length} connections: ${first200} answered 503, then ${seen.length - first200} 200, 0 refused`,
  );

  await server.close();
  assert.equal(listener.server.listening, false, "closing the full API closes the port it took over");
  assert.equal((await get(port, "/v1/health")).status, "ECONNREFUSED");
});

test("an AWS SDK call made while starting succeeds once the full API serves, by the SDK's default retries", async (t) => {
  const { host } = await stubHost(t);
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const made = await host.store.documents.update((s) => createProfile(s, { name: "sdk" }, ctx));
  await host.store.documents.update((s) =>
    createTask(
      s,
      made.profile.id,
      { name: "mine", runtime: "nodejs", handler: "i.h", code: { sha256: "2".repeat(64), size: 1 } },
      ctx,
    ),
  );
  const { progress, listener, port } = await startingPort();
  t.after(() => listener.close());
  let startingLambdaRequests = 0;
  let handedOver = false;
  listener.server.on("request", (req: { url?: string }) => {
    if (!handedOver && req.url?.startsWith(LAMBDA_PATH_PREFIX)) startingLambdaRequests++;
  });
  // The client as a script makes it: no retry settings of its own.
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: made.credentials,
  });
  t.after(() => client.destroy());
  const call = client.send(new ListFunctionsCommand({}));
  while (startingLambdaRequests === 0) await sleep(10);
  // Well before the SDK's second try (Retry-After later), well after its first.
  await sleep(1000);
  handedOver = true;
  const server = await startServer({ host: "127.0.0.1", port, app: host, listener });
  t.after(() => server.close());
  progress.ready();

  const listed = await call;
  assert.deepEqual(
    listed.Functions?.map((f) => f.FunctionName),
    ["mine"],
  );
  assert.equal(startingLambdaRequests, 1, "the first try was answered by the startup answers");
  assert.equal(listed.$metadata.attempts, 2, "the SDK retried the 503 by itself");
  assert.ok(
    (listed.$metadata.totalRetryDelay ?? 0) >= LAMBDA_RETRY_AFTER_S * 1000 - 500,
    `the SDK waited as Retry-After said: ${listed.$metadata.totalRetryDelay} ms`,
  );
});

test("a start that does not end in time: the SDK retries the 503 to its default 3 attempts, then says why", async (t) => {
  const { host } = await stubHost(t);
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const made = await host.store.documents.update((s) => createProfile(s, { name: "sdk" }, ctx));
  const { listener, port } = await startingPort();
  t.after(() => listener.close());
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: made.credentials,
  });
  t.after(() => client.destroy());
  const err = (await client.send(new ListFunctionsCommand({})).then(
    () => assert.fail("answered while starting"),
    (e: unknown) => e,
  )) as { name: string; message: string; $metadata: { httpStatusCode?: number; attempts?: number } };
  assert.equal(err.name, "ServiceUnavailableException");
  assert.equal(err.$metadata.httpStatusCode, 503);
  assert.equal(err.$metadata.attempts, 3);
  assert.match(err.message, /Hearth is starting \(starting the VM pool\)/);
});
