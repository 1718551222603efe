// Environment rules: valid names, Lambda's reserved names refused by name, and the 4 KB budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  environmentSchema,
  isReservedEnvKey,
  MAX_ENV_BYTES,
} from "../../../../../main/domain/tasks/environment-rules.ts";
import { parseInput } from "../../../../../main/domain/model/input-validation.ts";
import { expectError } from "../domain-world.ts";

const parse = (env: unknown) => parseInput(environmentSchema(), env);

test("ordinary names and values pass", () => {
  assert.deepEqual(parse({ GREETING: "hello", a_1: "" }), { GREETING: "hello", a_1: "" });
});

test("each reserved name and prefix is refused, naming the key", () => {
  for (const key of [
    "AWS_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_ANYTHING",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "_HANDLER",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "_HEARTH_SLOT",
  ]) {
    assert.ok(isReservedEnvKey(key), key);
    const e = expectError(() => parse({ [key]: "x" }), "INVALID_INPUT", key);
    assert.match(e.message, /reserved/);
  }
  assert.ok(!isReservedEnvKey("AWS_PROFILE_NAME_OK"));
});

test("names must start with a letter and hold only letters, digits and _", () => {
  for (const key of ["1ABC", "WITH-DASH", "HAS SPACE", "é"]) {
    const e = expectError(() => parse({ [key]: "x" }), "INVALID_INPUT", key);
    assert.match(e.message, /not a valid name/);
  }
});

test("values must be strings", () => {
  expectError(() => parse({ PORT: 8080 }), "INVALID_INPUT", "PORT");
});

test("the whole map may hold 4096 bytes of names plus values, not one more", () => {
  const fits = { K: "v".repeat(MAX_ENV_BYTES - 1) };
  assert.deepEqual(parse(fits), fits);
  const e = expectError(() => parse({ K: "v".repeat(MAX_ENV_BYTES) }), "INVALID_INPUT");
  assert.match(e.message, /at most 4096 bytes/);
});
