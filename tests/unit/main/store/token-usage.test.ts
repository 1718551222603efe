// Token usage: counted in memory on every call, held to the token's rate limit, saved at most once per interval
// and on close, read back by the next start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isHearthError } from "../../../../main/domain/model/errors.ts";
import {
  clientAddress,
  MAX_TOKEN_ADDRESSES,
  TOKEN_USAGE_FILE,
  TokenUsage,
  type UsageFile,
} from "../../../../main/store/token-usage.ts";
import { tempDir } from "./temp-dir.ts";

/** A file that records every write, and a clock the test moves. */
function fakes(initial: unknown = null) {
  const writes: unknown[] = [];
  const file: UsageFile = {
    read: async () => initial,
    write: async (data) => {
      writes.push(structuredClone(data));
    },
  };
  const clock = { t: Date.parse("2026-01-01T00:00:00Z") };
  return { writes, file, clock, now: () => clock.t };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("each call counts: last use, calls, and the distinct addresses, most recent first and bounded", () => {
  const { file, now, clock } = fakes();
  const usage = new TokenUsage(file, { now, saveIntervalMs: 60_000 });
  assert.equal(usage.usageOf("tok_a"), undefined);
  usage.admit({ id: "tok_a" }, "::ffff:10.0.0.1");
  clock.t += 1000;
  usage.admit({ id: "tok_a" }, "10.0.0.2");
  usage.admit({ id: "tok_a" }, "10.0.0.1");
  const u = usage.usageOf("tok_a")!;
  assert.equal(u.calls, 3);
  assert.equal(u.throttled, 0);
  assert.equal(u.lastUsedAt, new Date(clock.t).toISOString());
  assert.deepEqual(u.addresses, ["10.0.0.1", "10.0.0.2"]);
  for (let i = 0; i < 25; i++) usage.admit({ id: "tok_a" }, `192.0.2.${i}`);
  const many = usage.usageOf("tok_a")!;
  assert.equal(many.addresses.length, MAX_TOKEN_ADDRESSES);
  assert.equal(many.addresses[0], "192.0.2.24");
  assert.equal(many.calls, 28);
  // Another token's counts are its own.
  assert.equal(usage.usageOf("tok_b"), undefined);
  // What is handed out is a copy.
  many.addresses.push("x");
  assert.equal(usage.usageOf("tok_a")!.addresses.length, MAX_TOKEN_ADDRESSES);
  assert.equal(clientAddress("::ffff:127.0.0.2"), "127.0.0.2");
  assert.equal(clientAddress("fd00::1"), "fd00::1");
});

test("a rate-limited token lets its limit through per 60 s, then refuses with the seconds to wait", () => {
  const { file, now, clock } = fakes();
  const usage = new TokenUsage(file, { now, saveIntervalMs: 60_000 });
  const token = { id: "tok_r", rateLimitPerMinute: 3 };
  usage.admit(token, "10.0.0.1");
  clock.t += 10_000;
  usage.admit(token, "10.0.0.1");
  usage.admit(token, "10.0.0.1");
  let refused: unknown;
  try {
    usage.admit(token, "10.0.0.9");
  } catch (err) {
    refused = err;
  }
  assert.ok(isHearthError(refused, "TOKEN_RATE_LIMITED"), String(refused));
  assert.match((refused as Error).message, /3 times per minute; try again in 50 s/);
  assert.equal((refused as { retryAfterS?: number }).retryAfterS, 50);
  assert.equal((refused as { field?: string }).field, "token");
  const u = usage.usageOf("tok_r")!;
  assert.equal(u.calls, 3, "a refused call is not a call");
  assert.equal(u.throttled, 1);
  assert.deepEqual(u.addresses, ["10.0.0.1"], "a refused call's address is not recorded as a use");
  // An unlimited token beside it is not held back.
  for (let i = 0; i < 100; i++) usage.admit({ id: "tok_free", rateLimitPerMinute: null }, "10.0.0.1");
  assert.equal(usage.usageOf("tok_free")!.calls, 100);
  // Once the first call is a minute old, one more fits; the next waits for the second one.
  clock.t += 50_000;
  usage.admit(token, "10.0.0.1");
  assert.throws(
    () => usage.admit(token, "10.0.0.1"),
    (e: unknown) => {
      assert.equal((e as { retryAfterS?: number }).retryAfterS, 10);
      return true;
    },
  );
  clock.t += 10_000;
  usage.admit(token, "10.0.0.1");
  usage.admit(token, "10.0.0.1");
  assert.equal(usage.usageOf("tok_r")!.calls, 6);
});

test("a burst of calls costs one save, the next save waits for the interval, close saves the rest", async () => {
  const { file, writes } = fakes();
  const usage = new TokenUsage(file, { saveIntervalMs: 300 });
  for (let i = 0; i < 500; i++) usage.admit({ id: "tok_a" }, "10.0.0.1");
  assert.equal(writes.length, 0, "nothing is written on the call path itself");
  await sleep(50);
  assert.equal(writes.length, 1, "the first change is saved soon after");
  for (let i = 0; i < 500; i++) usage.admit({ id: "tok_a" }, "10.0.0.2");
  await sleep(100);
  assert.equal(writes.length, 1, "within the interval, changes wait");
  await sleep(400);
  assert.equal(writes.length, 2, "then they are saved together, once");
  const saved = writes[1] as { tokens: Record<string, { calls: number; addresses: string[] }> };
  assert.equal(saved.tokens.tok_a?.calls, 1000);
  assert.deepEqual(saved.tokens.tok_a?.addresses, ["10.0.0.2", "10.0.0.1"]);
  await sleep(400);
  assert.equal(writes.length, 2, "no change, no save");
  usage.admit({ id: "tok_b" }, "10.0.0.3");
  await usage.close();
  assert.equal(writes.length, 3, "close saves what changed at once");
  usage.admit({ id: "tok_b" }, "10.0.0.3");
  await sleep(50);
  assert.equal(writes.length, 3, "nothing is scheduled after close");
});

test("a failed save is retried with the next change instead of losing the counts", async () => {
  const writes: unknown[] = [];
  let fail = true;
  const usage = new TokenUsage(
    {
      read: async () => null,
      write: async (d) => {
        if (fail) throw new Error("disk full");
        writes.push(d);
      },
    },
    { saveIntervalMs: 10 },
  );
  usage.admit({ id: "tok_a" }, "10.0.0.1");
  await sleep(30);
  assert.equal(usage.lastError?.message, "disk full");
  fail = false;
  usage.admit({ id: "tok_a" }, "10.0.0.1");
  await usage.flush();
  assert.equal(usage.lastError, null);
  assert.equal((writes.at(-1) as { tokens: Record<string, { calls: number }> }).tokens.tok_a?.calls, 2);
});

test("the counts survive a restart through the data directory's file; a damaged file starts them over", async (t) => {
  const dir = tempDir(t);
  const first = await TokenUsage.open(dir);
  first.admit({ id: "tok_a" }, "10.0.0.1");
  first.admit({ id: "tok_a" }, "10.0.0.2");
  first.admit({ id: "tok_gone" }, "10.0.0.2");
  await first.close();
  const onDisk = JSON.parse(readFileSync(join(dir, TOKEN_USAGE_FILE), "utf8")) as {
    tokens: Record<string, { calls: number }>;
  };
  assert.equal(onDisk.tokens.tok_a?.calls, 2);
  const second = await TokenUsage.open(dir);
  assert.equal(second.usageOf("tok_a")?.calls, 2);
  assert.deepEqual(second.usageOf("tok_a")?.addresses, ["10.0.0.2", "10.0.0.1"]);
  second.retain((id) => id !== "tok_gone");
  assert.equal(second.usageOf("tok_gone"), undefined);
  await second.close();

  const { file } = fakes({ tokens: "not a map" });
  const fresh = new TokenUsage(file);
  await fresh.load();
  assert.equal(fresh.usageOf("tok_a"), undefined);
});
