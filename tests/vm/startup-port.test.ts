// `hearth serve` from a script's side while it starts: connections opened continuously from before the port first
// answers until the full API serves are never refused, AWS SDK calls made while starting succeed once it is ready,
// `--ready-file` appears only then, and `hearth wait` returns once it can invoke.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { openHearthStore } from "../../main/store/hearth-store.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on: one the system just handed out and took back. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** GET /v1/health on a new connection: the status, or the error code when the connection failed. */
function health(port: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/v1/health", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

test(
  "from before the port opens until the full API serves: nothing refused, SDK calls made while starting succeed",
  {
    timeout: 300_000,
  },
  async (t) => {
    const data = mkdtempSync(join(tmpdir(), "hearth-startup-"));
    const scratch = mkdtempSync(join(tmpdir(), "hearth-startup-ready-"));
    t.after(() => {
      rmSync(data, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });
    // A profile with the echo task, written while no Hearth runs, as `hearth profile create` and import would.
    const store = await openHearthStore(data);
    const ctx = { now: Date.now(), random: systemRandom, sealer: store.secrets };
    const made = await store.documents.update((s) => createProfile(s, { name: "script" }, ctx));
    await importFolder(store, made.profile.id, fixtureDir("echo-node"));
    await store.close();

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const readyFile = join(scratch, "ready");
    const env = { ...process.env, HEARTH_DATA: data, HEARTH_URL: "", HEARTH_TOKEN: "", HEARTH_PROFILE: "" };

    // Opened before the server is started, back to back, each on a new connection.
    const seen: (number | string)[] = [];
    let readyFileWhileStarting = false;
    let firstStarting: () => void = () => {};
    const starting = new Promise<void>((r) => (firstStarting = r));
    let stop = false;
    const storm = (async () => {
      while (!stop) {
        const s = await health(port);
        if (s === 503) {
          firstStarting();
          if (existsSync(readyFile)) readyFileWhileStarting = true;
        }
        seen.push(s);
        // Only while nothing listens: a refused connection returns at once, and the server is not up for a while.
        if (typeof s === "string") await sleep(2);
      }
    })();

    const server = spawn(
      process.execPath,
      ["bin/hearth.mjs", "serve", "--port", String(port), "--ready-file", readyFile],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let log = "";
    server.stderr.on("data", (c: Buffer) => (log += c.toString()));
    const exited = new Promise<number | null>((r) => server.on("exit", (code) => r(code)));
    t.after(() => server.kill("SIGKILL"));
    const waiter = spawn(process.execPath, ["bin/hearth.mjs", "--url", url, "wait", "--timeout", "240"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let waitOut = "";
    let waitErr = "";
    waiter.stdout.on("data", (c: Buffer) => (waitOut += c.toString()));
    waiter.stderr.on("data", (c: Buffer) => (waitErr += c.toString()));
    const waited = new Promise<number | null>((r) => waiter.on("exit", (code) => r(code)));
    t.after(() => waiter.kill("SIGKILL"));

    await Promise.race([
      starting,
      exited.then((code) => assert.fail(`hearth serve exited ${code} before its port answered: ${log}`)),
    ]);
    // Made while the port answers 503, with the SDK's default retries.
    const client = new LambdaClient({ endpoint: url, region: "us-east-1", credentials: made.credentials });
    t.after(() => client.destroy());
    const invoked = client.send(new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from('{"n":1}') }));
    const listed = client.send(new ListFunctionsCommand({}));

    while (!seen.includes(200)) {
      if (server.exitCode !== null)
        assert.fail(`hearth serve exited ${server.exitCode} before it was ready: ${log}`);
      await sleep(20);
    }
    const readyAtFirst200 = existsSync(readyFile);
    while (seen.filter((s) => s === 200).length < 20) await sleep(10);
    stop = true;
    await storm;

    const firstAnswer = seen.findIndex((s) => typeof s === "number");
    const first200 = seen.indexOf(200);
    const after = seen.slice(firstAnswer);
    t.diagnostic(
      `${seen.length} connections: ${firstAnswer} refused before the port first answered, then ` +
        `${first200 - firstAnswer} answered 503, then ${seen.length - first200} 200`,
    );
    assert.ok(firstAnswer > 0, "the first connections were opened before the port was");
    assert.deepEqual(
      after.filter((s) => typeof s === "string"),
      [],
      "no connection failed once the port had answered",
    );
    assert.equal(seen[firstAnswer], 503, "the port first answered 503: starting");
    assert.ok(
      seen.slice(firstAnswer, first200).every((s) => s === 503),
      "503 until ready",
    );
    assert.ok(
      seen.slice(first200).every((s) => s === 200),
      "200 from then on",
    );

    assert.equal(readyFileWhileStarting, false, "the ready file did not exist while the port answered 503");
    // Written right after the hand-over: a health check may see 200 a moment before it appears.
    if (!readyAtFirst200) for (let i = 0; i < 50 && !existsSync(readyFile); i++) await sleep(20);
    assert.equal(readFileSync(readyFile, "utf8"), `${url}\n`);

    assert.equal(await waited, 0, waitErr);
    assert.equal(waitOut, `${url}\n`);

    const list = await listed;
    assert.deepEqual(
      list.Functions?.map((f) => f.FunctionName),
      ["echo"],
    );
    const r = await invoked;
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, undefined);
    assert.deepEqual(JSON.parse(Buffer.from(r.Payload ?? []).toString()), {
      echo: { n: 1 },
      version: "$LATEST",
    });
    t.diagnostic(
      `SDK attempts while starting: ListFunctions ${list.$metadata.attempts}, Invoke ${r.$metadata.attempts}`,
    );

    server.kill("SIGTERM");
    assert.equal(await exited, 0, log);
    assert.equal(existsSync(readyFile), false, "the ready file goes when the server does");
  },
);
