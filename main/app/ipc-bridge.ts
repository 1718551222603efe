// The main-process end of the window's IPC: every message checked (sender, envelope, operation, input) and then run
// through main/operations as the HTTP native API runs it, acting as the machine's owner; streams on per-call channels.
import type { StartupStatus } from "../startup-progress.ts";
import { z } from "zod";
import { operations, type OperationName, type ShareLink } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import { parseInput } from "../domain/model/input-validation.ts";
import type { Host } from "../host.ts";
import { ownerCaller, type ProfileSource } from "../operations/caller.ts";
import { errorBody } from "../operations/error-status.ts";
import { liveLogTail } from "../operations/logs.ts";
import type {
  CallTransport,
  EventSink,
  OperationHost,
  SharedEndpoint,
} from "../operations/operation-context.ts";
import { poolFeed } from "../operations/pool.ts";
import { runOperation } from "../operations/run-operation.ts";
import {
  CALL_CHANNEL,
  INVOKE_STREAM_CHANNEL,
  LIVE_LOGS_CLOSE_CHANNEL,
  LIVE_LOGS_OPEN_CHANNEL,
  POOL_EVENTS_CLOSE_CHANNEL,
  POOL_EVENTS_OPEN_CHANNEL,
  SHARE_LINK_CHANNEL,
  SHARE_LINKS_TAKE_CHANNEL,
  STREAM_ID_PATTERN,
  streamChannel,
  type IpcAnswer,
  type IpcError,
} from "./ipc-channels.ts";

/** The part of Electron's WebContents the bridge uses. */
export interface SenderLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: "destroyed", listener: () => void): unknown;
}

/** The part of Electron's IpcMainEvent / IpcMainInvokeEvent the bridge uses. */
export interface IpcEventLike {
  sender: SenderLike;
  senderFrame?: { url: string } | null;
}

/** The part of Electron's ipcMain the bridge uses; tests pass a stand-in. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

export interface IpcBridgeOptions {
  /** The host, once started; a rejection answers every call with HOST_NOT_STARTED and its reason. */
  host: () => Promise<Host>;
  /** Whether a message comes from the app's own window (Electron main checks the frame's URL). */
  trust?: (event: IpcEventLike) => boolean;
  /** Where errors without a known code are reported: the window only sees INTERNAL_ERROR. */
  log?: (message: string, err: unknown) => void;
  /** How the host's start goes: answers the window's `startup` call before the host is up. */
  startup?: () => StartupStatus;
  /** The host's shared listener while it shares, for the share operations' links; without it, sharing is off. */
  sharing?: (host: Host) => SharedEndpoint | null;
}

export interface IpcBridge {
  /** Hands a share link to the window, or keeps it until the window asks (it may still be loading). */
  shareLink(link: ShareLink): void;
  /** Ends the streams of a window that navigated away or reloaded (its listeners are gone). */
  release(senderId: number): void;
  /** Open live tails, for tests and the tray's diagnostics. */
  readonly openStreams: number;
  dispose(): void;
}

/** At most this many live tails per window: a leak in the window must not pile up subscriptions here. */
const MAX_TAILS_PER_SENDER = 64;
const MAX_PENDING_LINKS = 16;

const profileField = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(256, "is too long");
const callEnvelope = z.strictObject({
  profile: profileField.optional(),
  name: z.string({ error: "must be an operation name" }).max(64, "is too long"),
  input: z.unknown().optional(),
});
const streamId = z
  .string({ error: "is required" })
  .regex(STREAM_ID_PATTERN, "must be 1 to 64 letters, digits, - or _");
const streamEnvelope = z.strictObject({
  profile: profileField.optional(),
  streamId,
  input: z.record(z.string(), z.unknown(), { error: "must be an object" }),
});
const closeMessage = z.strictObject({ streamId });

class HostUnavailable extends Error {}

const ENVELOPE_PROFILE: ProfileSource = { field: "profile", where: "the call's profile argument" };

function operationName(name: string): OperationName {
  if (!Object.hasOwn(operations, name)) {
    throw new HearthError("INVALID_INPUT", `unknown operation "${name.slice(0, 64)}"`, "name");
  }
  return name as OperationName;
}

