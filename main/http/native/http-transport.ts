// The HTTP side of an operation's transport: 202 for an accepted invocation, server-sent events for a streamed one,
// and how each event stream drops what a client that does not read cannot take.
import type { FastifyReply } from "fastify";
import type { CallTransport } from "../../operations/operation-context.ts";
import type { LogRecord } from "../../store/log-files.ts";
import { openEventStream, type EventStreamOptions } from "./event-stream.ts";

/** What a client that did not keep up reads in place of the lines it missed. */
export function droppedLinesText(n: number): string {
  return `[hearth] dropped ${n} log line${n === 1 ? "" : "s"}: the client did not read fast enough`;
}

/**
 * A streamed invocation drops log lines (never start, result or error) for a client that does not read, and tells
 * it so as one more log line: every reader of the stream (window, CLI, a teammate's Hearth) already shows those.
 */
const invocationStreamOptions: EventStreamOptions = {
  droppable: (event) => event === "log",
  dropMarker: (n) => ({
    event: "log",
    data: { type: "log", t: new Date().toISOString(), stream: "stderr", line: droppedLinesText(n) },
  }),
};

/** The live tail drops records the same way, and announces them as one record of a line. */
export const liveTailOptions: EventStreamOptions = {
  droppable: (event) => event === "record",
  dropMarker: (n) => ({
    event: "record",
    data: {
      t: new Date().toISOString(),
      inv: "",
      caller: "",
      kind: "line",
      stream: "stderr",
      line: droppedLinesText(n),
    } satisfies LogRecord,
  }),
};

/** The HTTP transport of one request: 202 on the reply, server-sent events on the hijacked reply. */
export function httpTransport(reply: FastifyReply): CallTransport {
  return {
    accepted: () => void reply.code(202),
    openEvents: () => openEventStream(reply, invocationStreamOptions),
  };
}
