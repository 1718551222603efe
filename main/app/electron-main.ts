// The desktop app's main process: one window over the host's contract, a tray with the pool's state, hearth:// share
// links, the local HTTP port for the CLI and AWS tools, and a shutdown that drains invocations and destroys the VMs.
// (Electron's type definitions name DOM types, hence the DOM lib below.)
/// <reference lib="dom" />
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  session,
  shell,
  Tray,
  type NativeImage,
  type WebContents,
} from "electron";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { Host } from "../host.ts";
import { startServer } from "../http/server.ts";

import { dataDir } from "../paths.ts";
import { StartupProgress } from "../startup-progress.ts";
import { iconPng } from "./app-icon.ts";
import { registerIpcBridge, type IpcBridge, type IpcEventLike } from "./ipc-bridge.ts";
import { listenWithFallback, requestedPort } from "./local-port.ts";
import { externalUrl, isAppUrl } from "./navigation-policy.ts";
import { loadLine, poolLoad, poolTooltip } from "./pool-summary.ts";
import { parseShareLink, SHARE_LINK_PROTOCOL, shareLinkArgument } from "./share-link.ts";
import { withWindowCsp } from "./window-csp.ts";

/** This file runs bundled as main/app/out/electron-main.mjs; the project (or app.asar) is three folders up. */
const OUT_DIR = dirname(fileURLToPath(import.meta.url));
const APP_ROOT = resolve(OUT_DIR, "..", "..", "..");
const INDEX_FILE = join(APP_ROOT, "renderer", "out", "index.html");
const PRELOAD_FILE = join(OUT_DIR, "preload.cjs");
/** Packaged, the VM image is an extra resource beside app.asar (build/electron-builder.yml). */
const IMAGE_DIR = app.isPackaged
  ? join(process.resourcesPath, "vm-images", "out")
  : (process.env.HEARTH_IMAGE_DIR ?? join(APP_ROOT, "vm-images", "out"));
/** Time the host gets to answer accepted invocations before its VMs go. */
const DRAIN_MS = 10_000;
/** After this, the app quits even if the host has not finished closing. */
const SHUTDOWN_TIMEOUT_MS = 30_000;
const TRAY_REFRESH_MS = 5_000;

let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let server: FastifyInstance | null = null;
let serverUrl: string | null = null;
let bridge: IpcBridge | null = null;
let quitting = false;
let shuttingDown: Promise<void> | null = null;
let shutDown = false;
const timers: NodeJS.Timeout[] = [];

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function showWindow(): void {
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/** A hearth:// link from any source: checked here, then handed to the window (issue 9 imports it). */
function receiveLink(raw: string): void {
  try {
    const link = parseShareLink(raw);
    bridge?.shareLink(link);
    showWindow();
  } catch (err) {
    log(`hearth: ignored a link: ${(err as Error).message}`);
    if (app.isReady()) {
      void dialog.showMessageBox({
        type: "warning",
        message: "Hearth cannot open this link",
        detail: (err as Error).message,
      });
    }
  }
}

/** The window may show only its own page; http(s) links open in the system browser, anything else nowhere. */
function lockDown(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) void shell.openExternal(external);
    return { action: "deny" };
  });
  const guard = (e: { preventDefault(): void }, url: string): void => {
    if (isAppUrl(url, INDEX_FILE)) return;
    e.preventDefault();
    const external = externalUrl(url);
    if (external) void shell.openExternal(external);
  };
  contents.on("will-navigate", (e) => guard(e, e.url));
  contents.on("will-redirect", (e) => guard(e, e.url));
  contents.on("will-attach-webview", (e) => e.preventDefault());
}

/** IPC is answered only for the app's own page in its own window. */
function trusted(event: IpcEventLike): boolean {
  const url = event.senderFrame?.url;
  return (
    win !== null && event.sender.id === win.webContents.id && url !== undefined && isAppUrl(url, INDEX_FILE)
  );
}

