// Lambda's ways of naming a function, as the Invoke route reads them, and what the route answers over the AWS SDK.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { createTask, updateTaskConfig } from "../../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../../main/domain/tasks/versions.ts";
import { parseFunctionName } from "../../../../../main/domain/access/function-arn.ts";
import { startServer } from "../../../../../main/http/server.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";
import { stubHost } from "../../app/stub-host.ts";

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

/** The local port over a stub host (its VMs print "first" and "second" and answer the payload they got). */
async function lambdaPort(t: TestContext) {
  const { host } = await stubHost(t);
  const store = host.store;
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile, credentials } = await store.documents.update((s) =>
    createProfile(s, { name: "dana" }, ctx()),
  );
  const code = { sha256: "3".repeat(64), size: 1 };
  await store.documents.update((s) =>
    createTask(
      s,
      profile.id,
      { name: "sized", runtime: "nodejs", handler: "i.h", memoryMb: 256, code },
      ctx(),
    ),
  );
  await store.documents.update((s) => publishVersion(s, profile.id, { task: "sized" }, ctx()));
  await store.documents.update((s) =>
    updateTaskConfig(s, profile.id, { task: "sized", memoryMb: 512 }, ctx()),
  );
  const server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  t.after(() => server.close());
  const port = (server.server.address() as { port: number }).port;
  const lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
  t.after(() => lambda.destroy());
  return lambda;
}

test("Invoke answers the payload (empty is {}), the version run and a tail whose Memory Size is its limit", async (t) => {
  const lambda = await lambdaPort(t);
  const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
  const v1 = await lambda.send(new InvokeCommand({ FunctionName: "sized:1", LogType: "Tail" }));
  assert.equal(v1.StatusCode, 200);
  assert.equal(text(v1.Payload), "{}");
  assert.equal(v1.ExecutedVersion, "1");
  const tail = Buffer.from(v1.LogResult ?? "", "base64").toString("utf8");
  assert.match(tail, /first\nsecond/);
  assert.match(tail, /Memory Size: 256 MB/);
  const latest = await lambda.send(
    new InvokeCommand({
      FunctionName: "sized",
      LogType: "Tail",
      Payload: new TextEncoder().encode('{"a":1}'),
    }),
  );
  assert.equal(text(latest.Payload), '{"a":1}');
  assert.match(Buffer.from(latest.LogResult ?? "", "base64").toString("utf8"), /Memory Size: 512 MB/);
  const plain = await lambda.send(new InvokeCommand({ FunctionName: "sized" }));
  assert.equal(plain.LogResult, undefined);
});

test("Event is accepted with 202, DryRun checks with 204, and a bad payload or type is refused", async (t) => {
  const lambda = await lambdaPort(t);
  const event = await lambda.send(new InvokeCommand({ FunctionName: "sized", InvocationType: "Event" }));
  assert.equal(event.StatusCode, 202);
  const dry = await lambda.send(new InvokeCommand({ FunctionName: "sized", InvocationType: "DryRun" }));
  assert.equal(dry.StatusCode, 204);
  await assert.rejects(
    lambda.send(new InvokeCommand({ FunctionName: "nope", InvocationType: "DryRun" })),
    (e: Error) => e.name === "ResourceNotFoundException",
  );
  await assert.rejects(
    lambda.send(new InvokeCommand({ FunctionName: "sized", Payload: new TextEncoder().encode("{nope") })),
    (e: Error) => e.name === "InvalidParameterValueException" && /Payload is not valid JSON/.test(e.message),
  );
  await assert.rejects(
    lambda.send(new InvokeCommand({ FunctionName: "sized", InvocationType: "Later" as never })),
    (e: Error) =>
      e.name === "InvalidParameterValueException" && /not RequestResponse, Event or DryRun/.test(e.message),
  );
});
