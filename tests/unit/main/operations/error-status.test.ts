// The native half of the error table: every code has an explicit status, and unknown errors leak nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES, HearthError } from "../../../../main/domain/model/errors.ts";
import {
  errorBody,
  errorCode,
  isKnownErrorCode,
  KNOWN_ERROR_CODES,
  nativeErrorResponse,
  nativeStatus,
} from "../../../../main/operations/error-status.ts";
import { SchedulerError } from "../../../../main/invoke/sandbox-scheduler.ts";
import { GuestError } from "../../../../main/vm/guest-session.ts";
import { PoolError } from "../../../../main/vm/pool.ts";

test("every code in ERROR_CODES has its own row, not a silent default", () => {
  for (const code of ERROR_CODES) {
    assert.ok(isKnownErrorCode(code), `${code} has no row in the error table`);
    assert.ok(KNOWN_ERROR_CODES.includes(code));
  }
});

/** The codes raised in the source as `new SomethingError("CODE"` (across line breaks), found by reading it. */
function raisedCodes(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(".ts")) continue;
      const text = readFileSync(join(dir, name), "utf8");
      for (const m of text.matchAll(/new (\w*Error)\(\s*"([A-Z][A-Z0-9_]+)"/g))
        found.set(m[2]!, join(dir, name));
      for (const m of text.matchAll(/t: "error", id, code: "([A-Z][A-Z0-9_]+)"/g)) found.set(m[1]!, name);
    }
  }
  return found;
}

test("every code the invoke, vm, domain and store layers and the guest agent raise has its own row", () => {
  const raised = raisedCodes(["main/domain", "main/store", "main/invoke", "main/vm", "vm-images/agent"]);
  assert.ok(raised.size > 40, `found only ${raised.size} codes: the scan is broken`);
  for (const [code, where] of raised) assert.ok(isKnownErrorCode(code), `${code} (${where}) has no row`);
});

test("the native statuses of the common cases", () => {
  assert.equal(nativeStatus("INVALID_INPUT"), 400);
  assert.equal(nativeStatus("CREDENTIALS_INVALID"), 401);
  assert.equal(nativeStatus("TOKEN_INVALID"), 401);
  assert.equal(nativeStatus("FORBIDDEN"), 403);
  for (const code of KNOWN_ERROR_CODES.filter((c) => c.endsWith("_EXISTS")))
    assert.equal(nativeStatus(code), 409);
  for (const code of ERROR_CODES.filter((c) => c.endsWith("_NOT_FOUND") && c !== "BLOB_NOT_FOUND"))
    assert.equal(nativeStatus(code), 404, code);
  assert.equal(nativeStatus("IMPORT_TOO_LARGE"), 413);
  assert.equal(nativeStatus("TOO_MANY_REQUESTS"), 429);
  assert.equal(nativeStatus("STORE_LOCKED"), 503);
  assert.equal(nativeStatus("NO_VM_AVAILABLE"), 503);
  assert.equal(nativeStatus("SANDBOX_TIMEOUT"), 504);
});

test("errorBody carries a HearthError's code, message and field", () => {
  const err = new HearthError("TASK_NOT_FOUND", 'no task "resize" in your profile', "task");
  assert.deepEqual(errorBody(err), {
    error: {
      code: "TASK_NOT_FOUND",
      message: 'TASK_NOT_FOUND: no task "resize" in your profile',
      field: "task",
    },
  });
  assert.deepEqual(errorBody(new HearthError("STORE_LOCKED", "locked")), {
    error: { code: "STORE_LOCKED", message: "STORE_LOCKED: locked" },
  });
  assert.equal("field" in errorBody(new HearthError("STORE_LOCKED", "locked")).error, false);
});

test("errorBody passes the code and message of the scheduler's, guest's and pool's errors", () => {
  assert.deepEqual(errorBody(new SchedulerError("TOO_MANY_REQUESTS", "64 requests are waiting")), {
    error: { code: "TOO_MANY_REQUESTS", message: "TOO_MANY_REQUESTS: 64 requests are waiting" },
  });
  assert.equal(errorCode(new GuestError("VM_LOST", "gone")), "VM_LOST");
  assert.equal(errorCode(new PoolError("NO_VM_AVAILABLE", "none")), "NO_VM_AVAILABLE");
  assert.equal(nativeErrorResponse(new PoolError("NO_VM_AVAILABLE", "none")).status, 503);
});

test("errors without a known code become a generic internal error: no message, path or stack leaks", () => {
  const leaky = Object.assign(
    new Error("ENOENT: no such file or directory, open '/home/me/.hearth/secret'"),
    {
      code: "ENOENT",
    },
  );
  for (const err of [leaky, new TypeError("x is undefined"), "a string", null, { code: "TASK_NOT_FOUND" }]) {
    const { status, body } = nativeErrorResponse(err);
    assert.equal(status, 500);
    assert.equal(body.error.code, "INTERNAL_ERROR");
    const text = JSON.stringify(body);
    assert.doesNotMatch(text, /secret|ENOENT|undefined|at \w|\.ts/);
  }
});