/** A window's call answers with a value, never with a stream: streamed invocations go through invokeStream. */
const plainCall: CallTransport = {
  accepted: () => {},
  openEvents: () => {
    throw new HearthError("INVALID_INPUT", 'mode "stream" is for invokeStream, not call', "mode");
  },
};

export function registerIpcBridge(ipc: IpcMainLike, o: IpcBridgeOptions): IpcBridge {
  const hostsOf = new WeakMap<Host, OperationHost>();
  /** Live tails and pool feeds by sender id, then stream id. */
  const tails = new Map<number, Map<string, () => void>>();
  const watched = new Set<number>();
  const pendingLinks: ShareLink[] = [];
  let linkListener: SenderLike | null = null;

  async function started(): Promise<[Host, OperationHost]> {
    let host: Host;
    try {
      host = await o.host();
    } catch (err) {
      throw new HostUnavailable(`HOST_NOT_STARTED: Hearth could not start: ${(err as Error).message}`);
    }
    let on = hostsOf.get(host);
    if (!on) {
      const sharing = o.sharing;
      on = { host, sharing: sharing ? () => sharing(host) : () => null };
      hostsOf.set(host, on);
    }
    return [host, on];
  }

  function checkSender(event: IpcEventLike): void {
    if (o.trust && !o.trust(event)) {
      throw new HearthError("FORBIDDEN", "this window may not call Hearth", "sender");
    }
  }

  function toIpcError(err: unknown): IpcError {
    if (err instanceof HostUnavailable) return { code: "HOST_NOT_STARTED", message: err.message };
    const { error } = errorBody(err);
    if (error.code === "INTERNAL_ERROR") o.log?.("hearth: an IPC call failed", err);
    return error;
  }

  async function answer<T>(run: () => Promise<T>): Promise<IpcAnswer<T>> {
    try {
      return { ok: true, value: await run() };
    } catch (err) {
      return { ok: false, error: toIpcError(err) };
    }
  }

  function stopTails(senderId: number): void {
    const mine = tails.get(senderId);
    if (!mine) return;
    tails.delete(senderId);
    for (const unsubscribe of mine.values()) unsubscribe();
  }

  function forget(senderId: number): void {
    stopTails(senderId);
    if (linkListener?.id === senderId) linkListener = null;
  }

  /** Ends a window's streams and link subscription when it goes away; attached once per window. */
  function watch(sender: SenderLike): void {
    if (watched.has(sender.id)) return;
    watched.add(sender.id);
    sender.once("destroyed", () => {
      watched.delete(sender.id);
      forget(sender.id);
    });
  }

  function sink(sender: SenderLike, id: string): EventSink {
    const channel = streamChannel(id);
    let open = true;
    return {
      send: (_event, data) => {
        if (open && !sender.isDestroyed()) sender.send(channel, data);
      },
      comment: () => {},
      end: () => {
        open = false;
      },
    };
  }

  const onCall = (event: IpcEventLike, envelope: unknown) =>
    answer(async () => {
      checkSender(event);
      const e = parseInput(callEnvelope, envelope);
      const name = operationName(e.name);
      // The window asks how the start goes while the host is still starting: that answer must not wait for it.
      if (name === "startup" && o.startup) return o.startup();
      const [host, on] = await started();
      const caller = ownerCaller(host.store.documents.state, e.profile, "profile");
      return runOperation(on, name, caller, e.input ?? {}, plainCall, ENVELOPE_PROFILE);
    });

  const onInvokeStream = (event: IpcEventLike, envelope: unknown) =>
    answer(async () => {
      checkSender(event);
      const e = parseInput(streamEnvelope, envelope);
      const [host, on] = await started();
      const caller = ownerCaller(host.store.documents.state, e.profile, "profile");
      const transport: CallTransport = {
        accepted: () => {},
        openEvents: () => sink(event.sender, e.streamId),
      };
      const input = { ...e.input, mode: "stream" };
      await runOperation(on, "invoke", caller, input, transport, ENVELOPE_PROFILE);
      return null;
    });

  /** Opens a long-lived stream of a window (a live tail, a pool feed), kept until closed or the window goes. */
  function keepStream(sender: SenderLike, id: string, open: (out: EventSink) => () => void): void {
    if (sender.isDestroyed()) return;
    const mine = tails.get(sender.id) ?? new Map<string, () => void>();
    if (mine.has(id)) {
      throw new HearthError("INVALID_INPUT", `stream ${id} is already open`, "streamId");
    }
    if (mine.size >= MAX_TAILS_PER_SENDER) {
      throw Object.assign(
        new Error(`TOO_MANY_REQUESTS: a window may keep ${MAX_TAILS_PER_SENDER} live tails open; close some`),
        { code: "TOO_MANY_REQUESTS" },
      );
    }
    mine.set(id, open(sink(sender, id)));
    tails.set(sender.id, mine);
    watch(sender);
  }

  const onLiveLogsOpen = (event: IpcEventLike, envelope: unknown) =>
    answer(async () => {
      checkSender(event);
      const e = parseInput(streamEnvelope, envelope);
      const [host] = await started();
      if (e.profile === undefined) {
        throw new HearthError(
          "INVALID_INPUT",
          `name the profile to act as in ${ENVELOPE_PROFILE.where}`,
          "profile",
        );
      }
      const caller = ownerCaller(host.store.documents.state, e.profile, "profile");
      const subscribe = liveLogTail(host, caller, e.input);
      keepStream(event.sender, e.streamId, (out) => subscribe((r) => out.send("record", r)));
      return null;
    });

  const onPoolEventsOpen = (event: IpcEventLike, envelope: unknown) =>
    answer(async () => {
      checkSender(event);
      const e = parseInput(streamEnvelope, envelope);
      const [host] = await started();
      // Without a profile the window follows every profile's VMs, as the owner-wide `pool` call answers.
      const caller = ownerCaller(host.store.documents.state, e.profile, "profile");
      const subscribe = poolFeed(host, caller);
      keepStream(event.sender, e.streamId, (out) => subscribe((vm) => out.send("vm", vm)));
      return null;
    });

  const onLiveLogsClose = (event: IpcEventLike, message: unknown): void => {
    try {
      checkSender(event);
      const { streamId: id } = parseInput(closeMessage, message);
      const mine = tails.get(event.sender.id);
      mine?.get(id)?.();
      mine?.delete(id);
    } catch (err) {
      o.log?.("hearth: refused an IPC message", err);
    }
  };

  const onShareLinksTake = (event: IpcEventLike) =>
    answer(async () => {
      checkSender(event);
      linkListener = event.sender;
      watch(event.sender);
      return pendingLinks.splice(0);
    });

  ipc.handle(CALL_CHANNEL, (event, envelope) => onCall(event, envelope));
  ipc.handle(INVOKE_STREAM_CHANNEL, (event, envelope) => onInvokeStream(event, envelope));
  ipc.handle(LIVE_LOGS_OPEN_CHANNEL, (event, envelope) => onLiveLogsOpen(event, envelope));
  ipc.handle(SHARE_LINKS_TAKE_CHANNEL, (event) => onShareLinksTake(event));
  ipc.handle(POOL_EVENTS_OPEN_CHANNEL, (event, envelope) => onPoolEventsOpen(event, envelope));
  ipc.on(LIVE_LOGS_CLOSE_CHANNEL, onLiveLogsClose);
  // Both kinds of stream live in one table by stream id: one close handler serves both channels.
  ipc.on(POOL_EVENTS_CLOSE_CHANNEL, onLiveLogsClose);

  return {
    shareLink(link) {
      if (linkListener && !linkListener.isDestroyed()) {
        linkListener.send(SHARE_LINK_CHANNEL, link);
        return;
      }
      pendingLinks.push(link);
      if (pendingLinks.length > MAX_PENDING_LINKS) pendingLinks.shift();
    },
    release: forget,
    get openStreams() {
      let n = 0;
      for (const m of tails.values()) n += m.size;
      return n;
    },
    dispose() {
      for (const c of [
        CALL_CHANNEL,
        INVOKE_STREAM_CHANNEL,
        LIVE_LOGS_OPEN_CHANNEL,
        POOL_EVENTS_OPEN_CHANNEL,
        SHARE_LINKS_TAKE_CHANNEL,
      ]) {
        ipc.removeHandler(c);
      }
      ipc.removeListener(LIVE_LOGS_CLOSE_CHANNEL, onLiveLogsClose);
      ipc.removeListener(POOL_EVENTS_CLOSE_CHANNEL, onLiveLogsClose);
      for (const id of [...tails.keys()]) stopTails(id);
      linkListener = null;
    },
  };
}
