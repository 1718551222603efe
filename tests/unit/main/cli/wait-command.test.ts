// `hearth wait` as a script runs it, against a real local port (startup answers, then startServer over a stub
// host): exit 0 and the URL once health answers 200, 4 when nothing answers, 5 while still starting or failed.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXIT } from "../../../../main/cli/exit-codes.ts";
import { startServer } from "../../../../main/http/server.ts";
import { openStartupPort } from "../../../../main/http/startup-server.ts";
import { StartupProgress } from "../../../../main/startup-progress.ts";
import { stubHost } from "../app/stub-host.ts";
import { runHearth } from "./hearth-run.ts";

const ui = mkdtempSync(join(tmpdir(), "hearth-wait-ui-"));
writeFileSync(join(ui, "index.html"), "<!doctype html><title>Hearth</title>");
// A data directory of no server: the URL comes from --url in these tests unless one says otherwise.
const data = mkdtempSync(join(tmpdir(), "hearth-wait-data-"));
after(() => {
  rmSync(ui, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wait = (args: string[], env: Record<string, string> = { HEARTH_DATA: data }) =>
  runHearth(["wait", ...args], { tty: false, env });

/** A port nothing listens on: one the system just handed out and took back. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startingPort() {
  const progress = new StartupProgress();
  progress.begin("host", "starting the VM pool");
  const listener = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  return { progress, listener, url: `http://127.0.0.1:${listener.port}` };
}

test("waits through the start and exits 0 with the URL once health answers 200", async (t) => {
  const { host } = await stubHost(t);
  const { progress, listener, url } = await startingPort();
  t.after(() => listener.close());
  let healthWhileStarting = 0;
  let handedOver = false;
  listener.server.on("request", (req: { url?: string }) => {
    if (!handedOver && req.url === "/v1/health") healthWhileStarting++;
  });
  const waiting = wait(["--url", url, "--timeout", "60"]);
  while (healthWhileStarting < 2) await sleep(20);
  handedOver = true;
  const server = await startServer({ host: "127.0.0.1", port: listener.port, app: host, listener });
  t.after(() => server.close());
  progress.ready();
  const r = await waiting;
  assert.equal(r.code, EXIT.ok, r.stderr);
  assert.equal(r.stdout, `${url}\n`);
  assert.ok(healthWhileStarting >= 2, "it asked while the port answered 503, and kept asking");

  // Without --url: the serve.json the ready server wrote in its data directory leads there.
  const found = await wait(["--timeout", "5"], { HEARTH_DATA: host.dataDir });
  assert.equal(found.code, EXIT.ok, found.stderr);
  assert.equal(found.stdout, `${url}\n`);
});

test("times out with exit 5 while Hearth is still starting, saying what it is doing", async (t) => {
  const { listener, url } = await startingPort();
  t.after(() => listener.close());
  const started = Date.now();
  const r = await wait(["--url", url, "--timeout", "1.5"]);
  assert.equal(r.code, EXIT.hearthFailed, r.stderr);
  assert.match(r.stderr, /WAIT_TIMEOUT: Hearth at http:\/\/127\.0\.0\.1:\d+ was not ready within 1\.5 s/);
  assert.match(r.stderr, /within 1\.5 s: Hearth is starting \(starting the VM pool\)/);
  assert.equal(r.stdout, "");
  // The wait's timer runs on the monotonic clock, whole milliseconds apart from the wall clock read here: a
  // millisecond or two early by Date.now() is still the full wait.
  const waited = Date.now() - started;
  assert.ok(waited >= 1490, `gave up after ${waited} ms, before its 1.5 s`);
});

test("a start that failed ends the wait at once with exit 5 and its reason", async (t) => {
  const { progress, listener, url } = await startingPort();
  t.after(() => listener.close());
  progress.fail(new Error("IMAGE_NOT_BUILT: no guest image"));
  const r = await wait(["--url", url, "--timeout", "120"]);
  assert.equal(r.code, EXIT.hearthFailed, r.stderr);
  assert.match(r.stderr, /START_FAILED: Hearth could not start: IMAGE_NOT_BUILT: no guest image/);
});

test("times out with exit 4 when nothing answers, and refuses a timeout that is not one", async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const r = await wait(["--url", url, "--timeout", "1"]);
  assert.equal(r.code, EXIT.unreachable, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`WAIT_TIMEOUT: no Hearth answered at ${url} within 1 s \\(ECONNREFUSED\\)`),
  );
  for (const bad of ["0", "-1", "soon"]) {
    const u = await wait(["--url", url, "--timeout", bad]);
    assert.equal(u.code, EXIT.usage, bad);
    assert.match(u.stderr, /--timeout must be a number of seconds/);
  }
});
