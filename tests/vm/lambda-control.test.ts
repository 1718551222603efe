// Lambda's control plane on a real `hearth serve` stack with real VMs, driven by the AWS SDK v3 and Debian's aws
// CLI: resource policies with cross-account invoke by ARN, configuration, versions, aliases, tags, reserved
// concurrency, waiters, refused fields and the 413 for an oversized payload.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-lambda-control-"));
let host: Host;
let server: FastifyInstance;
let endpoint = "";
type Creds = { accessKeyId: string; secretAccessKey: string };
let owner: Creds;
let mate: Creds;
let ownerAccount = "";
let mateAccount = "";

const client = (c: Creds, extra: Partial<ConstructorParameters<typeof LambdaClient>[0]> = {}) =>
  new LambdaClient({ endpoint, region: "us-east-1", credentials: c, maxAttempts: 1, ...extra });
const text = (b?: Uint8Array) => Buffer.from(b ?? []).toString("utf8");
const arn = (name: string, q?: string) =>
  `arn:aws:lambda:us-east-1:${ownerAccount}:function:${name}${q ? `:${q}` : ""}`;
/** An SDK error's name and status, for assertions that say which was seen. */
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number }; Reason?: string };
    return {
      name: err.name,
      status: err.$metadata?.httpStatusCode,
      message: err.message,
      reason: err.Reason,
    };
  }
  assert.fail("the call was expected to fail");
};

