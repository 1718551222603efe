// HearthError: the code leads the message, the field travels with it, and JSON carries all three.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES, HearthError, isHearthError } from "../../../../../main/domain/model/errors.ts";

test("the message starts with the code and keeps the detail apart", () => {
  const e = new HearthError("ALIAS_NOT_FOUND", 'no alias "prod" on task "resize"', "qualifier");
  assert.equal(e.message, 'ALIAS_NOT_FOUND: no alias "prod" on task "resize"');
  assert.equal(e.detail, 'no alias "prod" on task "resize"');
  assert.equal(e.field, "qualifier");
  assert.ok(e instanceof Error);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), {
    code: "ALIAS_NOT_FOUND",
    message: 'ALIAS_NOT_FOUND: no alias "prod" on task "resize"',
    field: "qualifier",
  });
});

test("isHearthError tells codes apart, and codes are unique", () => {
  const e = new HearthError("TOKEN_INVALID", "x");
  assert.ok(isHearthError(e, "TOKEN_INVALID"));
  assert.ok(!isHearthError(e, "TASK_NOT_FOUND"));
  assert.ok(!isHearthError(new Error("TOKEN_INVALID: x")));
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  assert.equal("field" in new HearthError("FORBIDDEN", "no"), false);
});
