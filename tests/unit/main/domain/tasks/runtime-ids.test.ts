// Runtime identifiers: what each names, what it runs on in the guest, and what Lambda's API reports for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  guestNodePath,
  isRuntime,
  lambdaRuntimeId,
  nodeMajorOf,
  pythonMinorOf,
  runtimeFamily,
  runtimeProblem,
} from "../../../../../main/domain/tasks/runtime-ids.ts";

test("each identifier belongs to its family and names its version", () => {
  assert.equal(runtimeFamily("nodejs24.x"), "nodejs");
  assert.equal(runtimeFamily("python3.11"), "python3");
  assert.equal(runtimeFamily("provided.al2"), "provided");
  assert.equal(nodeMajorOf("nodejs22.x"), 22);
  assert.equal(nodeMajorOf("nodejs"), 20);
  assert.equal(pythonMinorOf("python3.12"), 12);
  assert.equal(pythonMinorOf("python3"), null);
});

test("the default Node.js is the agent's own; the others live apart", () => {
  assert.equal(guestNodePath(20), "/usr/bin/node");
  assert.equal(guestNodePath(22), "/opt/node22/bin/node");
  assert.equal(guestNodePath(24), "/opt/node24/bin/node");
});

test("versions the guest has not got are refused by name, with the choices", () => {
  assert.equal(runtimeProblem("nodejs24.x"), null);
  assert.match(runtimeProblem("nodejs18.x")!, /^"nodejs18\.x" is not available: Node\.js 18/);
  assert.match(
    runtimeProblem("nodejs18.x")!,
    /use one of nodejs20\.x, nodejs22\.x, nodejs24\.x, python3, provided\.al2023/,
  );
  assert.match(runtimeProblem("python3.7")!, /not available/);
  assert.match(runtimeProblem("ruby3.3")!, /is not a runtime/);
  for (const bad of ["", "nodejs", "NODEJS20.X", "nodejs20.x ", "nodejs020.x", "python3.11.1"]) {
    assert.equal(isRuntime(bad), bad === "nodejs", JSON.stringify(bad));
  }
  assert.equal(isRuntime(20), false);
});

test("Lambda's API reports a bare family as its default's identifier, and an identifier as itself", () => {
  assert.equal(lambdaRuntimeId("nodejs"), "nodejs20.x");
  assert.equal(lambdaRuntimeId("python3"), "python3.11");
  assert.equal(lambdaRuntimeId("provided"), "provided.al2023");
  assert.equal(lambdaRuntimeId("nodejs24.x"), "nodejs24.x");
});