before(async () => {
  host = await Host.start({ dataDir });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const a = await host.store.documents.update((s) => createProfile(s, { name: "owner" }, ctx));
  const b = await host.store.documents.update((s) => createProfile(s, { name: "mate" }, ctx));
  owner = { accessKeyId: a.credentials.accessKeyId, secretAccessKey: a.credentials.secretAccessKey };
  mate = { accessKeyId: b.credentials.accessKeyId, secretAccessKey: b.credentials.secretAccessKey };
  ownerAccount = a.profile.accountId;
  mateAccount = b.profile.accountId;
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  endpoint = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  const { zip } = await zipFolder(fixtureDir("hello-env"));
  await client(owner).send(
    new CreateFunctionCommand({
      FunctionName: "greet",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/any",
      Code: { ZipFile: zip },
      Environment: { Variables: { GREETING: "hi" } },
      Publish: true,
      Tags: { team: "core" },
    }),
  );
  await client(owner).send(
    new CreateAliasCommand({ FunctionName: "greet", Name: "prod", FunctionVersion: "1" }),
  );
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("resource policies: AddPermission, GetPolicy, RemovePermission and cross-account invoke", () => {
  test("a statement lets the account invoke exactly the ARN it names, with the owner's configuration", async () => {
    const o = client(owner);
    const m = client(mate);
    const greet = (FunctionName: string) =>
      m.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{"name":"mate"}') }));
    // Nothing allowed yet: refused alike whether or not the function exists.
    const before = await failure(greet(arn("greet")));
    assert.equal(before.name, "AccessDeniedException");
    assert.equal(before.status, 403);
    assert.equal((await failure(greet(arn("nothing-here")))).name, "AccessDeniedException");

    const added = await o.send(
      new AddPermissionCommand({
        FunctionName: "greet",
        StatementId: "mate-invoke",
        Action: "lambda:InvokeFunction",
        Principal: mateAccount,
      }),
    );
    const statement = JSON.parse(added.Statement!);
    assert.deepEqual(statement, {
      Sid: "mate-invoke",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${mateAccount}:root` },
      Action: "lambda:InvokeFunction",
      Resource: arn("greet"),
    });
    const r = await greet(arn("greet"));
    assert.equal(r.StatusCode, 200);
    assert.equal(r.ExecutedVersion, "$LATEST");
    assert.deepEqual(JSON.parse(text(r.Payload)), { greeting: "hi, mate", hasApiKey: false });
    // The partial ARN names the same function.
    assert.equal((await greet(`${ownerAccount}:function:greet`)).StatusCode, 200);
    // The statement is for the unqualified ARN only: version 1 and the alias stay closed.
    assert.equal((await failure(greet(arn("greet", "1")))).name, "AccessDeniedException");
    assert.equal((await failure(greet(arn("greet", "prod")))).name, "AccessDeniedException");

    // A second statement for the same account stands alone, keyed by its id, on the alias.
    await o.send(
      new AddPermissionCommand({
        FunctionName: "greet",
        Qualifier: "prod",
        StatementId: "mate-prod",
        Action: "lambda:InvokeFunction",
        Principal: `arn:aws:iam::${mateAccount}:root`,
      }),
    );
    const viaAlias = await greet(arn("greet", "prod"));
    assert.equal(viaAlias.ExecutedVersion, "1");
    const q = await m.send(
      new InvokeCommand({ FunctionName: arn("greet"), Qualifier: "prod", Payload: Buffer.from("{}") }),
    );
    assert.equal(q.ExecutedVersion, "1");
    // The alias's statement does not open the version it points at.
    assert.equal((await failure(greet(arn("greet", "1")))).name, "AccessDeniedException");

    const fnPolicy = JSON.parse((await o.send(new GetPolicyCommand({ FunctionName: "greet" }))).Policy!);
    assert.equal(fnPolicy.Version, "2012-10-17");
    assert.deepEqual(
      fnPolicy.Statement.map((s: { Sid: string }) => s.Sid),
      ["mate-invoke"],
    );
    const prodPolicy = JSON.parse(
      (await o.send(new GetPolicyCommand({ FunctionName: "greet", Qualifier: "prod" }))).Policy!,
    );
    assert.deepEqual(prodPolicy.Statement, [
      {
        Sid: "mate-prod",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${mateAccount}:root` },
        Action: "lambda:InvokeFunction",
        Resource: arn("greet", "prod"),
      },
    ]);

    const dup = await failure(
      o.send(
        new AddPermissionCommand({
          FunctionName: "greet",
          StatementId: "mate-invoke",
          Action: "lambda:InvokeFunction",
          Principal: mateAccount,
        }),
      ),
    );
    assert.equal(dup.name, "ResourceConflictException");
    assert.equal(dup.status, 409);

    // The grantee never reads the function, its policy or its code.
    assert.equal(
      (await failure(m.send(new GetFunctionCommand({ FunctionName: arn("greet") })))).name,
      "ResourceNotFoundException",
    );
    assert.equal(
      (await failure(m.send(new GetPolicyCommand({ FunctionName: arn("greet") })))).name,
      "ResourceNotFoundException",
    );

    await o.send(new RemovePermissionCommand({ FunctionName: "greet", StatementId: "mate-invoke" }));
    assert.equal((await failure(greet(arn("greet")))).name, "AccessDeniedException");
    assert.equal((await greet(arn("greet", "prod"))).StatusCode, 200, "the alias's statement stays");
    const gone = await failure(
      o.send(new RemovePermissionCommand({ FunctionName: "greet", StatementId: "mate-invoke" })),
    );
    assert.equal(gone.name, "ResourceNotFoundException");
    await o.send(
      new RemovePermissionCommand({ FunctionName: "greet", Qualifier: "prod", StatementId: "mate-prod" }),
    );
    assert.equal(
      (await failure(o.send(new GetPolicyCommand({ FunctionName: "greet" })))).name,
      "ResourceNotFoundException",
    );
  });

  test("principals and actions beyond one account's invoke are refused by name", async () => {
    const o = client(owner);
    const add = (over: Record<string, string>) =>
      failure(
        o.send(
          new AddPermissionCommand({
            FunctionName: "greet",
            StatementId: "x",
            Action: "lambda:InvokeFunction",
            Principal: mateAccount,
            ...over,
          }),
        ),
      );
    for (const [over, field] of [
      [{ Principal: "s3.amazonaws.com" }, /Principal/],
      [{ Principal: "*" }, /Principal/],
      [{ Action: "lambda:GetFunction" }, /Action/],
      [{ StatementId: "has space" }, /StatementId/],
      [{ Qualifier: "$LATEST" }, /Qualifier|LATEST/],
      [{ SourceArn: "arn:aws:s3:::bucket" }, /SourceArn/],
    ] as const) {
      const f = await add(over as Record<string, string>);
      assert.equal(f.name, "InvalidParameterValueException", JSON.stringify(over));
      assert.match(f.message, field, JSON.stringify(over));
    }
    assert.equal((await add({ Principal: "999999999999" })).name, "ResourceNotFoundException");
  });
});

