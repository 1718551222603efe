// The port while Hearth starts: the status and the window are served; health, the Lambda API and everything else
// answer a clear 503 with Retry-After, under the same rules as the full port.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  LAMBDA_RETRY_AFTER_S,
  openStartupPort,
  STARTING_RETRY_AFTER_S,
} from "../../../../main/http/startup-server.ts";
import { StartupProgress } from "../../../../main/startup-progress.ts";

const ui = mkdtempSync(join(tmpdir(), "hearth-startup-ui-"));
writeFileSync(join(ui, "index.html"), "<!doctype html><title>Hearth</title><div id=root></div>");
after(() => rmSync(ui, { recursive: true, force: true }));

test("serves the status and the window, and answers every other route 503 STARTING with Retry-After", async () => {
  const progress = new StartupProgress();
  progress.begin("image", "building the guest image");
  progress.stepTo(4, 7, "bundling the agent");
  progress.line("[4/7] bundling the agent (2.5 s)");
  const server = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const st = await fetch(`${base}/v1/startup`);
    assert.equal(st.status, 200);
    assert.equal(st.headers.get("cache-control"), "no-store");
    const body = (await st.json()) as { phase: string; step: { n: number }; lines: string[] };
    assert.equal(body.phase, "image");
    assert.equal(body.step.n, 4);
    assert.deepEqual(body.lines, ["[4/7] bundling the agent (2.5 s)"]);

    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id=root>/);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);

    const tasks = await fetch(`${base}/v1/tasks`, { method: "POST", body: "{}" });
    assert.equal(tasks.status, 503);
    assert.equal(tasks.headers.get("retry-after"), String(STARTING_RETRY_AFTER_S));
    const err = (await tasks.json()) as { error: { code: string; message: string } };
    assert.equal(err.error.code, "STARTING");
    assert.match(err.error.message, /building the guest image, step 4 of 7: bundling the agent/);
    assert.match(err.error.message, /POST \/v1\/tasks/);

    progress.fail(new Error("IMAGE_TOOL_MISSING: mksquashfs"));
    const failed = (await (await fetch(`${base}/v1/functions`)).json()) as { error: { message: string } };
    assert.match(failed.error.message, /could not start: IMAGE_TOOL_MISSING: mksquashfs/);
  } finally {
    await server.close();
  }
});

test("while starting, the port answers only to its own names: a rebound name reads neither status nor window", async () => {
  const progress = new StartupProgress();
  progress.begin("image", "building the guest image");
  const server = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const port = server.port;
    const get = (path: string, host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, headers: { host }, setHost: false }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    for (const path of ["/v1/startup", "/", "/v1/health"]) {
      const refused = await get(path, `rebind.example.com:${port}`);
      assert.equal(refused.status, 421, path);
      assert.match(refused.body, /HOST_NOT_ALLOWED/);
    }
    assert.equal((await get("/v1/startup", `localhost:${port}`)).status, 200);
    assert.equal((await get("/", `[::1]:${port}`)).status, 200);
  } finally {
    await server.close();
  }
});

test("health answers 503 with what is still starting; the Lambda API a 503 the SDKs retry", async () => {
  const progress = new StartupProgress();
  progress.begin("host", "starting the VM pool");
  const server = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const health = await fetch(`${base}/v1/health`);
    assert.equal(health.status, 503);
    assert.equal(health.headers.get("retry-after"), String(STARTING_RETRY_AFTER_S));
    assert.equal(health.headers.get("cache-control"), "no-store");
    const h = (await health.json()) as {
      ok: boolean;
      name: string;
      error: { code: string; message: string };
      starting: { phase: string; title: string; lines?: unknown };
    };
    assert.equal(h.ok, false);
    assert.equal(h.name, "hearth");
    assert.equal(h.error.code, "STARTING");
    assert.match(h.error.message, /starting the VM pool/);
    assert.deepEqual([h.starting.phase, h.starting.title], ["host", "starting the VM pool"]);
    assert.equal(h.starting.lines, undefined, "health says what is starting, not what it printed");

    for (const [method, path] of [
      ["POST", "/2015-03-31/functions/echo/invocations"],
      ["GET", "/2015-03-31/functions/"],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method, ...(method === "POST" ? { body: "{}" } : {}) });
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get("x-amzn-errortype"), "ServiceUnavailableException");
      assert.equal(res.headers.get("retry-after"), String(LAMBDA_RETRY_AFTER_S));
      const body = (await res.json()) as { Type: string; message: string };
      assert.equal(body.Type, "Service");
      assert.match(body.message, /^STARTING: Hearth is starting \(starting the VM pool\)/);
    }

    progress.fail(new Error("IMAGE_NOT_BUILT: no guest image"));
    const failed = (await (await fetch(`${base}/v1/health`)).json()) as {
      starting: { phase: string; error: string };
    };
    assert.deepEqual(
      [failed.starting.phase, failed.starting.error],
      ["failed", "IMAGE_NOT_BUILT: no guest image"],
    );
  } finally {
    await server.close();
  }
});

test("while starting, other sites' pages are refused and every answer but the window's files is sandboxed", async () => {
  const progress = new StartupProgress();
  const server = await openStartupPort({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ["/v1/health", "/v1/startup", "/2015-03-31/functions/", "/v1/tasks"]) {
      const res = await fetch(`${base}${path}`, { headers: { origin: "https://evil.example" } });
      assert.equal(res.status, 403, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
      const sideways = await fetch(`${base}${path}`, { headers: { "sec-fetch-site": "cross-site" } });
      assert.equal(sideways.status, 403, path);
      await sideways.body?.cancel();
    }
    for (const path of ["/v1/health", "/v1/startup", "/2015-03-31/functions/", "/v1/tasks"]) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.headers.get("content-security-policy"), "sandbox", path);
      await res.body?.cancel();
    }
    const page = await fetch(`${base}/`);
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    await page.body?.cancel();
  } finally {
    await server.close();
  }
});