function createWindow(icon: NativeImage): BrowserWindow {
  const w = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 480,
    title: "Hearth",
    icon,
    show: false,
    backgroundColor: "#1f1a17",
    webPreferences: {
      preload: PRELOAD_FILE,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  w.once("ready-to-show", () => w.show());
  // Closing the window keeps Hearth running in the tray (the local port serves the CLI); Quit ends it.
  w.on("close", (e) => {
    if (!quitting && tray) {
      e.preventDefault();
      w.hide();
    }
  });
  w.on("closed", () => {
    win = null;
  });
  // A reload or navigation drops the page's listeners: its streams end here too.
  const id = w.webContents.id;
  w.webContents.on("did-start-navigation", (d) => {
    if (d.isMainFrame && !d.isSameDocument) bridge?.release(id);
  });
  if (existsSync(INDEX_FILE)) {
    void w.loadFile(INDEX_FILE);
  } else {
    const page = `<!doctype html><meta charset="utf-8"><title>Hearth</title><body style="font:15px sans-serif;color:#eee;background:#1f1a17;padding:2em">The window's page is not built: ${INDEX_FILE} is missing.</body>`;
    void w.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(page)}`);
  }
  return w;
}

function createTray(icon: NativeImage): Tray {
  const t = new Tray(icon);
  t.setToolTip("Hearth: starting…");
  t.setContextMenu(
    Menu.buildFromTemplate([
      { label: "Hearth is starting…", enabled: false },
      { type: "separator" },
      { label: "Show Hearth", click: showWindow },
      { label: "Quit Hearth", click: () => app.quit() },
    ]),
  );
  t.on("click", showWindow);
  return t;
}

/** The tray's menu and tooltip from the pool's VMs; rebuilt only when the words change. */
function trackPool(host: Host): void {
  let shown = "";
  let pending: NodeJS.Timeout | null = null;
  const refresh = (): void => {
    pending = null;
    if (!tray || tray.isDestroyed()) return;
    const loads = poolLoad(host.pool.list(), host.store.documents.state.profiles);
    const tooltip = poolTooltip(loads);
    const key = `${tooltip}\n${serverUrl ?? ""}`;
    if (key === shown) return;
    shown = key;
    tray.setToolTip(tooltip);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: serverUrl ? `Hearth on ${serverUrl}` : "Hearth", enabled: false },
        ...(loads.length
          ? loads.map((l) => ({ label: loadLine(l), enabled: false }))
          : [{ label: "No profiles yet", enabled: false }]),
        { type: "separator" },
        { label: "Show Hearth", click: showWindow },
        { label: "Quit Hearth", click: () => app.quit() },
      ]),
    );
  };
  // Pool events come in bursts (a VM boots: booting, ready): one refresh per burst.
  host.pool.on("vm-state", () => {
    pending ??= setTimeout(refresh, 250);
  });
  timers.push(setInterval(refresh, TRAY_REFRESH_MS));
  refresh();
}

const startup = new StartupProgress();

async function startHost(): Promise<Host> {
  startup.begin("host", "starting the VM pool");
  let host: Host;
  try {
    host = await Host.start({ dataDir: dataDir(), imageDir: IMAGE_DIR });
  } catch (err) {
    startup.fail(err);
    throw err;
  }
  host.startup = startup;
  startup.ready();
  if (host.removedAtStart.length)
    log(`hearth: removed VMs left by an earlier run: ${host.removedAtStart.join(", ")}`);
  const address = process.env.HEARTH_HOST ?? "127.0.0.1";
  try {
    server = await listenWithFallback(
      requestedPort(process.env),
      (port) => startServer({ host: address, port, app: host }),
      () => log(`hearth: port ${requestedPort(process.env)} is taken; using a free one`),
    );
    const bound = server.server.address();
    const port = typeof bound === "object" && bound ? bound.port : requestedPort(process.env);
    serverUrl = `http://${address.includes(":") ? `[${address}]` : address}:${port}/`;
    log(`hearth: serving on ${serverUrl} (${host.accel}) for the CLI and AWS tools`);
  } catch (err) {
    // The window works without the port; only other programs lose their way in.
    log(`hearth: the local port did not open: ${(err as Error).message}`);
  }
  return host;
}

