// The Lambda half of the error table: every code's Lambda answer agrees with its native status, in AWS's shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { HearthError } from "../../../../main/domain/model/errors.ts";
import { lambdaError, lambdaErrorResponse } from "../../../../main/http/error-status.ts";
import { KNOWN_ERROR_CODES, nativeStatus } from "../../../../main/operations/error-status.ts";

test("the Lambda answers of the common cases", () => {
  assert.deepEqual(lambdaError("TASK_NOT_FOUND"), { status: 404, type: "ResourceNotFoundException" });
  assert.deepEqual(lambdaError("INVALID_INPUT"), { status: 400, type: "InvalidParameterValueException" });
  assert.deepEqual(lambdaError("ALIAS_EXISTS"), { status: 409, type: "ResourceConflictException" });
  assert.deepEqual(lambdaError("TOO_MANY_REQUESTS"), { status: 429, type: "TooManyRequestsException" });
  assert.deepEqual(lambdaError("SANDBOX_WAIT_TIMEOUT"), { status: 429, type: "TooManyRequestsException" });
  assert.deepEqual(lambdaError("CREDENTIALS_INVALID"), { status: 403, type: "UnrecognizedClientException" });
  assert.deepEqual(lambdaError("FORBIDDEN"), { status: 403, type: "AccessDeniedException" });
  assert.deepEqual(lambdaError("IMPORT_TOO_LARGE"), { status: 413, type: "RequestTooLargeException" });
  assert.deepEqual(lambdaError("STORE_CORRUPT"), { status: 500, type: "ServiceException" });
  assert.deepEqual(lambdaError("STARTING"), { status: 503, type: "ServiceUnavailableException" });
});

test("every Lambda answer's status agrees with its kind: 4xx for the caller's faults, 5xx for ours", () => {
  for (const code of KNOWN_ERROR_CODES) {
    const { status, type } = lambdaError(code);
    if (type === "ServiceException") assert.equal(status, 500, code);
    const native = nativeStatus(code);
    assert.equal(native >= 500, status >= 500, `${code}: native ${native} and Lambda ${status} disagree`);
  }
});

test("unknown codes answer 500 in both APIs", () => {
  assert.equal(nativeStatus("NO_SUCH_CODE"), 500);
  assert.equal(nativeStatus("toString"), 500);
  assert.equal(nativeStatus("__proto__"), 500);
  assert.deepEqual(lambdaError("NO_SUCH_CODE"), { status: 500, type: "ServiceException" });
  assert.deepEqual(lambdaError("constructor"), { status: 500, type: "ServiceException" });
});

test("a caller cannot change the table through a returned answer", () => {
  lambdaError("TASK_NOT_FOUND").status = 200;
  assert.equal(lambdaError("TASK_NOT_FOUND").status, 404);
});

test("lambdaErrorResponse answers in AWS's shape: the type in x-amzn-errortype, User or Service in the body", () => {
  const r = lambdaErrorResponse(new HearthError("TASK_NOT_FOUND", 'no task "resize"', "task"));
  assert.equal(r.status, 404);
  assert.equal(r.headers["x-amzn-errortype"], "ResourceNotFoundException");
  assert.deepEqual(r.body, { Type: "User", message: 'TASK_NOT_FOUND: no task "resize"' });
  const internal = lambdaErrorResponse(new Error("boom at /srv/x.ts:12"));
  assert.equal(internal.status, 500);
  assert.equal(internal.headers["x-amzn-errortype"], "ServiceException");
  assert.equal(internal.body.Type, "Service");
  assert.doesNotMatch(internal.body.message, /boom/);
});
