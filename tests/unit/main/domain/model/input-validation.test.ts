// parseInput: one INVALID_INPUT per bad input, naming the field the way a user wrote it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { parseInput } from "../../../../../main/domain/model/input-validation.ts";
import { expectError } from "../domain-world.ts";

const schema = z.strictObject({
  memoryMb: z.number().min(128, "must be between 128 and 10240"),
  nested: z.strictObject({ name: z.string() }).optional(),
});

test("valid input comes back parsed", () => {
  assert.deepEqual(parseInput(schema, { memoryMb: 256 }), { memoryMb: 256 });
});

test("a range problem names the field and the allowed range", () => {
  const e = expectError(() => parseInput(schema, { memoryMb: 5 }), "INVALID_INPUT", "memoryMb");
  assert.equal(e.message, "INVALID_INPUT: memoryMb must be between 128 and 10240");
});

test("a wrong type, a missing field and an unknown field each read plainly", () => {
  assert.equal(
    expectError(() => parseInput(schema, { memoryMb: "big" }), "INVALID_INPUT", "memoryMb").message,
    "INVALID_INPUT: memoryMb must be a number",
  );
  assert.equal(
    expectError(() => parseInput(schema, {}), "INVALID_INPUT", "memoryMb").message,
    "INVALID_INPUT: memoryMb is required",
  );
  assert.equal(
    expectError(() => parseInput(schema, { memoryMb: 200, memorySize: 1 }), "INVALID_INPUT", "memorySize")
      .message,
    'INVALID_INPUT: unknown field "memorySize"',
  );
  assert.equal(
    expectError(
      () => parseInput(schema, { memoryMb: 200, nested: { name: 1 } }),
      "INVALID_INPUT",
      "nested.name",
    ).message,
    "INVALID_INPUT: nested.name must be a string",
  );
  assert.equal(
    expectError(() => parseInput(schema, "x"), "INVALID_INPUT").message,
    "INVALID_INPUT: input must be an object",
  );
});
