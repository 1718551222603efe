// A stand-in for the `electron` module (whose binary cannot run here): records what the app's main process asks of
// Electron, and lets a test play the user's and the system's part. Loaded in place of "electron" by
// electron-mock-hooks.mjs.
import { EventEmitter } from "node:events";

type Listener = (...args: unknown[]) => unknown;

export const recorded = {
  protocolClients: [] as unknown[][],
  errorBoxes: [] as { title: string; content: string }[],
  messageBoxes: [] as Record<string, unknown>[],
  opened: [] as string[],
  handled: new Map<string, Listener>(),
  everHandled: new Map<string, Listener>(),
  removedHandlers: [] as string[],
  trays: [] as Tray[],
  permissionHandler: null as Listener | null,
  headersReceived: null as Listener | null,
};

class FakeEvent {
  defaultPrevented = false;
  constructor(props: Record<string, unknown> = {}) {
    Object.assign(this, props);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  private ready = false;
  quitted = false;
  quitRequests = 0;
  requestSingleInstanceLock(): boolean {
    return true;
  }
  setAsDefaultProtocolClient(...args: unknown[]): boolean {
    recorded.protocolClients.push(args);
    return true;
  }
  isReady(): boolean {
    return this.ready;
  }
  whenReady(): Promise<void> {
    this.ready = true;
    return Promise.resolve();
  }
  /** As Electron: before-quit may be prevented; otherwise the windows close and the app quits. */
  quit(): void {
    this.quitRequests++;
    const e = new FakeEvent();
    this.emit("before-quit", e);
    if (e.defaultPrevented) return;
    for (const w of BrowserWindow.all) w.emit("close", new FakeEvent());
    this.quitted = true;
    this.emit("will-quit", new FakeEvent());
  }
}

export const app = new FakeApp();

let nextId = 1;
export class WebContents extends EventEmitter {
  readonly id = nextId++;
  windowOpenHandler: Listener | null = null;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  setWindowOpenHandler(fn: Listener): void {
    this.windowOpenHandler = fn;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return false;
  }
  /** Plays a navigation the page starts; answers whether the app stopped it. */
  navigate(url: string): boolean {
    const e = new FakeEvent({ url });
    this.emit("will-navigate", e);
    return e.defaultPrevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = [];
  readonly webContents = new WebContents();
  visible = false;
  loaded: { file?: string; url?: string } = {};
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.all.push(this);
    app.emit("web-contents-created", new FakeEvent(), this.webContents);
    queueMicrotask(() => this.emit("ready-to-show"));
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    return Promise.resolve();
  }
}

export const ipcMain = {
  listeners: new Map<string, Listener>(),
  handle(channel: string, fn: Listener): void {
    if (recorded.handled.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    recorded.handled.set(channel, fn);
    recorded.everHandled.set(channel, fn);
  },
  removeHandler(channel: string): void {
    recorded.handled.delete(channel);
    recorded.removedHandlers.push(channel);
  },
  on(channel: string, fn: Listener): void {
    this.listeners.set(channel, fn);
  },
  removeListener(channel: string): void {
    this.listeners.delete(channel);
  },
};

export class Tray extends EventEmitter {
  tooltip = "";
  menu: unknown = null;
  private destroyed = false;
  constructor(readonly icon: unknown) {
    super();
    recorded.trays.push(this);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: unknown): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export const Menu = { buildFromTemplate: (template: unknown[]) => ({ template }) };
export const nativeImage = { createFromBuffer: (b: Buffer) => ({ png: b }) };
export const session = {
  defaultSession: {
    setPermissionRequestHandler(fn: Listener): void {
      recorded.permissionHandler = fn;
    },
    webRequest: {
      onHeadersReceived(fn: Listener): void {
        recorded.headersReceived = fn;
      },
    },
  },
};
export const shell = {
  openExternal(url: string): Promise<void> {
    recorded.opened.push(url);
    return Promise.resolve();
  },
};
export const dialog = {
  showErrorBox(title: string, content: string): void {
    recorded.errorBoxes.push({ title, content });
  },
  showMessageBox(o: Record<string, unknown>): Promise<{ response: number }> {
    recorded.messageBoxes.push(o);
    return Promise.resolve({ response: 0 });
  },
};

/** The page's side: its webContents, the URL it shows, and what reached its ipcRenderer listeners. */
export const page = {
  contents: new WebContents(),
  url: "file:///app/renderer/out/index.html",
};
const rendererListeners = new Map<string, Set<Listener>>();
const ipcEvent = () => ({ sender: page.contents, senderFrame: { url: page.url } });

// Messages to the page arrive later, as over a real pipe, possibly after an invoke's answer.
page.contents.send = function (channel: string, ...args: unknown[]): void {
  this.sent.push({ channel, args });
  setImmediate(() => {
    for (const l of rendererListeners.get(channel) ?? []) l({ sender: null }, ...args);
  });
};

export const ipcRenderer = {
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const h = recorded.handled.get(channel);
    if (!h) throw new Error(`Error invoking remote method '${channel}': No handler registered`);
    return structuredClone(await h(ipcEvent(), ...structuredClone(args)));
  },
  send(channel: string, ...args: unknown[]): void {
    ipcMain.listeners.get(channel)?.(ipcEvent(), ...structuredClone(args));
  },
  on(channel: string, fn: Listener): void {
    const set = rendererListeners.get(channel) ?? new Set();
    set.add(fn);
    rendererListeners.set(channel, set);
  },
  removeListener(channel: string, fn: Listener): void {
    rendererListeners.get(channel)?.delete(fn);
  },
  /** Channels the page still listens on. */
  activeChannels(): string[] {
    return [...rendererListeners].filter(([, set]) => set.size > 0).map(([c]) => c);
  },
};

export const contextBridge = {
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld(key: string, api: unknown): void {
    this.exposed[key] = api;
  },
};
