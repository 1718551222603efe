// Lambda's asynchronous invocation settings on real VMs, driven by the AWS SDK v3, Debian's aws CLI and `hearth`:
// event-invoke configurations, destinations receiving Lambda's record on success and on failure after retries, a
// dead-letter target receiving the event, and the failed events listed by `hearth invocation ls --failed`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import type { AsyncInvocation } from "../../main/invoke/async-invocations.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { cliEnv, hearth } from "../helpers/hearth-cli.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-lambda-async-"));
let host: Host;
let server: FastifyInstance;
let endpoint = "";
let creds = { accessKeyId: "", secretAccessKey: "" };
let account = "";

const client = () => new LambdaClient({ endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 });
const arn = (name: string, q?: string) =>
  `arn:aws:lambda:us-east-1:${account}:function:${name}${q ? `:${q}` : ""}`;
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail("the call was expected to fail");
};

interface DestinationRecord {
  version: string;
  timestamp: string;
  requestContext: Record<string, unknown>;
  requestPayload: unknown;
  responseContext?: Record<string, unknown>;
  responsePayload: { errorType?: string; errorMessage?: string; stackTrace?: unknown } & Record<
    string,
    unknown
  >;
}

/** Waits until the async record of `id` has ended, then returns it. */
async function ended(id: string, timeoutMs = 120_000): Promise<AsyncInvocation> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const item = host.async.get(id);
    if (item && (item.state === "succeeded" || item.state === "failed")) return item;
    if (Date.now() > until) assert.fail(`event ${id} did not end: ${JSON.stringify(item)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a destination received: the sink (echo) returns its event, so its own record's payload holds it. */
async function received(source: AsyncInvocation, kind: "destination" | "dead-letter"): Promise<unknown> {
  const sent = source.delivered?.find((d) => d.kind === kind);
  assert.ok(sent?.requestId, `nothing was sent to the ${kind}: ${JSON.stringify(source.delivered)}`);
  const sink = await ended(sent.requestId);
  assert.equal(sink.state, "succeeded", JSON.stringify(sink.outcome));
  return (JSON.parse(sink.outcome!.payload!) as { echo: unknown }).echo;
}

before(async () => {
  host = await Host.start({ dataDir, asyncRetryDelaysMs: [300, 300] });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const made = await host.store.documents.update((s) => createProfile(s, { name: "events" }, ctx));
  creds = { accessKeyId: made.credentials.accessKeyId, secretAccessKey: made.credentials.secretAccessKey };
  account = made.profile.accountId;
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  endpoint = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const o = client();
  for (const [name, fixture] of [
    ["worker", "crasher"],
    ["sink", "echo-node"],
    ["dlq", "echo-node"],
  ] as const) {
    const { zip } = await zipFolder(fixtureDir(fixture));
    await o.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: "r",
        Code: { ZipFile: zip },
      }),
    );
  }
  await o.send(new PublishVersionCommand({ FunctionName: "sink" }));
  await o.send(new CreateAliasCommand({ FunctionName: "sink", Name: "live", FunctionVersion: "1" }));
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("event-invoke configuration with the AWS SDK v3", () => {
  test("Put, Get, Update, List and Delete; bad values and destinations are refused by name", async () => {
    const o = client();
    const put = await o.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "worker",
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: {
          OnSuccess: { Destination: arn("sink") },
          OnFailure: { Destination: arn("sink", "live") },
        },
      }),
    );
    assert.equal(put.FunctionArn, arn("worker", "$LATEST"));
    assert.equal(put.MaximumRetryAttempts, 1);
    assert.equal(put.MaximumEventAgeInSeconds, 600);
    assert.equal(put.DestinationConfig?.OnFailure?.Destination, arn("sink", "live"));
    const updated = await o.send(
      new UpdateFunctionEventInvokeConfigCommand({ FunctionName: "worker", MaximumEventAgeInSeconds: 900 }),
    );
    assert.deepEqual([updated.MaximumRetryAttempts, updated.MaximumEventAgeInSeconds], [1, 900]);
    assert.equal(
      updated.DestinationConfig?.OnSuccess?.Destination,
      arn("sink"),
      "an update keeps what it leaves out",
    );
    const got = await o.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "worker" }));
    assert.equal(got.MaximumEventAgeInSeconds, 900);
    const list = await o.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: "worker" }));
    assert.equal(list.FunctionEventInvokeConfigs?.length, 1);

    const bad = async (input: Record<string, unknown>, field: RegExp) => {
      const f = await failure(
        o.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "worker", ...input })),
      );
      assert.equal(f.name, "InvalidParameterValueException", JSON.stringify(input));
      assert.match(f.message, field);
    };
    await bad({ MaximumRetryAttempts: 3 }, /MaximumRetryAttempts/);
    await bad({ MaximumEventAgeInSeconds: 30 }, /MaximumEventAgeInSeconds/);
    await bad({ DestinationConfig: { OnSuccess: { Destination: arn("worker") } } }, /itself/);
    await bad({ DestinationConfig: { OnFailure: { Destination: arn("nowhere") } } }, /OnFailure/);
    await bad(
      { DestinationConfig: { OnFailure: { Destination: "arn:aws:sqs:us-east-1:123456789012:queue" } } },
      /function ARN/,
    );
    // The refusals changed nothing.
    assert.equal(
      (await o.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "worker" })))
        .MaximumEventAgeInSeconds,
      900,
    );

    await o.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: "dlq", MaximumRetryAttempts: 0 }));
    await o.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: "dlq" }));
    const gone = await failure(o.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: "dlq" })));
    assert.equal(gone.name, "ResourceNotFoundException");
  });

  test("OnSuccess receives Lambda's record with the response", async () => {
    const o = client();
    const accepted = await o.send(
      new InvokeCommand({
        FunctionName: "worker",
        InvocationType: "Event",
        Payload: Buffer.from('{"mode":"fine"}'),
      }),
    );
    assert.equal(accepted.StatusCode, 202);
    const id = accepted.$metadata.requestId!;
    const done = await ended(id);
    assert.equal(done.state, "succeeded");
    assert.equal(done.condition, "Success");
    const record = (await received(done, "destination")) as DestinationRecord;
    assert.equal(record.version, "1.0");
    assert.match(record.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(record.requestContext, {
      requestId: id,
      functionArn: `arn:aws:lambda:local:${account}:function:worker:$LATEST`,
      condition: "Success",
      approximateInvokeCount: 1,
    });
    assert.deepEqual(record.requestPayload, { mode: "fine" });
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: "$LATEST" });
    assert.deepEqual(record.responsePayload, { ok: true });
  });

  test("after its retries a failing event goes to OnFailure with Lambda's record, and its payload to the dead-letter target", async () => {
    const o = client();
    await o.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "worker",
        DeadLetterConfig: { TargetArn: arn("dlq") },
      }),
    );
    const cfg = await o.send(new GetFunctionConfigurationCommand({ FunctionName: "worker" }));
    assert.equal(cfg.DeadLetterConfig?.TargetArn, arn("dlq"));
    const accepted = await o.send(
      new InvokeCommand({
        FunctionName: "worker",
        InvocationType: "Event",
        Payload: Buffer.from('{"mode":"throw"}'),
      }),
    );
    const id = accepted.$metadata.requestId!;
    const done = await ended(id);
    assert.equal(done.state, "failed");
    assert.equal(done.attempts, 2, "MaximumRetryAttempts 1: the first attempt and one retry");
    assert.equal(done.condition, "RetriesExhausted");
    const record = (await received(done, "destination")) as DestinationRecord;
    assert.deepEqual(record.requestContext, {
      requestId: id,
      functionArn: `arn:aws:lambda:local:${account}:function:worker:$LATEST`,
      condition: "RetriesExhausted",
      approximateInvokeCount: 2,
    });
    assert.deepEqual(record.requestPayload, { mode: "throw" });
    assert.deepEqual(record.responseContext, {
      statusCode: 200,
      executedVersion: "$LATEST",
      functionError: "Unhandled",
    });
    assert.equal(record.responsePayload.errorType, "Error");
    assert.equal(record.responsePayload.errorMessage, "asked to throw");
    assert.ok(Array.isArray(record.responsePayload.stackTrace));
    // The failure went to the alias named (sink:live runs version 1).
    const sent = done.delivered!.find((d) => d.kind === "destination")!;
    assert.equal(sent.arn, arn("sink", "live"));
    assert.equal(host.async.get(sent.requestId!)!.outcome?.servedVersion, "1");
    assert.deepEqual(await received(done, "dead-letter"), { mode: "throw" });

    // `hearth invocation ls --failed`, as the profile, over the port.
    const env = {
      ...cliEnv(mkdtempSync(join(tmpdir(), "hearth-lambda-async-cli-"))),
      HEARTH_URL: endpoint,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    };
    const listed = await hearth(env, ["invocation", "ls", "--failed", "--json"]);
    assert.equal(listed.code, 0, listed.stderr);
    const events = JSON.parse(listed.stdout) as {
      requestId: string;
      condition: string;
      attempts: number;
      error: { errorType: string };
      delivered: { kind: string; arn: string }[];
    }[];
    const mine = events.find((e) => e.requestId === id);
    assert.ok(mine, listed.stdout);
    assert.deepEqual([mine.condition, mine.attempts, mine.error.errorType], ["RetriesExhausted", 2, "Error"]);
    assert.deepEqual(
      mine.delivered.map((d) => d.kind),
      ["destination", "dead-letter"],
    );
    assert.ok(
      !events.some((e) => e.requestId !== id && e.condition === "Success"),
      "only failed events are listed",
    );
    const human = await hearth(env, ["invocation", "ls", "--failed"]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(
      human.stdout,
      new RegExp(`${id}.*worker.*2/2.*RetriesExhausted.*asked to throw.*destination ${arn("sink", "live")}`),
    );
  });
});

const AWS = "/usr/bin/aws";
test(
  "the aws CLI puts and reads an event-invoke configuration",
  { skip: existsSync(AWS) ? false : "needs Debian's awscli (.ci/run installs it)" },
  async () => {
    const aws = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(
          AWS,
          ["--endpoint-url", endpoint, "--output", "json", "lambda", ...args],
          {
            env: {
              ...process.env,
              AWS_ACCESS_KEY_ID: creds.accessKeyId,
              AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
              AWS_DEFAULT_REGION: "us-east-1",
              AWS_CONFIG_FILE: "/dev/null",
              AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
              AWS_PAGER: "",
              HOME: dataDir,
            },
          },
          (err, out, errOut) => resolve({ code: err ? 1 : 0, out, err: errOut }),
        );
      });
    const put = await aws(
      "put-function-event-invoke-config",
      "--function-name",
      "dlq",
      "--maximum-retry-attempts",
      "0",
      "--destination-config",
      JSON.stringify({ OnSuccess: { Destination: arn("sink") } }),
    );
    assert.equal(put.code, 0, put.err);
    const got = JSON.parse((await aws("get-function-event-invoke-config", "--function-name", "dlq")).out);
    assert.equal(got.MaximumRetryAttempts, 0);
    assert.equal(got.DestinationConfig.OnSuccess.Destination, arn("sink"));
    const bad = await aws(
      "put-function-event-invoke-config",
      "--function-name",
      "dlq",
      "--maximum-retry-attempts",
      "5",
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /MaximumRetryAttempts/);
  },
);