describe("configuration, versions and aliases", () => {
  test("UpdateFunctionConfiguration is InProgress while the new sandbox loads beside the warm one; the waiters see it done", async () => {
    const o = client(owner);
    const updated = await o.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "greet",
        Environment: { Variables: { GREETING: "howdy" } },
        MemorySize: 192,
        Timeout: 9,
        Description: "greets",
      }),
    );
    assert.equal(updated.MemorySize, 192);
    assert.equal(updated.Timeout, 9);
    assert.equal(updated.State, "Active");
    // $LATEST is warm from the calls above: the new configuration loads beside it, which the status says.
    assert.equal(updated.LastUpdateStatus, "InProgress");
    const active = await waitUntilFunctionActiveV2({ client: o, maxWaitTime: 20 }, { FunctionName: "greet" });
    assert.equal(active.state, "SUCCESS");
    const done = await waitUntilFunctionUpdatedV2({ client: o, maxWaitTime: 20 }, { FunctionName: "greet" });
    assert.equal(done.state, "SUCCESS");
    const cfg = await o.send(new GetFunctionConfigurationCommand({ FunctionName: "greet" }));
    assert.deepEqual(
      [cfg.MemorySize, cfg.Timeout, cfg.Description, cfg.Environment?.Variables?.GREETING],
      [192, 9, "greets", "howdy"],
    );
    const r = await o.send(
      new InvokeCommand({ FunctionName: "greet", Payload: Buffer.from('{"name":"you"}') }),
    );
    assert.equal(JSON.parse(text(r.Payload)).greeting, "howdy, you");
    // Version 1 keeps what it was published with, by qualifier and through its alias.
    const v1 = await o.send(
      new GetFunctionConfigurationCommand({ FunctionName: "greet", Qualifier: "prod" }),
    );
    assert.deepEqual([v1.Version, v1.MemorySize, v1.Environment?.Variables?.GREETING], ["1", 128, "hi"]);
    // A stale RevisionId is refused.
    const stale = await failure(
      o.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "greet",
          Timeout: 3,
          RevisionId: cfg.RevisionId + "0",
        }),
      ),
    );
    assert.equal(stale.name, "PreconditionFailedException");
    assert.equal(stale.status, 412);
    const bad = await failure(
      o.send(new UpdateFunctionConfigurationCommand({ FunctionName: "greet", MemorySize: 64 })),
    );
    assert.equal(bad.name, "InvalidParameterValueException");
    assert.match(bad.message, /memory/i);
  });

  test("ListVersionsByFunction, GetAlias, ListAliases, DeleteAlias and deleting a version", async () => {
    const o = client(owner);
    const v2 = await o.send(new PublishVersionCommand({ FunctionName: "greet", Description: "howdy" }));
    assert.equal(v2.Version, "2");
    const versions = await o.send(new ListVersionsByFunctionCommand({ FunctionName: "greet" }));
    assert.deepEqual(
      versions.Versions!.map((v) => v.Version),
      ["$LATEST", "1", "2"],
    );
    await o.send(new CreateAliasCommand({ FunctionName: "greet", Name: "next", FunctionVersion: "2" }));
    const got = await o.send(new GetAliasCommand({ FunctionName: "greet", Name: "next" }));
    assert.deepEqual([got.Name, got.FunctionVersion, got.AliasArn], ["next", "2", arn("greet", "next")]);
    const all = await o.send(new ListAliasesCommand({ FunctionName: "greet" }));
    assert.deepEqual(all.Aliases!.map((a) => a.Name).sort(), ["next", "prod"]);
    const onV2 = await o.send(new ListAliasesCommand({ FunctionName: "greet", FunctionVersion: "2" }));
    assert.deepEqual(
      onV2.Aliases!.map((a) => a.Name),
      ["next"],
    );
    // A version an alias routes to stays.
    const inUse = await failure(o.send(new DeleteFunctionCommand({ FunctionName: "greet", Qualifier: "2" })));
    assert.equal(inUse.name, "ResourceConflictException");
    await o.send(new DeleteAliasCommand({ FunctionName: "greet", Name: "next" }));
    assert.equal(
      (await failure(o.send(new GetAliasCommand({ FunctionName: "greet", Name: "next" })))).name,
      "ResourceNotFoundException",
    );
    await o.send(new DeleteFunctionCommand({ FunctionName: "greet", Qualifier: "2" }));
    const after = await o.send(new ListVersionsByFunctionCommand({ FunctionName: "greet" }));
    assert.deepEqual(
      after.Versions!.map((v) => v.Version),
      ["$LATEST", "1"],
    );
    // The number is never handed out again.
    await o.send(new UpdateFunctionConfigurationCommand({ FunctionName: "greet", Timeout: 8 }));
    assert.equal((await o.send(new PublishVersionCommand({ FunctionName: "greet" }))).Version, "3");
  });

  test("TagResource, ListTags and UntagResource by the function's ARN", async () => {
    const o = client(owner);
    assert.deepEqual((await o.send(new ListTagsCommand({ Resource: arn("greet") }))).Tags, { team: "core" });
    await o.send(new TagResourceCommand({ Resource: arn("greet"), Tags: { stage: "dev", owner: "me" } }));
    assert.deepEqual((await o.send(new ListTagsCommand({ Resource: arn("greet") }))).Tags, {
      team: "core",
      stage: "dev",
      owner: "me",
    });
    await o.send(new UntagResourceCommand({ Resource: arn("greet"), TagKeys: ["owner", "team"] }));
    assert.deepEqual((await o.send(new ListTagsCommand({ Resource: arn("greet") }))).Tags, { stage: "dev" });
    assert.deepEqual((await o.send(new GetFunctionCommand({ FunctionName: "greet" }))).Tags, {
      stage: "dev",
    });
    const reserved = await failure(
      o.send(new TagResourceCommand({ Resource: arn("greet"), Tags: { "aws:x": "1" } })),
    );
    assert.equal(reserved.name, "InvalidParameterValueException");
    // Another account's function is not found, nor tagged.
    const m = await failure(client(mate).send(new ListTagsCommand({ Resource: arn("greet") })));
    assert.equal(m.name, "ResourceNotFoundException");
  });
});

