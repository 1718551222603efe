// The native API's long-lived streams as server-sent events: a task's live log tail and the pool's changes.
import type { FastifyInstance } from "fastify";
import { LIVE_LOGS_PATH, POOL_EVENTS_PATH } from "../../contract.ts";
import type { Host } from "../../host.ts";
import { liveLogTail } from "../../operations/logs.ts";
import { poolFeed } from "../../operations/pool.ts";
import { openEventStream } from "./event-stream.ts";
import { liveTailOptions } from "./http-transport.ts";
import type { NativeAuth } from "./native-auth.ts";
import { sendNativeError } from "./native-errors.ts";

/** The live tail: log records of one task as server-sent events, as they arrive. */
export function registerLiveLogs(scope: FastifyInstance, app: Host, auth: NativeAuth): void {
  scope.get(LIVE_LOGS_PATH, async (req, reply) => {
    try {
      const caller = auth.authenticate(app.store.documents.state, req.headers, req.ip);
      const subscribe = liveLogTail(app, caller, req.query);
      const stream = openEventStream(reply, liveTailOptions);
      stream.comment("live");
      const unsubscribe = subscribe((r) => stream.send("record", r));
      // A comment every 15 s keeps proxies and idle timers from closing a quiet tail.
      const keepAlive = setInterval(() => stream.comment("keep-alive"), 15_000);
      await stream.closed;
      clearInterval(keepAlive);
      unsubscribe();
      return reply;
    } catch (err) {
      if (reply.sent || reply.raw.headersSent) return reply;
      return sendNativeError(reply, err);
    }
  });
}

/** The pool's changes as server-sent events, next to the live log tail. */
export function registerPoolEvents(scope: FastifyInstance, app: Host, auth: NativeAuth): void {
  scope.get(POOL_EVENTS_PATH, async (req, reply) => {
    try {
      const caller = auth.authenticate(app.store.documents.state, req.headers, req.ip);
      const subscribe = poolFeed(app, caller);
      const stream = openEventStream(reply);
      stream.comment("pool");
      const unsubscribe = subscribe((vm) => stream.send("vm", vm));
      // A comment every 15 s keeps proxies and idle timers from closing a quiet stream.
      const keepAlive = setInterval(() => stream.comment("keep-alive"), 15_000);
      await stream.closed;
      clearInterval(keepAlive);
      unsubscribe();
      return reply;
    } catch (err) {
      if (reply.sent || reply.raw.headersSent) return reply;
      return sendNativeError(reply, err);
    }
  });
}
