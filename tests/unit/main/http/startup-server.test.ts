// The port while Hearth starts: the status and the window are served, everything else is a clear 503.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startStartupServer } from "../../../../main/http/startup-server.ts";
import { StartupProgress } from "../../../../main/startup-progress.ts";

const ui = mkdtempSync(join(tmpdir(), "hearth-startup-ui-"));
writeFileSync(join(ui, "index.html"), "<!doctype html><title>Hearth</title><div id=root></div>");
after(() => rmSync(ui, { recursive: true, force: true }));

test("serves the status and the window, and answers every other route 503 STARTING with Retry-After", async () => {
  const progress = new StartupProgress();
  progress.begin("image", "building the guest image");
  progress.stepTo(4, 7, "bundling the agent");
  progress.line("[4/7] bundling the agent (2.5 s)");
  const server = await startStartupServer({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const a = server.server.address();
    const base = `http://127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
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
    assert.equal(tasks.headers.get("retry-after"), "1");
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
  const server = await startStartupServer({ host: "127.0.0.1", port: 0, progress, uiDir: ui });
  try {
    const a = server.server.address();
    const port = typeof a === "object" && a ? a.port : 0;
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