describe("reserved concurrency", () => {
  test("0 throttles every call; 1 throttles the second of two at once; removing it lifts the limit", async () => {
    const o = client(owner);
    const { zip } = await zipFolder(fixtureDir("slow-logger"));
    await o.send(
      new CreateFunctionCommand({
        FunctionName: "slow",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: "r",
        Code: { ZipFile: zip },
      }),
    );
    const call = () =>
      o.send(new InvokeCommand({ FunctionName: "slow", Payload: Buffer.from('{"lines":4}') }));
    // Warm it first, so the pair below is about concurrency, not a cold start.
    assert.equal((await call()).StatusCode, 200);

    const put = await o.send(
      new PutFunctionConcurrencyCommand({ FunctionName: "slow", ReservedConcurrentExecutions: 0 }),
    );
    assert.equal(put.ReservedConcurrentExecutions, 0);
    const zero = await failure(call());
    assert.equal(zero.name, "TooManyRequestsException");
    assert.equal(zero.status, 429);
    assert.equal(zero.reason, "ReservedFunctionConcurrentInvocationLimitExceeded");

    await o.send(
      new PutFunctionConcurrencyCommand({ FunctionName: "slow", ReservedConcurrentExecutions: 1 }),
    );
    assert.equal(
      (await o.send(new GetFunctionConcurrencyCommand({ FunctionName: "slow" })))
        .ReservedConcurrentExecutions,
      1,
    );
    assert.equal(
      (await o.send(new GetFunctionCommand({ FunctionName: "slow" }))).Concurrency
        ?.ReservedConcurrentExecutions,
      1,
    );
    const both = await Promise.allSettled([call(), call()]);
    const ok = both.filter((s) => s.status === "fulfilled");
    const refused = both.filter((s) => s.status === "rejected") as PromiseRejectedResult[];
    assert.equal(ok.length, 1);
    assert.equal(refused.length, 1);
    assert.equal((refused[0]!.reason as Error).name, "TooManyRequestsException");

    await o.send(new DeleteFunctionConcurrencyCommand({ FunctionName: "slow" }));
    assert.deepEqual(
      (await o.send(new GetFunctionConcurrencyCommand({ FunctionName: "slow" })))
        .ReservedConcurrentExecutions,
      undefined,
    );
    const again = await Promise.all([call(), call()]);
    assert.deepEqual(
      again.map((r) => r.StatusCode),
      [200, 200],
    );
  });
});

