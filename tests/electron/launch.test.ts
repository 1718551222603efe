// The real desktop app under Playwright's Electron driver, where the Electron binary and a display exist (it skips,
// saying why, elsewhere): the window's locks, exactly `window.hearth`, calls over IPC to a real host, and a quit
// that drains and destroys the VMs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../main/app/build.ts";
import { desktopCheck } from "../../main/app/desktop-check.ts";
import { electronArgs, WINDOW_PAGE } from "../../main/app/desktop-launch.ts";
import type { HearthDesktopApi } from "../../main/contract.ts";
import { loadManifest } from "../../main/vm/image-manifest.ts";

declare global {
  interface Window {
    hearth?: HearthDesktopApi;
  }
}

test(
  "the desktop app opens its window over a real host and quits cleanly",
  { timeout: 180_000 },
  async (t) => {
    const desktop = desktopCheck();
    if (!desktop.ok) {
      t.diagnostic(`skipped: ${desktop.reason}`);
      return t.skip(desktop.reason);
    }
    if (!loadManifest()) return t.skip('no VM image: build it with "npm run image"');
    await buildApp();
    const { ensureUi } = await import("../../renderer/build.ts");
    await ensureUi().catch((err: Error) => t.diagnostic(`the window's page did not build: ${err.message}`));
    if (!existsSync(WINDOW_PAGE)) return t.skip(`the window's page is not built (${WINDOW_PAGE})`);

    const { _electron } = await import("@playwright/test");
    const dataDir = mkdtempSync(join(tmpdir(), "hearth-electron-"));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const app = await _electron.launch({
      executablePath: desktop.electron,
      args: electronArgs(process.getuid?.()),
      env: {
        ...process.env,
        HEARTH_DATA: dataDir,
        HEARTH_PORT: "0",
        // A test must not change which program the desktop opens hearth:// links with.
        HEARTH_SKIP_PROTOCOL_REGISTRATION: "1",
      },
      timeout: 60_000,
    });
    let exited = false;
    app.process().once("exit", () => (exited = true));
    t.after(async () => {
      if (!exited) app.process().kill("SIGKILL");
    });

    const page = await app.firstWindow();
    await page.waitForLoadState("domcontentloaded");
    assert.match(page.url(), /^file:.*\/renderer\/out\/index\.html/);

    // The page sees exactly the contract: no Node, no ipcRenderer, no other key.
    const exposed = await page.evaluate(() => ({
      keys: Object.keys(window.hearth ?? {}).sort(),
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    }));
    assert.deepEqual(exposed, {
      keys: ["call", "invokeStream", "liveLogs", "onShareLink", "poolEvents"],
      require: "undefined",
      process: "undefined",
    });
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      // Not in Electron's type definitions, but what its own tests read the applied preferences with.
      const wc = BrowserWindow.getAllWindows()[0]!.webContents as unknown as {
        getLastWebPreferences(): { contextIsolation?: boolean; sandbox?: boolean; nodeIntegration?: boolean };
      };
      const p = wc.getLastWebPreferences();
      return { contextIsolation: p.contextIsolation, sandbox: p.sandbox, nodeIntegration: p.nodeIntegration };
    });
    assert.deepEqual(prefs, { contextIsolation: true, sandbox: true, nodeIntegration: false });

    // Calls go over IPC to the host the app started; errors come back as { code, message, field }.
    const health = await page.evaluate(() => window.hearth!.call("health", {}));
    assert.equal(health.name, "hearth");
    const created = await page.evaluate(() => window.hearth!.call("createProfile", { name: "alice" }));
    assert.equal(created.profile.name, "alice");
    const tasks = await page.evaluate(() => window.hearth!.call("listTasks", {}, "alice"));
    assert.deepEqual(tasks, []);
    const refused = await page.evaluate(() =>
      window.hearth!.call("getTask", { task: "" }, "alice").then(
        () => null,
        (e: unknown) => e,
      ),
    );
    assert.deepEqual(
      { ...(refused as Record<string, unknown>), message: undefined, detail: undefined },
      { name: "HearthApiError", code: "INVALID_INPUT", field: "task", message: undefined, detail: undefined },
    );
    // The local port serves the CLI while the app runs.
    const serve = JSON.parse(readFileSync(join(dataDir, "serve.json"), "utf8")) as { url: string };
    const res = await fetch(`${serve.url}/v1/health`);
    assert.equal(res.status, 200);

    // Quitting drains and destroys the VMs before the process ends; the port's file goes with it.
    await app.close();
    assert.ok(exited || app.process().exitCode !== null);
    assert.ok(!existsSync(join(dataDir, "serve.json")), "the server closed");
  },
);
