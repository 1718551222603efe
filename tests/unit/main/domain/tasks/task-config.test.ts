// task.json rules: names, runtimes, handlers, memory and timeout ranges, defaults.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseInput } from "../../../../../main/domain/model/input-validation.ts";
import { sameConfig, taskManifestSchema } from "../../../../../main/domain/tasks/task-config.ts";
import { expectError } from "../domain-world.ts";

const base = { name: "resize", runtime: "nodejs", handler: "index.handler" };
const parse = (over: Record<string, unknown>) => parseInput(taskManifestSchema, { ...base, ...over });

test("defaults: 128 MB, 3 s, empty environment and description", () => {
  assert.deepEqual(parse({}), {
    ...base,
    description: "",
    memoryMb: 128,
    timeoutS: 3,
    environment: {},
  });
});

test("memoryMb must be a whole number between 128 and 10240", () => {
  assert.equal(parse({ memoryMb: 10240 }).memoryMb, 10240);
  for (const bad of [127, 10241, 0]) {
    assert.equal(
      expectError(() => parse({ memoryMb: bad }), "INVALID_INPUT", "memoryMb").message,
      "INVALID_INPUT: memoryMb must be between 128 and 10240",
    );
  }
  expectError(() => parse({ memoryMb: 256.5 }), "INVALID_INPUT", "memoryMb");
  expectError(() => parse({ memoryMb: "256" }), "INVALID_INPUT", "memoryMb");
});

test("timeoutS must be between 1 and 900", () => {
  assert.equal(parse({ timeoutS: 900 }).timeoutS, 900);
  assert.equal(
    expectError(() => parse({ timeoutS: 901 }), "INVALID_INPUT", "timeoutS").message,
    "INVALID_INPUT: timeoutS must be between 1 and 900",
  );
  expectError(() => parse({ timeoutS: 0 }), "INVALID_INPUT", "timeoutS");
});

test("task names: 1 to 64 letters, digits, - and _", () => {
  assert.equal(parse({ name: "a-B_9" }).name, "a-B_9");
  for (const bad of ["", "has space", "x".repeat(65), "dot.name", "slash/name"]) {
    expectError(() => parse({ name: bad }), "INVALID_INPUT", "name");
  }
});

test("runtime: a family or Lambda's identifier of a version the guest has; another is refused by name", () => {
  for (const ok of [
    "nodejs",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3",
    "python3.11",
    "provided.al2023",
  ]) {
    const handler = ok.startsWith("python") ? "app.handler" : "index.handler";
    assert.equal(parse({ runtime: ok, handler }).runtime, ok);
  }
  const java = expectError(() => parse({ runtime: "java21" }), "INVALID_INPUT", "runtime");
  assert.match(
    java.message,
    /"java21" is not a runtime: use one of nodejs20\.x, nodejs22\.x, nodejs24\.x, python3/,
  );
  const old = expectError(() => parse({ runtime: "nodejs18.x" }), "INVALID_INPUT", "runtime");
  assert.match(old.message, /Node\.js 18 is not in the guest image/);
  expectError(() => parse({ runtime: "python3.99" }), "INVALID_INPUT", "runtime");
  expectError(() => parse({ runtime: 20 }), "INVALID_INPUT", "runtime");
});

test("two configurations on different Node.js majors run different sandboxes", () => {
  const cfg = { handler: "index.handler", memoryMb: 128, timeoutS: 3, environment: {} };
  assert.equal(sameConfig({ ...cfg, runtime: "nodejs22.x" }, { ...cfg, runtime: "nodejs24.x" }), false);
  assert.equal(sameConfig({ ...cfg, runtime: "nodejs24.x" }, { ...cfg, runtime: "nodejs24.x" }), true);
});

test("handler: non-empty, no spaces, module.export for nodejs and python3", () => {
  assert.equal(parse({ handler: "src/app.main" }).handler, "src/app.main");
  for (const bad of ["", "index handler", "index", "index.", ".handler"]) {
    expectError(() => parse({ handler: bad }), "INVALID_INPUT", "handler");
  }
  assert.equal(parse({ runtime: "provided", handler: "bootstrap" }).handler, "bootstrap");
  expectError(() => parse({ runtime: "provided", handler: "two words" }), "INVALID_INPUT", "handler");
});

test("environment problems carry the key in the field path", () => {
  expectError(() => parse({ environment: { AWS_REGION: "x" } }), "INVALID_INPUT", "environment.AWS_REGION");
});

test("unknown fields are refused rather than ignored", () => {
  expectError(() => parse({ memorySize: 256 }), "INVALID_INPUT", "memorySize");
});

test("sameConfig ignores environment key order and sees every field", () => {
  const a = {
    runtime: "nodejs" as const,
    handler: "i.h",
    memoryMb: 128,
    timeoutS: 3,
    environment: { A: "1", B: "2" },
  };
  assert.ok(sameConfig(a, { ...a, environment: { B: "2", A: "1" } }));
  assert.ok(!sameConfig(a, { ...a, environment: { A: "1" } }));
  assert.ok(!sameConfig(a, { ...a, environment: { A: "1", C: "2" } }));
  assert.ok(!sameConfig(a, { ...a, timeoutS: 4 }));
  assert.ok(!sameConfig(a, { ...a, handler: "i.g" }));
});
