// The Lambda API on a real `hearth serve` stack with real VMs, driven by the official AWS SDK v3 client.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { cpSync, existsSync, writeFileSync, readFileSync } from "node:fs";
import { execFile } from "node:child_process";
import { zipFolder } from "../helpers/zip-folder.ts";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { publishVersion } from "../../main/domain/tasks/versions.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-lambda-api-"));
let host: Host;
let server: FastifyInstance;
let endpoint = "";
let creds = { accessKeyId: "", secretAccessKey: "" };
let accountId = "";

const client = (c = creds) =>
  new LambdaClient({ endpoint, region: "us-east-1", credentials: c, maxAttempts: 1 });
const text = (b?: Uint8Array) => Buffer.from(b ?? []).toString("utf8");

before(async () => {
  host = await Host.start({ dataDir });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const { profile, credentials } = await host.store.documents.update((s) =>
    createProfile(s, { name: "sdk" }, ctx),
  );
  creds = { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
  accountId = profile.accountId;
  for (const name of ["echo-node", "crasher", "slow-logger"]) {
    await importFolder(host.store, profile.id, fixtureDir(name));
  }
  await host.store.documents.update((s) => publishVersion(s, profile.id, { task: "echo" }, ctx));
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  const addr = server.server.address() as { port: number };
  endpoint = `http://127.0.0.1:${addr.port}`;
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("Lambda Invoke with the AWS SDK v3", () => {
  test("RequestResponse returns the payload and the version that ran", async () => {
    const r = await client().send(
      new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from('{"a":1}') }),
    );
    assert.equal(r.StatusCode, 200);
    assert.deepEqual(JSON.parse(text(r.Payload)), { echo: { a: 1 }, version: "$LATEST" });
    assert.equal(r.ExecutedVersion, "$LATEST");
    assert.equal(r.FunctionError, undefined);
    const v1 = await client().send(
      new InvokeCommand({
        FunctionName: `arn:aws:lambda:us-east-1:${accountId}:function:echo`,
        Qualifier: "1",
        Payload: Buffer.from("{}"),
      }),
    );
    assert.equal(v1.ExecutedVersion, "1");
    assert.equal(JSON.parse(text(v1.Payload)).version, "1");
  });

  test("a handler error comes back as FunctionError Unhandled with Lambda's error body", async () => {
    const r = await client().send(
      new InvokeCommand({ FunctionName: "crasher", Payload: Buffer.from('{"mode":"throw"}') }),
    );
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, "Unhandled");
    const body = JSON.parse(text(r.Payload));
    assert.equal(body.errorType, "Error");
    assert.equal(body.errorMessage, "asked to throw");
    assert.ok(Array.isArray(body.trace));
  });

  test("LogType Tail returns the last 4 KB of the invocation's log, base64", async () => {
    const r = await client().send(
      new InvokeCommand({
        FunctionName: "slow-logger",
        LogType: "Tail",
        Payload: Buffer.from('{"lines":3}'),
      }),
    );
    const log = Buffer.from(r.LogResult!, "base64").toString("utf8");
    assert.match(
      log,
      /^START RequestId: \S+ Version: \$LATEST\nline 1 of 3\nline 2 of 3\nline 3 of 3\nEND RequestId: /,
    );
    assert.match(log, /REPORT RequestId: .*Duration: [\d.]+ ms.*Max Memory Used: \d+ MB/);
  });

  test("Event is accepted with 202 and runs in the background; DryRun checks without running", async () => {
    const ev = await client().send(
      new InvokeCommand({
        FunctionName: "echo",
        InvocationType: "Event",
        Payload: Buffer.from('{"bg":true}'),
      }),
    );
    assert.equal(ev.StatusCode, 202);
    const dry = await client().send(new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun" }));
    assert.equal(dry.StatusCode, 204);
    await host.async.idle();
    const done = host.async.list().find((i) => i.payload === '{"bg":true}');
    assert.equal(done?.state, "succeeded");
  });

  test("wrong credentials, unknown functions, bad names and oversized payloads get Lambda's errors", async () => {
    await assert.rejects(
      client({ ...creds, secretAccessKey: "x".repeat(40) }).send(new InvokeCommand({ FunctionName: "echo" })),
      (e: Error) => e.name === "UnrecognizedClientException",
    );
    await assert.rejects(
      client().send(new InvokeCommand({ FunctionName: "nope" })),
      (e: Error) => e.name === "ResourceNotFoundException",
    );
    await assert.rejects(
      client().send(new InvokeCommand({ FunctionName: "echo", Qualifier: "prod" })),
      (e: Error) => e.name === "ResourceNotFoundException" && /alias "prod"/.test(e.message),
    );
    await assert.rejects(
      client().send(new InvokeCommand({ FunctionName: "echo", Payload: Buffer.from("{not json") })),
      (e: Error) => e.name === "InvalidParameterValueException" && /Payload/.test(e.message),
    );
    await assert.rejects(
      client().send(
        new InvokeCommand({ FunctionName: "echo", Payload: Buffer.alloc(6 * 1024 * 1024 + 1, 0x20) }),
      ),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 413,
    );
  });
});

describe("Lambda function management with the AWS SDK v3", () => {
  test("create, invoke, update, publish, alias with a split, get and list", async () => {
    const { zip } = await zipFolder(fixtureDir("hello-env"));
    const created = await client().send(
      new CreateFunctionCommand({
        FunctionName: "greeter",
        Runtime: "nodejs20.x",
        Role: "arn:aws:iam::000000000000:role/ignored",
        Handler: "index.handler",
        Code: { ZipFile: zip },
        Environment: { Variables: { GREETING: "hey" } },
        Publish: true,
      }),
    );
    assert.equal(created.Version, "1");
    assert.equal(created.Runtime, "nodejs20.x");
    assert.match(created.FunctionArn!, new RegExp(`:${accountId}:function:greeter:1$`));
    const r = await client().send(
      new InvokeCommand({ FunctionName: "greeter", Payload: Buffer.from('{"name":"Sam"}') }),
    );
    assert.deepEqual(JSON.parse(text(r.Payload)), { greeting: "hey, Sam", hasApiKey: false });

    const v2dir = mkdtempSync(join(tmpdir(), "greeter-v2-"));
    cpSync(fixtureDir("hello-env"), v2dir, { recursive: true });
    writeFileSync(
      join(v2dir, "index.mjs"),
      readFileSync(join(v2dir, "index.mjs"), "utf8").replace("hello", "howdy"),
    );
    const { zip: zip2 } = await zipFolder(v2dir);
    const updated = await client().send(
      new UpdateFunctionCodeCommand({ FunctionName: "greeter", ZipFile: zip2 }),
    );
    assert.equal(updated.Version, "$LATEST");
    const v2 = await client().send(
      new PublishVersionCommand({ FunctionName: "greeter", Description: "second" }),
    );
    assert.equal(v2.Version, "2");
    assert.notEqual(v2.CodeSha256, created.CodeSha256);

    const alias = await client().send(
      new CreateAliasCommand({
        FunctionName: "greeter",
        Name: "live",
        FunctionVersion: "1",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.5 } },
      }),
    );
    assert.deepEqual(alias.RoutingConfig?.AdditionalVersionWeights, { "2": 0.5 });
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const a = await client().send(
        new InvokeCommand({ FunctionName: "greeter:live", Payload: Buffer.from("{}") }),
      );
      versions.add(a.ExecutedVersion!);
    }
    assert.deepEqual([...versions].sort(), ["1", "2"]);
    const moved = await client().send(
      new UpdateAliasCommand({
        FunctionName: "greeter",
        Name: "live",
        FunctionVersion: "2",
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    assert.equal(moved.FunctionVersion, "2");
    assert.equal(moved.RoutingConfig, undefined);

    const got = await client().send(new GetFunctionCommand({ FunctionName: "greeter" }));
    assert.equal(got.Configuration?.Handler, "index.handler");
    assert.equal(got.Configuration?.Environment?.Variables?.GREETING, "hey");
    const list = await client().send(new ListFunctionsCommand({}));
    assert.ok(list.Functions!.some((f) => f.FunctionName === "greeter"));
  });

  test("AddPermission adds a statement for another profile; that profile can never get the function or its code", async () => {
    const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
    const other = await host.store.documents.update((s) => createProfile(s, { name: "teammate" }, ctx));
    const otherClient = client({
      accessKeyId: other.credentials.accessKeyId,
      secretAccessKey: other.credentials.secretAccessKey,
    });
    const added = await client().send(
      new AddPermissionCommand({
        FunctionName: "greeter",
        StatementId: "share",
        Action: "lambda:InvokeFunction",
        Principal: other.profile.accountId,
      }),
    );
    assert.match(added.Statement!, /lambda:InvokeFunction/);
    assert.ok(
      host.store.documents.state.permissions.some((p) => p.principalAccountId === other.profile.accountId),
    );
    await assert.rejects(
      otherClient.send(
        new GetFunctionCommand({ FunctionName: `arn:aws:lambda:us-east-1:${accountId}:function:greeter` }),
      ),
      (e: Error) => e.name === "ResourceNotFoundException",
    );
    await assert.rejects(
      client().send(
        new CreateFunctionCommand({
          FunctionName: "bad",
          Runtime: "java21",
          Role: "r",
          Handler: "x.y",
          Code: { ZipFile: Buffer.from("PK") },
        }),
      ),
      (e: Error) => e.name === "InvalidParameterValueException" && /Runtime/.test(e.message),
    );
  });
});

const AWS = "/usr/bin/aws";
describe("Lambda with Debian's awscli", () => {
  test(
    "aws lambda invoke and list-functions against the local port",
    { skip: existsSync(AWS) ? false : "needs Debian's awscli (.ci/run installs it)" },
    async () => {
      const out = join(dataDir, "aws-out.json");
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_PAGER: "",
        AWS_EC2_METADATA_DISABLED: "true",
      };
      // Asynchronous on purpose: the server answering the CLI runs in this very process.
      const aws = (args: string[], e: NodeJS.ProcessEnv = env) =>
        new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
          execFile(
            AWS,
            ["--endpoint-url", endpoint, "lambda", ...args],
            { env: e, encoding: "utf8" },
            (err, stdout, stderr) =>
              resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
          ),
        );
      const inv = await aws([
        "invoke",
        "--function-name",
        "echo",
        "--cli-binary-format",
        "raw-in-base64-out",
        "--payload",
        '{"from":"cli"}',
        "--log-type",
        "Tail",
        out,
      ]);
      assert.equal(inv.status, 0, inv.stderr);
      const meta = JSON.parse(inv.stdout);
      assert.equal(meta.StatusCode, 200);
      assert.equal(meta.ExecutedVersion, "$LATEST");
      assert.match(Buffer.from(meta.LogResult, "base64").toString(), /REPORT RequestId/);
      assert.deepEqual(JSON.parse(readFileSync(out, "utf8")), { echo: { from: "cli" }, version: "$LATEST" });
      const list = await aws(["list-functions"]);
      assert.equal(list.status, 0, list.stderr);
      assert.ok(
        JSON.parse(list.stdout).Functions.some((f: { FunctionName: string }) => f.FunctionName === "echo"),
      );
      const bad = await aws(["invoke", "--function-name", "echo", out], {
        ...env,
        AWS_SECRET_ACCESS_KEY: "wrong".repeat(8),
      });
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /UnrecognizedClientException/);
    },
  );
});
