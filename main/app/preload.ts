// The window's only door to Hearth: `window.hearth` (HearthDesktopApi of main/contract.ts) over IPC, nothing else.
// Runs sandboxed, so it is bundled to CommonJS by main/app/build.ts and may import only electron and type-only code.
/// <reference lib="dom" />
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import type {
  HearthCallError,
  HearthDesktopApi,
  InvocationEvent,
  LogRecord,
  ShareLink,
  VmView,
} from "../contract.ts";
import {
  CALL_CHANNEL,
  INVOKE_STREAM_CHANNEL,
  LIVE_LOGS_CLOSE_CHANNEL,
  LIVE_LOGS_OPEN_CHANNEL,
  POOL_EVENTS_CLOSE_CHANNEL,
  POOL_EVENTS_OPEN_CHANNEL,
  SHARE_LINK_CHANNEL,
  SHARE_LINKS_TAKE_CHANNEL,
  streamChannel,
  type CallEnvelope,
  type IpcAnswer,
  type IpcError,
  type StreamEnvelope,
} from "./ipc-channels.ts";

// Stream ids only need to be unique within this window; the prefix keeps them apart across reloads.
const prefix = Math.random().toString(36).slice(2, 10);
let counter = 0;
const nextStreamId = (): string => `${prefix}-${++counter}`;

/** A plain object, not an Error: the context bridge would keep only an Error's message. */
function callError(e: IpcError): HearthCallError {
  return {
    name: "HearthApiError",
    code: e.code,
    message: e.message,
    detail: e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message,
    ...(e.field !== undefined ? { field: e.field } : {}),
  };
}

async function unwrap<T>(answer: Promise<IpcAnswer<T>>): Promise<T> {
  const a = await answer;
  if (!a.ok) throw callError(a.error);
  return a.value;
}

const withProfile = (profile: string | undefined) => (profile === undefined ? {} : { profile });

const hearth: HearthDesktopApi = {
  call(name, input, profile) {
    const envelope: CallEnvelope = { ...withProfile(profile), name, input };
    return unwrap(ipcRenderer.invoke(CALL_CHANNEL, envelope));
  },

  invokeStream(input, onEvent, profile) {
    const streamId = nextStreamId();
    const channel = streamChannel(streamId);
    return new Promise<void>((resolve, reject) => {
      const listener = (_e: IpcRendererEvent, event: InvocationEvent): void => {
        onEvent(event);
        if (event.type === "result" || event.type === "error") {
          ipcRenderer.removeListener(channel, listener);
          resolve();
        }
      };
      ipcRenderer.on(channel, listener);
      const envelope: StreamEnvelope = { ...withProfile(profile), streamId, input };
      // An error answer means the invocation never started (no such task, bad input): no events came.
      unwrap(ipcRenderer.invoke(INVOKE_STREAM_CHANNEL, envelope)).catch((err: unknown) => {
        ipcRenderer.removeListener(channel, listener);
        reject(err);
      });
    });
  },

  liveLogs(query, onRecord, profile) {
    const streamId = nextStreamId();
    const channel = streamChannel(streamId);
    let stopped = false;
    const listener = (_e: IpcRendererEvent, record: LogRecord): void => {
      if (!stopped) onRecord(record);
    };
    ipcRenderer.on(channel, listener);
    const envelope: StreamEnvelope = { ...withProfile(profile), streamId, input: query };
    const opened = unwrap(ipcRenderer.invoke(LIVE_LOGS_OPEN_CHANNEL, envelope)).then(
      () => true,
      (err: HearthCallError) => {
        // The tail's signature has no error path: say why in the console rather than tail nothing silently.
        console.error(`hearth: live logs of ${query.task} did not open: ${err.message}`);
        ipcRenderer.removeListener(channel, listener);
        return false;
      },
    );
    return () => {
      if (stopped) return;
      stopped = true;
      ipcRenderer.removeListener(channel, listener);
      void opened.then((open) => open && ipcRenderer.send(LIVE_LOGS_CLOSE_CHANNEL, { streamId }));
    };
  },

  poolEvents(onChange, profile, onError) {
    const streamId = nextStreamId();
    const channel = streamChannel(streamId);
    let stopped = false;
    const listener = (_e: IpcRendererEvent, vm: VmView): void => {
      if (!stopped) onChange(vm);
    };
    ipcRenderer.on(channel, listener);
    const envelope: StreamEnvelope = { ...withProfile(profile), streamId, input: {} };
    const opened = unwrap(ipcRenderer.invoke(POOL_EVENTS_OPEN_CHANNEL, envelope)).then(
      () => true,
      (err: HearthCallError) => {
        ipcRenderer.removeListener(channel, listener);
        if (!stopped) onError?.({ code: err.code, message: err.message });
        return false;
      },
    );
    return () => {
      if (stopped) return;
      stopped = true;
      ipcRenderer.removeListener(channel, listener);
      void opened.then((open) => open && ipcRenderer.send(POOL_EVENTS_CLOSE_CHANNEL, { streamId }));
    };
  },

  onShareLink(onLink) {
    let stopped = false;
    const listener = (_e: IpcRendererEvent, link: ShareLink): void => {
      if (!stopped) onLink(link);
    };
    ipcRenderer.on(SHARE_LINK_CHANNEL, listener);
    // Links the app was launched with arrived before this page listened: main kept them.
    void unwrap<ShareLink[]>(ipcRenderer.invoke(SHARE_LINKS_TAKE_CHANNEL)).then(
      (links) => {
        for (const link of links) if (!stopped) onLink(link);
      },
      (err: HearthCallError) => console.error(`hearth: share links unavailable: ${err.message}`),
    );
    return () => {
      stopped = true;
      ipcRenderer.removeListener(SHARE_LINK_CHANNEL, listener);
    };
  },
};

contextBridge.exposeInMainWorld("hearth", hearth);
