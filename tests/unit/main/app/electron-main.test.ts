// The bundled main process (main/app/out/electron-main.mjs) under a stand-in electron module: the window's locks,
// the hearth:// registration, IPC only for the app's own page, share links, and the quit path when the host cannot
// start (no image here, on purpose: no VM is booted).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import type * as ElectronMock from "./electron-mock.ts";
import { mkdtempSync } from "node:fs";
import { register } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildApp, MAIN_BUNDLE } from "../../../../main/app/build.ts";
import { APP_ROOT } from "../../../../main/app/desktop-launch.ts";
import { CALL_CHANNEL, SHARE_LINKS_TAKE_CHANNEL, type IpcAnswer } from "../../../../main/app/ipc-channels.ts";
import { WINDOW_CSP } from "../../../../main/contract.ts";
import { UI_CSP } from "../../../../main/http/ui-static.ts";

let electron: typeof ElectronMock;
const INDEX = join(APP_ROOT, "renderer", "out", "index.html");
const TOKEN = `hth_${"a".repeat(43)}`;
const LINK = `hearth://share?endpoint=https%3A%2F%2F10.0.0.5%3A7443&token=${TOKEN}&fingerprint=sha256%3A${"ab".repeat(32)}&name=resize`;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  await buildApp();
  register(new URL("./electron-mock-hooks.mjs", import.meta.url), {
    data: { mock: new URL("./electron-mock.ts", import.meta.url).href },
  });
  electron = (await import("electron" as string)) as typeof ElectronMock;
  process.env.HEARTH_DATA = mkdtempSync(join(tmpdir(), "hearth-app-data-"));
  // An empty image folder: Host.start refuses at once, before libvirt is touched.
  process.env.HEARTH_IMAGE_DIR = mkdtempSync(join(tmpdir(), "hearth-app-image-"));
  delete process.env.HEARTH_SKIP_PROTOCOL_REGISTRATION;
  process.argv.push(LINK);
  await import(pathToFileURL(MAIN_BUNDLE).href);
  await until("the app to quit", () => electron.app.quitted);
});

test("one window, sandboxed and isolated, loading the app's page through the bundled preload", () => {
  const [win, ...more] = electron.BrowserWindow.all;
  assert.ok(win);
  assert.equal(more.length, 0);
  const prefs = win.options.webPreferences as Record<string, unknown>;
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.preload, join(APP_ROOT, "main", "app", "out", "preload.cjs"));
  // The page itself is the other half's build: either it is loaded, or the window says it is missing.
  if (win.loaded.file) assert.equal(win.loaded.file, INDEX);
  else assert.match(decodeURIComponent(win.loaded.url ?? ""), /index\.html is missing/);
  let granted: boolean | undefined;
  electron.recorded.permissionHandler?.(win.webContents, "media", (g: boolean) => (granted = g));
  assert.equal(granted, false);
});

test("the page runs under the window's policy, as the browser-mode window does over HTTP", () => {
  const onHeaders = electron.recorded.headersReceived;
  assert.ok(onHeaders, "a response-headers hook is set");
  let answer: unknown;
  onHeaders(
    {
      url: pathToFileURL(INDEX).href,
      resourceType: "mainFrame",
      responseHeaders: { "Content-Security-Policy": ["script-src *"], "X-Other": ["1"] },
    },
    (a: unknown) => (answer = a),
  );
  assert.deepEqual(answer, {
    responseHeaders: { "X-Other": ["1"], "Content-Security-Policy": [WINDOW_CSP] },
  });
  assert.equal(WINDOW_CSP, UI_CSP);
  onHeaders(
    { url: pathToFileURL(INDEX).href.replace("index.html", "app.js"), resourceType: "script" },
    (a: unknown) => (answer = a),
  );
  assert.deepEqual(answer, {});
});

test("the page may not navigate away; http(s) links open in the system browser, others nowhere", () => {
  const wc = electron.BrowserWindow.all[0]!.webContents;
  assert.equal(wc.navigate(`${pathToFileURL(INDEX).href}#/tasks`), false);
  assert.equal(wc.navigate("https://docs.example.com/"), true);
  assert.equal(wc.navigate("file:///etc/passwd"), true);
  assert.equal(wc.navigate("javascript:alert(1)"), true);
  assert.deepEqual(wc.windowOpenHandler?.({ url: "http://example.com/x" }), { action: "deny" });
  assert.deepEqual(wc.windowOpenHandler?.({ url: "smb://server/share" }), { action: "deny" });
  assert.deepEqual(electron.recorded.opened, ["https://docs.example.com/", "http://example.com/x"]);
});

test("hearth:// is registered, and a launch link waits for the window", async () => {
  assert.deepEqual(electron.recorded.protocolClients, [["hearth"]]);
  const take = electron.recorded.everHandled.get(SHARE_LINKS_TAKE_CHANNEL)!;
  const wc = electron.BrowserWindow.all[0]!.webContents;
  const answer = (await take({ sender: wc, senderFrame: { url: pathToFileURL(INDEX).href } })) as IpcAnswer;
  assert.deepEqual(answer, {
    ok: true,
    value: [
      {
        endpoint: "https://10.0.0.5:7443",
        token: TOKEN,
        fingerprint: `sha256:${"ab".repeat(32)}`,
        name: "resize",
      },
    ],
  });
  // A second launch with a bad link is refused with a message, not handed over.
  electron.app.emit("second-instance", {}, ["/usr/bin/hearth", "hearth://share?token=x"]);
  assert.equal(electron.recorded.messageBoxes.length, 1);
  assert.match(String(electron.recorded.messageBoxes[0]!.detail), /INVALID_INPUT/);
});

test("IPC answers only the app's page in its window; with no host it says why", async () => {
  const call = electron.recorded.everHandled.get(CALL_CHANNEL)!;
  const wc = electron.BrowserWindow.all[0]!.webContents;
  const own = { sender: wc, senderFrame: { url: pathToFileURL(INDEX).href } };
  const a = (await call(own, { name: "health" })) as IpcAnswer;
  assert.ok(!a.ok && a.error.code === "HOST_NOT_STARTED" && /IMAGE_NOT_BUILT/.test(a.error.message));
  const elsewhere = { sender: wc, senderFrame: { url: "https://evil.example/" } };
  const b = (await call(elsewhere, { name: "health" })) as IpcAnswer;
  assert.ok(!b.ok && b.error.code === "FORBIDDEN");
  const other = { sender: new electron.WebContents(), senderFrame: { url: pathToFileURL(INDEX).href } };
  const c = (await call(other, { name: "health" })) as IpcAnswer;
  assert.ok(!c.ok && c.error.code === "FORBIDDEN");
});

test("a host that cannot start is shown, and the app quits through its shutdown", () => {
  assert.equal(electron.recorded.errorBoxes.length, 1);
  assert.match(electron.recorded.errorBoxes[0]!.content, /IMAGE_NOT_BUILT/);
  // The first quit was held for the shutdown, which then quit again.
  assert.ok(electron.app.quitRequests >= 2, `${electron.app.quitRequests} quit requests`);
  assert.ok(electron.recorded.trays.every((t) => t.isDestroyed()));
  assert.equal(electron.recorded.handled.size, 0, "the IPC channels are gone");
  assert.ok(electron.recorded.removedHandlers.includes(CALL_CHANNEL));
});
