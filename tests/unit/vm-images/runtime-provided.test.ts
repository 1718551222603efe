// How the custom runtime reads a bootstrap's error document: Lambda's fields, the header's type, and bad input cut.
import { test } from "node:test";
import assert from "node:assert/strict";
import { errorFromDocument } from "../../../vm-images/agent/runtime-provided.ts";

test("an error document's fields become the invocation's error", () => {
  const e = errorFromDocument(
    JSON.stringify({ errorMessage: "boom", errorType: "MyError", stackTrace: ["at a", { line: 2 }] }),
    "Ignored",
  );
  assert.deepEqual(e, { errorType: "MyError", errorMessage: "boom", trace: ["at a", '{"line":2}'] });
});

test("without a type in the document, the header names it, else Unhandled", () => {
  assert.equal(errorFromDocument('{"errorMessage":"x"}', "Runtime.Custom").errorType, "Runtime.Custom");
  assert.equal(errorFromDocument('{"errorMessage":"x"}', undefined).errorType, "Unhandled");
});

test("a body that is not a JSON object is the message; long fields are cut", () => {
  assert.deepEqual(errorFromDocument("plain words", undefined), {
    errorType: "Unhandled",
    errorMessage: "plain words",
    trace: [],
  });
  assert.equal(errorFromDocument("[1,2]", undefined).errorMessage, "");
  const long = errorFromDocument(
    JSON.stringify({ errorType: "T".repeat(1000), errorMessage: "m".repeat(20_000) }),
    undefined,
  );
  assert.equal(long.errorType.length, 256);
  assert.equal(long.errorMessage.length, 16_384);
});
