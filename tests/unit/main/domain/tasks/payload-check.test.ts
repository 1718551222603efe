// Payloads: UTF-8 or refused (never silently replaced), JSON, and no deeper than the runtimes can read.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkPayloadJson,
  decodePayload,
  jsonDepth,
  MAX_PAYLOAD_DEPTH,
} from "../../../../../main/domain/tasks/payload-check.ts";
import { expectError } from "../domain-world.ts";

test("UTF-8 text decodes as sent; any other bytes are refused with the field named", () => {
  assert.equal(
    decodePayload(Buffer.from('{"city":"Zürich","e":"🔥"}'), "payload"),
    '{"city":"Zürich","e":"🔥"}',
  );
  expectError(
    () => decodePayload(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), "payload"),
    "INVALID_INPUT",
    "payload",
  );
  // A character cut in half at the end is not UTF-8 either.
  expectError(() => decodePayload(Buffer.from("é").subarray(0, 1), "Payload"), "INVALID_INPUT", "Payload");
});

test("depth counts objects and arrays, not brackets inside strings or after escaped quotes", () => {
  assert.equal(jsonDepth("{}"), 1);
  assert.equal(jsonDepth('{"a":[1,{"b":[]}]}'), 4);
  assert.equal(jsonDepth('{"a":"[[[[{{{{"}'), 1);
  assert.equal(jsonDepth('["\\"[[[", [1]]'), 2);
  assert.equal(jsonDepth("42"), 0);
});

test("a payload must be JSON no deeper than the limit; empty passes", () => {
  checkPayloadJson("", "payload");
  checkPayloadJson("  ", "payload");
  checkPayloadJson("[".repeat(MAX_PAYLOAD_DEPTH) + "]".repeat(MAX_PAYLOAD_DEPTH), "payload");
  expectError(() => checkPayloadJson("{nope", "payload"), "INVALID_INPUT", "payload");
  const deep = "[".repeat(MAX_PAYLOAD_DEPTH + 1) + "]".repeat(MAX_PAYLOAD_DEPTH + 1);
  expectError(() => checkPayloadJson(deep, "Payload"), "INVALID_INPUT", "Payload");
  const hundredThousand = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
  assert.throws(() => checkPayloadJson(hundredThousand, "payload"), /nests 100000 levels deep; at most 512/);
});
