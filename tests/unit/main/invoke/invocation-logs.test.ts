// Invocation logs: batched writes that a flush waits for, and a failed write that never takes the host down.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvocationLogs } from "../../../../main/invoke/invocation-logs.ts";
import type { LogFiles, LogRecord } from "../../../../main/store/log-files.ts";

const TASK = "tsk_0123456789abcdef";

function slowFiles(writeMs: number, fail = false) {
  const written: LogRecord[] = [];
  const files = {
    append: async (_taskId: string, records: LogRecord[]) => {
      await new Promise((r) => setTimeout(r, writeMs));
      if (fail) throw new Error("ENOENT: the folder is gone");
      written.push(...records);
    },
  } as unknown as LogFiles;
  return { files, written };
}

test("a flush waits for the write its timer began before it", async () => {
  const { files, written } = slowFiles(300);
  const logs = new InvocationLogs(files);
  const w = logs.begin(TASK, "inv-1", "alice", "$LATEST");
  w.line("stdout", "hello");
  w.end(true, 1);
  // The timer (100 ms) starts a 300 ms write; a flush meanwhile has nothing new yet must wait for it.
  await new Promise((r) => setTimeout(r, 150));
  await logs.flush();
  assert.deepEqual(
    written.map((r) => r.kind),
    ["start", "line", "end"],
  );
});

test("a write that fails on the timer is reported, not an unhandled rejection", async () => {
  const { files } = slowFiles(1, true);
  const logs = new InvocationLogs(files);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const said: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => void said.push(a.join(" "));
  try {
    logs.begin(TASK, "inv-2", "alice", "$LATEST").end(false, 1);
    await new Promise((r) => setTimeout(r, 250));
  } finally {
    console.error = error;
    process.off("unhandledRejection", onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  assert.equal(said.length, 1);
  assert.match(said[0]!, /task logs could not be written: ENOENT/);
  // A later explicit flush still answers, and reports its own failure to its caller.
  logs.begin(TASK, "inv-3", "alice", "$LATEST").end(true, 1);
  await assert.rejects(logs.flush(), /ENOENT/);
});