describe("what Lambda refuses, refused the Lambda way", () => {
  test("fields Hearth does not honour are refused by name; Lambda's defaults pass", async () => {
    const o = client(owner);
    const { zip } = await zipFolder(fixtureDir("echo-node"));
    const base = {
      FunctionName: "strict",
      Runtime: "nodejs20.x" as const,
      Handler: "index.handler",
      Role: "r",
      Code: { ZipFile: zip },
    };
    for (const [extra, field] of [
      [{ Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"] }, "Layers"],
      [{ VpcConfig: { SubnetIds: ["subnet-1"], SecurityGroupIds: [] } }, "VpcConfig"],
      [{ KMSKeyArn: "arn:aws:kms:us-east-1:123456789012:key/x" }, "KMSKeyArn"],
      [{ Architectures: ["arm64"] }, "Architectures"],
    ] as const) {
      const f = await failure(o.send(new CreateFunctionCommand({ ...base, ...(extra as object) })));
      assert.equal(f.name, "InvalidParameterValueException", field);
      assert.match(f.message, new RegExp(field), field);
    }
    assert.equal(
      host.store.documents.state.tasks.some((t) => t.name === "strict"),
      false,
      "nothing was created",
    );
    const made = await o.send(
      new CreateFunctionCommand({ ...base, Architectures: ["x86_64"], PackageType: "Zip", Layers: [] }),
    );
    assert.equal(made.State, "Active");
    const f = await failure(
      o.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: "strict",
          DeadLetterConfig: { TargetArn: "arn:aws:sqs:us-east-1:1:q" },
        }),
      ),
    );
    assert.match(f.message, /DeadLetterConfig/);
    const code = await failure(
      o.send(new UpdateFunctionCodeCommand({ FunctionName: "strict", S3Bucket: "b", S3Key: "k" })),
    );
    assert.equal(code.name, "InvalidParameterValueException");
    await o.send(new DeleteFunctionCommand({ FunctionName: "strict" }));
    assert.equal(
      (await failure(o.send(new GetFunctionCommand({ FunctionName: "strict" })))).name,
      "ResourceNotFoundException",
    );
  });

  test("a payload over 6 MB gets 413 RequestEntityTooLargeException, and the connection serves the next call", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let sockets = 0;
    const create = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof create>) => {
      sockets++;
      return create(...args);
    }) as typeof agent.createConnection;
    const o = client(owner, { requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
    const ok = () => o.send(new InvokeCommand({ FunctionName: arn("greet"), Payload: Buffer.from("{}") }));
    assert.equal((await ok()).StatusCode, 200);
    const big = Buffer.from(JSON.stringify({ pad: "x".repeat(6 * 1024 * 1024) }));
    const f = await failure(o.send(new InvokeCommand({ FunctionName: "greet", Payload: big })));
    assert.equal(f.status, 413);
    assert.equal(f.name, "RequestEntityTooLargeException");
    assert.match(f.message, /6291456 bytes/);
    assert.equal((await ok()).StatusCode, 200);
    assert.equal(sockets, 1, "one connection carried all three calls");
    agent.destroy();
  });
});

