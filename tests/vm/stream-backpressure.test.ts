// A stream client that never reads, on a real host and VM, while its task prints megabytes of log: the host's memory
// stays bounded, the dropped lines are announced, and the result arrives once the client reads.
import { after, before, test } from "node:test";
import { tally } from "../helpers/reliability-tally.ts";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { readServerSentEvents } from "../../main/remote/sse-reader.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import { closeHost, collectedMemory, profileWith, startHost, until } from "../helpers/reliability-host.ts";

const LINES = 60_000;
const SIZE = 2_000; // 120 MB of log in one invocation

let host: Host | undefined;
let dataDir = "";
let server: FastifyInstance | undefined;
let port = 0;
let ownerKey = "";

before(async () => {
  ({ host, dataDir } = await startHost("backpressure"));
  await profileWith(host, "alice", ["chatty"]);
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  port = (server.server.address() as { port: number }).port;
  ownerKey = readFileSync(join(dataDir, OWNER_KEY_FILE), "utf8").trim();
});

after(async () => {
  await server?.close();
  await closeHost(host, dataDir);
});

/** Sends a streamed invocation and reads nothing of the answer. */
function stalledInvoke(payload: unknown): Socket {
  const body = JSON.stringify(payload);
  const socket = connect(port, "127.0.0.1");
  socket.write(
    `POST /v1/invoke?task=chatty&mode=stream HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
      `authorization: Bearer ${ownerKey}\r\nx-hearth-profile: alice\r\ncontent-type: application/json\r\n` +
      `accept: text/event-stream\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.pause();
  return socket;
}

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

test("a stream client that never reads keeps the host's memory bounded, and then reads the marker and the result", async (t) => {
  tally("hostile", "stream client that never reads", { attacksTried: 1 });
  // A warm-up call, so the VM and sandbox exist before memory is measured.
  const warm = stalledInvoke({ lines: 1, size: 10 });
  warm.resume();
  for await (const e of readServerSentEvents(afterHead(warm))) if (e.event === "result") break;
  warm.destroy();

  const before = await collectedMemory();
  let peak = before.rssMb;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss / 1048576)), 50);
  const started = Date.now();
  const socket = stalledInvoke({ lines: LINES, size: SIZE });
  // The task has printed everything once the host has its result (the log lines come before it on the channel).
  let ended = false;
  const stop = host!.logs.subscribe({ taskId: host!.store.documents.state.tasks[0]!.id }, (e) => {
    if (e.record.kind === "end") ended = true;
  });
  await until("the task's end", 180_000, () => ended);
  stop();
  const elapsed = Date.now() - started;
  clearInterval(sampler);
  const afterRun = await collectedMemory();
  t.diagnostic(
    `${LINES} lines of ${SIZE} B in ${elapsed} ms to a client that did not read: rss ${before.rssMb.toFixed(0)} MiB ` +
      `before, peak ${peak.toFixed(0)} MiB, ${afterRun.rssMb.toFixed(0)} MiB after; heap after collection ` +
      `${before.heapUsedMb.toFixed(0)} → ${afterRun.heapUsedMb.toFixed(0)} MiB`,
  );
  // 120 MB went by. Unbounded, the host held it all while the client stalled (heap 126 MiB after collection, rss
  // peak +220 MiB here; the issue saw 140 MB → 2.97 GB). The peak also counts garbage not yet collected, so the
  // tight bound is on what is still held.
  assert.ok(afterRun.heapUsedMb - before.heapUsedMb < 40, `heap held ${afterRun.heapUsedMb.toFixed(0)} MiB`);
  assert.ok(peak - before.rssMb < 200, `rss grew by ${(peak - before.rssMb).toFixed(0)} MiB`);

  socket.resume();
  const events: { type: string; line?: string }[] = [];
  for await (const e of readServerSentEvents(afterHead(socket))) {
    events.push(JSON.parse(e.data) as { type: string; line?: string });
    if (events.at(-1)!.type === "result" || events.at(-1)!.type === "error") break;
  }
  socket.destroy();
  assert.equal(events[0]!.type, "start");
  assert.equal(events.at(-1)!.type, "result", JSON.stringify(events.at(-1)));
  const markers = events.filter((e) => e.line?.startsWith("[hearth] dropped"));
  assert.ok(markers.length >= 1, "a dropped marker");
  const dropped = markers.reduce((n, m) => n + Number(/dropped (\d+)/.exec(m.line!)![1]), 0);
  const shown = events.filter((e) => e.type === "log").length - markers.length;
  t.diagnostic(`${shown} lines delivered, ${dropped} dropped and announced in ${markers.length} marker(s)`);
  assert.ok(dropped > 0);
  tally("hostile", "stream client that never reads", { attacksHeld: 1 });
});
