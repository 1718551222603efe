// An async invocation's kept outcome: within its size, and saying what it left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { boundedOutcome } from "../../../../main/invoke/async-outcome.ts";

test("a payload within the limit is kept as it is", () => {
  const o = boundedOutcome({ ok: true, payload: '"ok"', servedVersion: "1", durationMs: 3 }, 10);
  assert.deepEqual(o, { ok: true, payload: '"ok"', servedVersion: "1", durationMs: 3 });
});

test("a payload over the limit is left out whole, with its size and the limit", () => {
  const payload = JSON.stringify("é".repeat(10)); // 22 bytes, 12 characters: bytes are what count
  const o = boundedOutcome({ ok: true, payload }, 20);
  assert.equal(o.payload, undefined);
  assert.deepEqual(o.payloadOmitted, { bytes: 22, limitBytes: 20 });
  assert.equal(o.ok, true);
});

test("a huge error message and trace are cut and marked", () => {
  const o = boundedOutcome(
    {
      ok: false,
      error: { errorType: "Error", errorMessage: "x".repeat(100_000), trace: Array(1000).fill("at f") },
    },
    1024,
  );
  assert.ok(o.error!.errorMessage.length <= 4097);
  assert.equal(o.error!.trace.length, 50);
  assert.equal(o.errorTruncated, true);
  assert.equal(
    boundedOutcome({ ok: false, error: { errorType: "E", errorMessage: "m", trace: [] } }, 1).errorTruncated,
    undefined,
  );
});