const AWS = "/usr/bin/aws";
describe("the same with Debian's aws CLI", () => {
  test(
    "add-permission, get-policy, invoke by ARN as the other account, remove-permission, configuration and tags",
    { skip: existsSync(AWS) ? false : "needs Debian's awscli (.ci/run installs it)" },
    async () => {
      const aws = (c: Creds, ...args: string[]) =>
        new Promise<{ code: number; out: string; err: string }>((resolve) => {
          execFile(
            AWS,
            ["--endpoint-url", endpoint, "--output", "json", "lambda", ...args],
            {
              env: {
                ...process.env,
                AWS_ACCESS_KEY_ID: c.accessKeyId,
                AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
                AWS_DEFAULT_REGION: "us-east-1",
                AWS_CONFIG_FILE: "/dev/null",
                AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
                AWS_PAGER: "",
                HOME: dataDir,
              },
            },
            (err, out, errOut) =>
              resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
          );
        });
      const added = await aws(
        owner,
        "add-permission",
        "--function-name",
        "greet",
        "--statement-id",
        "cli",
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        mateAccount,
      );
      assert.equal(added.code, 0, added.err);
      const policy = JSON.parse(
        JSON.parse((await aws(owner, "get-policy", "--function-name", "greet")).out).Policy,
      );
      assert.deepEqual(
        policy.Statement.map((s: { Sid: string }) => s.Sid),
        ["cli"],
      );
      const outFile = join(dataDir, "cli-out.json");
      const inv = await aws(
        mate,
        "invoke",
        "--function-name",
        arn("greet"),
        "--cli-binary-format",
        "raw-in-base64-out",
        "--payload",
        '{"name":"cli"}',
        outFile,
      );
      assert.equal(inv.code, 0, inv.err);
      const { readFileSync } = await import("node:fs");
      assert.equal(JSON.parse(readFileSync(outFile, "utf8")).greeting, "howdy, cli");
      assert.equal(
        (await aws(owner, "remove-permission", "--function-name", "greet", "--statement-id", "cli")).code,
        0,
      );
      const refused = await aws(mate, "invoke", "--function-name", arn("greet"), outFile);
      assert.notEqual(refused.code, 0);
      assert.match(refused.err, /AccessDeniedException/);

      const conf = await aws(
        owner,
        "update-function-configuration",
        "--function-name",
        "greet",
        "--timeout",
        "7",
      );
      assert.equal(JSON.parse(conf.out).Timeout, 7);
      assert.equal((await aws(owner, "wait", "function-updated-v2", "--function-name", "greet")).code, 0);
      const cfg = JSON.parse(
        (await aws(owner, "get-function-configuration", "--function-name", "greet")).out,
      );
      assert.equal(cfg.Timeout, 7);
      const vs = JSON.parse((await aws(owner, "list-versions-by-function", "--function-name", "greet")).out);
      assert.ok(vs.Versions.length >= 2);
      assert.equal(
        (
          await aws(
            owner,
            "put-function-concurrency",
            "--function-name",
            "greet",
            "--reserved-concurrent-executions",
            "5",
          )
        ).code,
        0,
      );
      assert.equal(
        JSON.parse((await aws(owner, "get-function-concurrency", "--function-name", "greet")).out)
          .ReservedConcurrentExecutions,
        5,
      );
      assert.equal((await aws(owner, "delete-function-concurrency", "--function-name", "greet")).code, 0);
      assert.equal(
        (await aws(owner, "tag-resource", "--resource", arn("greet"), "--tags", "cli=yes")).code,
        0,
      );
      assert.equal(
        JSON.parse((await aws(owner, "list-tags", "--resource", arn("greet"))).out).Tags.cli,
        "yes",
      );
      const aliases = JSON.parse((await aws(owner, "list-aliases", "--function-name", "greet")).out);
      assert.deepEqual(
        aliases.Aliases.map((a: { Name: string }) => a.Name),
        ["prod"],
      );
      const layer = await aws(
        owner,
        "update-function-configuration",
        "--function-name",
        "greet",
        "--layers",
        "arn:aws:lambda:us-east-1:123456789012:layer:x:1",
      );
      assert.notEqual(layer.code, 0);
      assert.match(layer.err, /InvalidParameterValueException.*Layers/s);
    },
  );
});