/** Stops the port, then the host (drain, destroy the VMs, close the store), bounded by a timeout. */
async function shutdown(hostReady: Promise<Host>): Promise<void> {
  log("hearth: shutting down: draining invocations, destroying VMs");
  for (const t of timers) clearInterval(t);
  tray?.destroy();
  tray = null;
  win?.hide();
  const work = (async () => {
    await server?.close();
    const host = await hostReady.catch(() => null);
    await host?.close(DRAIN_MS);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">(
    (r) => (timer = setTimeout(() => r("timeout"), SHUTDOWN_TIMEOUT_MS)),
  );
  try {
    const outcome = await Promise.race([work.then(() => "done" as const), timeout]);
    if (outcome === "timeout")
      log(`hearth: the host did not close within ${SHUTDOWN_TIMEOUT_MS / 1000} s; quitting anyway`);
  } catch (err) {
    log(`hearth: shutting down failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    bridge?.dispose();
  }
}

function main(): void {
  const launchLink = shareLinkArgument(process.argv);
  if (!app.requestSingleInstanceLock()) {
    // The first instance gets this launch's arguments (and its link) through "second-instance".
    app.quit();
    return;
  }
  app.on("second-instance", (_e, argv) => {
    showWindow();
    const link = shareLinkArgument(argv);
    if (link) receiveLink(link);
  });
  // macOS hands links over by event, possibly before the app is ready.
  app.on("open-url", (e, url) => {
    e.preventDefault();
    receiveLink(url);
  });
  if (!process.env.HEARTH_SKIP_PROTOCOL_REGISTRATION) {
    // Unpackaged, the handler has to name the project for Electron to open it.
    const registered = process.defaultApp
      ? app.setAsDefaultProtocolClient(SHARE_LINK_PROTOCOL, process.execPath, [APP_ROOT])
      : app.setAsDefaultProtocolClient(SHARE_LINK_PROTOCOL);
    if (!registered) log(`hearth: could not register ${SHARE_LINK_PROTOCOL}:// links with the desktop`);
  }

  const hostReady = startHost();
  hostReady.then(
    (host) => trackPool(host),
    (err: Error) => {
      log(`hearth: ${err.message}`);
      if (app.isReady()) dialog.showErrorBox("Hearth could not start", err.message);
      app.quit();
    },
  );
  bridge = registerIpcBridge(ipcMain, {
    host: () => hostReady,
    startup: () => startup.status(),
    sharing: (h) => h.sharing.current(),
    trust: trusted,
    log: (message, err) => log(`${message}: ${(err as Error)?.stack ?? String(err)}`),
  });
  if (launchLink) receiveLink(launchLink);

  app.on("web-contents-created", (_e, contents) => lockDown(contents));
  app.on("before-quit", (e) => {
    quitting = true;
    if (shutDown) return;
    e.preventDefault();
    shuttingDown ??= shutdown(hostReady).finally(() => {
      shutDown = true;
      app.quit();
    });
  });
  // Closing the last window (without a tray) quits through before-quit, never straight away.
  app.on("window-all-closed", () => app.quit());
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => app.quit());

  void app.whenReady().then(() => {
    // The window needs no camera, microphone, notifications or anything else a page may ask for.
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, grant) => grant(false));
    // Its page runs under the policy the browser-mode window gets over HTTP (its index.html carries it too).
    session.defaultSession.webRequest.onHeadersReceived((details, callback) =>
      callback(withWindowCsp(details)),
    );
    const icon = nativeImage.createFromBuffer(iconPng(256));
    tray = createTray(nativeImage.createFromBuffer(iconPng(32)));
    win = createWindow(icon);
  });
  app.on("activate", showWindow);
}

main();
