// Lambda's ways of naming a function, as the Invoke route reads them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFunctionName } from "../../../../../main/http/lambda/lambda-invoke.ts";

test("names, name:qualifier, full and partial ARNs", () => {
  assert.deepEqual(parseFunctionName("echo"), { task: "echo" });
  assert.deepEqual(parseFunctionName("echo:prod"), { task: "echo", qualifier: "prod" });
  assert.deepEqual(parseFunctionName("echo", "3"), { task: "echo", qualifier: "3" });
  assert.deepEqual(parseFunctionName("arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST"), {
    task: "echo",
    qualifier: "$LATEST",
    ownerAccountId: "123456789012",
  });
  assert.deepEqual(parseFunctionName("123456789012:function:echo"), {
    task: "echo",
    ownerAccountId: "123456789012",
  });
});

test("bad names and clashing qualifiers are refused with the field named", () => {
  assert.throws(() => parseFunctionName("../etc/passwd"), /INVALID_INPUT: .*not a function name/);
  assert.throws(() => parseFunctionName("a b"), /INVALID_INPUT/);
  assert.throws(() => parseFunctionName("x".repeat(65)), /INVALID_INPUT/);
  assert.throws(
    () => parseFunctionName("echo:prod", "dev"),
    (e: Error & { field?: string }) => e.field === "Qualifier",
  );
});
