// A stream client that stops reading while a task logs a lot: what is queued stays bounded, lines are dropped and
// announced, and the result still arrives once the client reads (or the stream is closed after the deadline).
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import Fastify from "fastify";
import { openEventStream, type EventStream } from "../../../../../main/http/native/event-stream.ts";
import { droppedLinesText } from "../../../../../main/http/native/http-transport.ts";
import { readServerSentEvents } from "../../../../../main/remote/sse-reader.ts";

const LINE = "x".repeat(1000);
const LINES = 100_000; // 100 MB of log lines, far more than any socket buffer holds

interface Probe {
  maxQueued: number;
  produced: boolean;
  stream: EventStream | null;
}

async function chattyServer(
  t: { after: (fn: () => Promise<void>) => void },
  stallDeadlineMs: number,
  pauseMs = 0,
) {
  const probe: Probe = { maxQueued: 0, produced: false, stream: null };
  const s = Fastify();
  s.get("/stream", async (_req, reply) => {
    const stream = openEventStream(reply, {
      droppable: (e) => e === "log",
      dropMarker: (n) => ({ event: "log", data: { type: "log", line: droppedLinesText(n) } }),
      stallDeadlineMs,
    });
    probe.stream = stream;
    stream.send("start", { type: "start" });
    // As a task's log arrives: in bursts, between which the event loop turns.
    for (let i = 0; i < LINES && stream.open; i++) {
      stream.send("log", { type: "log", line: `${i} ${LINE}` });
      probe.maxQueued = Math.max(probe.maxQueued, reply.raw.writableLength);
      if (i % 500 === 0) await new Promise((r) => (pauseMs ? setTimeout(r, pauseMs) : setImmediate(r)));
    }
    stream.send("result", { type: "result", ok: true });
    stream.end();
    probe.produced = true;
    return reply;
  });
  await s.listen({ port: 0, host: "127.0.0.1" });
  t.after(() => s.close());
  const port = (s.server.address() as { port: number }).port;
  return { probe, port };
}

/** A client that sends its request and then reads nothing until told to. */
function stalledClient(port: number): Socket {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  socket.write(`GET /stream HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`);
  socket.pause();
  return socket;
}

/** The body's bytes after the response head (chunk sizes stay in: the reader skips them as unknown fields). */
async function* afterHead(socket: Socket): AsyncGenerator<Buffer> {
  let head = true;
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    if (!head) {
      yield chunk;
      continue;
    }
    const at = chunk.indexOf("\r\n\r\n");
    if (at < 0) continue;
    head = false;
    yield chunk.subarray(at + 4);
  }
}

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a client that does not read costs a bounded queue; dropped lines are announced and the result arrives", async (t) => {
  const { probe, port } = await chattyServer(t, 30_000);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const socket = stalledClient(port);
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  await until(() => probe.produced);
  clearInterval(sampler);
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  t.diagnostic(
    `${LINES} lines of ${LINE.length} B written to a stalled client: at most ${mb(probe.maxQueued)} MiB queued, ` +
      `rss ${mb(rssBefore)} → peak ${mb(peakRss)} MiB`,
  );
  // The bound plus one event: the line that crossed it.
  assert.ok(probe.maxQueued <= 1024 * 1024 + 2 * LINE.length, `queued ${probe.maxQueued} bytes`);
  assert.ok(peakRss - rssBefore < 64 * 1024 * 1024, `rss grew by ${mb(peakRss - rssBefore)} MiB`);

  // The client reads now: whatever was queued, one marker for the gap, then the result.
  socket.resume();
  const body = afterHead(socket);
  const events: { type: string; line?: string }[] = [];
  // Chunked encoding's size lines sit between events; they are read as lines without a field and skipped.
  for await (const e of readServerSentEvents(body)) {
    events.push(JSON.parse(e.data) as { type: string; line?: string });
    if (events.at(-1)!.type === "result") break;
  }
  socket.destroy();
  assert.equal(events[0]!.type, "start");
  assert.equal(events.at(-1)!.type, "result");
  const markers = events.filter((e) => e.line?.startsWith("[hearth] dropped"));
  assert.ok(markers.length >= 1, "a dropped marker");
  const shown = events.filter((e) => e.type === "log" && !e.line!.startsWith("[hearth]")).length;
  const dropped = markers.reduce((n, m) => n + Number(/dropped (\d+)/.exec(m.line!)![1]), 0);
  assert.equal(shown + dropped, LINES, "every line is either delivered or counted as dropped");
});

test("a reader stalled longer than the deadline while lines are only dropped is not closed for it", async (t) => {
  const { probe, port } = await chattyServer(t, 1_000, 10);
  const socket = stalledClient(port);
  t.after(() => void socket.destroy());
  const started = Date.now();
  await until(() => probe.produced);
  assert.ok(Date.now() - started > 1_000, "the task outlasted the deadline");
  assert.equal(probe.stream!.open, false, "ended, not closed");
  socket.resume();
  let result = false;
  for await (const e of readServerSentEvents(afterHead(socket))) {
    if (e.event === "result") {
      result = true;
      break;
    }
  }
  assert.ok(result, "the result arrived");
});

test("a client that never reads has its stream closed after the deadline, and the queue is let go", async (t) => {
  const { probe, port } = await chattyServer(t, 300);
  const socket = stalledClient(port);
  t.after(() => void socket.destroy());
  await until(() => probe.stream !== null);
  await probe.stream!.closed;
  assert.equal(probe.stream!.open, false);
  await until(() => probe.produced);
});
