// The operation table: every operation of main/contract.ts has exactly one function, found by its own name, and
// running one checks the caller's access before anything reads its input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { operations, type OperationName } from "../../../../main/contract.ts";
import type { Host } from "../../../../main/host.ts";
import type { CallTransport, OperationHost } from "../../../../main/operations/operation-context.ts";
import { operationTable } from "../../../../main/operations/operation-table.ts";
import { runOperation } from "../../../../main/operations/run-operation.ts";

test("every operation of the contract has one function, and the table holds nothing else", () => {
  const contract = Object.keys(operations).sort();
  const table = Object.keys(operationTable).sort();
  assert.deepEqual(table, contract);
  const seen = new Set<unknown>();
  for (const name of contract as OperationName[]) {
    const run = operationTable[name];
    assert.equal(typeof run, "function", `${name} has no function`);
    assert.ok(!seen.has(run), `${name} shares its function with another operation`);
    seen.add(run);
    // Each function bears its operation's name: a crossed wire (listTasks answered by listApis) shows here.
    assert.equal(run.name, name);
  }
});

const transport: CallTransport = {
  accepted: () => undefined,
  openEvents: () => {
    throw new Error("not streamed");
  },
};

/** A host no check may touch: any property read of it fails the test. */
const untouchable = new Proxy({} as Host, {
  get: (_t, key) => assert.fail(`the host was read (${String(key)}) before the access check`),
});
const on: OperationHost = { host: untouchable, sharing: () => assert.fail("sharing was asked for") };
const source = { field: "profile", where: "the call's profile argument" };
const token = {
  kind: "token" as const,
  profileId: "prf_a",
  aliasId: "als_a",
  ref: { task: "resize", qualifier: "live" },
  tokenId: "tok_a",
  rateLimitPerMinute: null,
  remote: false,
  client: "127.0.0.1",
};

test("runOperation refuses a caller without access before it reads the input or the host", async () => {
  await assert.rejects(runOperation(on, "listTasks", token, { bogus: 1 }, transport, source), {
    code: "FORBIDDEN",
  });
  await assert.rejects(
    runOperation(on, "createProfile", { kind: "profile", profileId: "prf_a" }, {}, transport, source),
    { code: "FORBIDDEN" },
  );
  // The owner acting as no profile is told where its transport names one.
  await assert.rejects(
    runOperation(on, "listTasks", { kind: "owner", profileId: null }, {}, transport, source),
    { code: "INVALID_INPUT", field: "profile", message: /the call's profile argument/ },
  );
});

test("runOperation validates the input with the operation's contract schema before its function runs", async () => {
  await assert.rejects(
    runOperation(
      on,
      "deleteAlias",
      { kind: "profile", profileId: "prf_a" },
      { aliasId: "" },
      transport,
      source,
    ),
    { code: "INVALID_INPUT", field: "aliasId" },
  );
  await assert.rejects(
    runOperation(on, "invoke", token, { task: "resize", mode: "later" }, transport, source),
    { code: "INVALID_INPUT", field: "mode" },
  );
});
