// Function URLs on a real `hearth serve` stack with real VMs, made with the AWS SDK v3 and Debian's aws CLI and
// called over plain HTTP: the payload-2.0 event, auth NONE and AWS_IAM (SigV4 by the owner's key, another account's
// refused until a policy statement lets it in), CORS, update and delete.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListFunctionUrlConfigsCommand,
  RemovePermissionCommand,
  UpdateFunctionUrlConfigCommand,
} from "@aws-sdk/client-lambda";
import { SignatureV4 } from "@smithy/signature-v4";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { NodeSha256 } from "../../main/http/lambda/sigv4-verify.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const AWS = "/usr/bin/aws";
const dataDir = mkdtempSync(join(tmpdir(), "hearth-function-urls-"));
let host: Host;
let server: FastifyInstance;
let endpoint = "";
type Creds = { accessKeyId: string; secretAccessKey: string };
let owner: Creds;
let mate: Creds;
let ownerAccount = "";
let mateAccount = "";

const client = (c: Creds) =>
  new LambdaClient({ endpoint, region: "us-east-1", credentials: c, maxAttempts: 1 });

/** The handler answers with what it was sent, so the test reads the event the URL built. */
const ECHO = `export const handler = async (event) => ({
  statusCode: 201,
  headers: { "content-type": "application/json", "x-echo": "yes" },
  cookies: ["seen=1"],
  body: JSON.stringify({
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    query: event.queryStringParameters ?? null,
    method: event.requestContext.http.method,
    accountId: event.requestContext.accountId,
    apiId: event.requestContext.apiId,
    domainPrefix: event.requestContext.domainPrefix,
    iam: event.requestContext.authorizer?.iam ?? null,
    body: event.body ?? null,
    isBase64Encoded: event.isBase64Encoded,
    cookies: event.cookies ?? null,
    version: event.version,
  }),
});
`;

/** Streams five lines 300 ms apart, behind an HTTP prelude on /http, as plain text elsewhere. */
const STREAMER = `/* global awslambda */
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const http = event.rawPath === "/http";
  const out = http
    ? awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 202,
        headers: { "content-type": "text/event-stream", "x-from": "streamer" },
        cookies: ["flavour=oat"],
      })
    : responseStream;
  if (!http) out.setContentType("text/plain");
  for (let i = 0; i < 5; i++) {
    out.write(\`line \${i}\\n\`);
    await pause(300);
  }
  out.end();
});
`;

interface Echo {
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  query: Record<string, string> | null;
  method: string;
  accountId: string;
  apiId: string;
  domainPrefix: string;
  iam: { accountId: string; accessKey: string; userArn: string } | null;
  body: string | null;
  isBase64Encoded: boolean;
  cookies: string[] | null;
  version: string;
}

/** A request signed as the AWS SDKs sign a function URL call: SigV4, service lambda, the body's hash included. */
async function signedFetch(
  c: Creds,
  url: string,
  init: { method: string; body?: string } = { method: "GET" },
) {
  const u = new URL(url);
  const body = init.body ?? "";
  const signer = new SignatureV4({
    service: "lambda",
    region: "us-east-1",
    credentials: c,
    sha256: NodeSha256,
  });
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const signed = await signer.sign({
    method: init.method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query,
    headers: {
      host: u.host,
      "content-type": "application/json",
      "x-amz-content-sha256": createHash("sha256").update(body).digest("hex"),
    },
    body,
  });
  return fetch(url, {
    method: init.method,
    headers: signed.headers as Record<string, string>,
    ...(init.method === "GET" || init.method === "HEAD" ? {} : { body }),
  });
}

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
  const dir = join(dataDir, "echo-src");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.mjs"), ECHO);
  const { zip } = await zipFolder(dir);
  await client(owner).send(
    new CreateFunctionCommand({
      FunctionName: "echo",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/any",
      Code: { ZipFile: zip },
      Publish: true,
    }),
  );
  await client(owner).send(
    new CreateAliasCommand({ FunctionName: "echo", Name: "live", FunctionVersion: "1" }),
  );
  const streamDir = join(dataDir, "streamer-src");
  mkdirSync(streamDir, { recursive: true });
  writeFileSync(join(streamDir, "index.mjs"), STREAMER);
  await client(owner).send(
    new CreateFunctionCommand({
      FunctionName: "streamy",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/any",
      Code: { ZipFile: (await zipFolder(streamDir)).zip },
      Timeout: 30,
    }),
  );
});

/** Reads a response's body as it arrives: each piece with the milliseconds since the request was sent. */
async function timedBody(url: string): Promise<{ res: Response; pieces: { ms: number; text: string }[] }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const pieces: { ms: number; text: string }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push({ ms: Math.round(performance.now() - t0), text: decoder.decode(value, { stream: true }) });
  }
  return { res, pieces };
}

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("function URLs with the AWS SDK", () => {
  let publicUrl = "";
  let iamUrl = "";

  test("auth NONE: made, read, listed, and called over plain HTTP with the payload-2.0 event", async () => {
    const made = await client(owner).send(
      new CreateFunctionUrlConfigCommand({ FunctionName: "echo", AuthType: "NONE" }),
    );
    assert.equal(made.$metadata.httpStatusCode, 201);
    assert.equal(made.AuthType, "NONE");
    assert.equal(made.InvokeMode, "BUFFERED");
    assert.equal(made.FunctionArn, `arn:aws:lambda:us-east-1:${ownerAccount}:function:echo`);
    assert.match(made.FunctionUrl ?? "", new RegExp(`^${endpoint}/lambda-url/[a-z0-9]{32}/$`));
    publicUrl = made.FunctionUrl!;

    const again = await client(owner).send(new GetFunctionUrlConfigCommand({ FunctionName: "echo" }));
    assert.equal(again.FunctionUrl, publicUrl);
    const listed = await client(owner).send(new ListFunctionUrlConfigsCommand({ FunctionName: "echo" }));
    assert.deepEqual(
      listed.FunctionUrlConfigs?.map((u) => u.FunctionUrl),
      [publicUrl],
    );
    const twice = await client(owner)
      .send(new CreateFunctionUrlConfigCommand({ FunctionName: "echo", AuthType: "NONE" }))
      .then(
        () => null,
        (e: Error) => e.name,
      );
    assert.equal(twice, "ResourceConflictException");

    const res = await fetch(`${publicUrl}orders/7?x=1&x=2&y=a%20b`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: "a=1; b=2" },
      body: '{"n":1}',
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("x-echo"), "yes");
    assert.equal(res.headers.get("set-cookie"), "seen=1");
    const e = (await res.json()) as Echo;
    assert.equal(e.version, "2.0");
    assert.equal(e.routeKey, "$default");
    assert.equal(e.rawPath, "/orders/7");
    assert.equal(e.rawQueryString, "x=1&x=2&y=a%20b");
    assert.deepEqual(e.query, { x: "1,2", y: "a b" });
    assert.equal(e.method, "POST");
    assert.equal(e.accountId, "anonymous");
    assert.equal(e.apiId, publicUrl.split("/").at(-2));
    assert.equal(e.domainPrefix, e.apiId);
    assert.equal(e.iam, null);
    assert.equal(e.body, '{"n":1}');
    assert.equal(e.isBase64Encoded, false);
    assert.deepEqual(e.cookies, ["a=1", "b=2"]);

    const unknown = await fetch(`${endpoint}/lambda-url/${"a".repeat(32)}/`);
    assert.equal(unknown.status, 404);
  });

  test("auth AWS_IAM on an alias: unsigned and other accounts refused; the owner's signature and a statement let in", async () => {
    const made = await client(owner).send(
      new CreateFunctionUrlConfigCommand({ FunctionName: "echo", Qualifier: "live", AuthType: "AWS_IAM" }),
    );
    iamUrl = made.FunctionUrl!;
    assert.equal(made.FunctionArn, `arn:aws:lambda:us-east-1:${ownerAccount}:function:echo:live`);
    assert.notEqual(iamUrl, publicUrl);

    assert.equal((await fetch(`${iamUrl}x`)).status, 403, "unsigned");
    const forged = await fetch(`${iamUrl}x`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${owner.accessKeyId}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
        "x-amz-date": new Date()
          .toISOString()
          .replace(/[-:]/g, "")
          .replace(/\.\d{3}/, ""),
      },
    });
    assert.equal(forged.status, 403, "a wrong signature");

    const mine = await signedFetch(owner, `${iamUrl}who?me=1`, { method: "POST", body: '{"a":1}' });
    assert.equal(mine.status, 201);
    const e = (await mine.json()) as Echo;
    assert.equal(e.accountId, ownerAccount);
    assert.equal(e.iam?.accountId, ownerAccount);
    assert.equal(e.iam?.accessKey, owner.accessKeyId);
    assert.equal(e.body, '{"a":1}');

    assert.equal((await signedFetch(mate, `${iamUrl}who`)).status, 403, "another account, no statement");
    await client(owner).send(
      new AddPermissionCommand({
        FunctionName: "echo",
        Qualifier: "live",
        StatementId: "mate-url",
        Action: "lambda:InvokeFunctionUrl",
        Principal: mateAccount,
        FunctionUrlAuthType: "AWS_IAM",
      }),
    );
    const theirs = await signedFetch(mate, `${iamUrl}who`);
    assert.equal(theirs.status, 201);
    assert.equal(((await theirs.json()) as Echo).iam?.accountId, mateAccount);
    await client(owner).send(
      new RemovePermissionCommand({ FunctionName: "echo", Qualifier: "live", StatementId: "mate-url" }),
    );
    assert.equal((await signedFetch(mate, `${iamUrl}who`)).status, 403, "after RemovePermission");
  });

  test("a public URL statement is accepted as Lambda writes it, and never opens the function's ARN", async () => {
    await client(owner).send(
      new AddPermissionCommand({
        FunctionName: "echo",
        StatementId: "public-url",
        Action: "lambda:InvokeFunctionUrl",
        Principal: "*",
        FunctionUrlAuthType: "NONE",
      }),
    );
    const policy = JSON.parse(
      (await client(owner).send(new GetPolicyCommand({ FunctionName: "echo" }))).Policy!,
    ) as { Statement: { Sid: string; Principal: unknown; Condition?: unknown }[] };
    const st = policy.Statement.find((s) => s.Sid === "public-url");
    assert.equal(st?.Principal, "*");
    assert.deepEqual(st?.Condition, { StringEquals: { "lambda:FunctionUrlAuthType": "NONE" } });
    const everyone = await client(owner)
      .send(
        new AddPermissionCommand({
          FunctionName: "echo",
          StatementId: "everyone",
          Action: "lambda:InvokeFunction",
          Principal: "*",
        }),
      )
      .then(
        () => null,
        (e: Error) => e.name,
      );
    assert.equal(everyone, "InvalidParameterValueException");
  });

  test("CORS: a listed origin gets its preflight and headers; any other page is refused", async () => {
    const updated = await client(owner).send(
      new UpdateFunctionUrlConfigCommand({
        FunctionName: "echo",
        Cors: {
          AllowOrigins: ["http://app.example"],
          AllowMethods: ["GET", "POST"],
          AllowHeaders: ["content-type"],
          MaxAge: 60,
        },
      }),
    );
    assert.deepEqual(updated.Cors?.AllowOrigins, ["http://app.example"]);
    const pre = await fetch(`${publicUrl}x`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://app.example");
    assert.equal(pre.headers.get("access-control-max-age"), "60");
    const call = await fetch(`${publicUrl}x`, { headers: { origin: "http://app.example" } });
    assert.equal(call.status, 201);
    assert.equal(call.headers.get("access-control-allow-origin"), "http://app.example");
    const other = await fetch(`${publicUrl}x`, { headers: { origin: "http://evil.example" } });
    assert.equal(other.status, 403);
  });

  test("an update of the auth type takes effect at once; a deleted URL answers 404", async () => {
    await client(owner).send(
      new UpdateFunctionUrlConfigCommand({ FunctionName: "echo", AuthType: "AWS_IAM" }),
    );
    assert.equal((await fetch(`${publicUrl}x`)).status, 403);
    assert.equal((await signedFetch(owner, `${publicUrl}x`)).status, 201);
    const del = await client(owner).send(new DeleteFunctionUrlConfigCommand({ FunctionName: "echo" }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    assert.equal((await signedFetch(owner, `${publicUrl}x`)).status, 404);
    const gone = await client(owner)
      .send(new GetFunctionUrlConfigCommand({ FunctionName: "echo" }))
      .then(
        () => null,
        (e: Error) => e.name,
      );
    assert.equal(gone, "ResourceNotFoundException");
    const bad = await client(owner)
      .send(new CreateFunctionUrlConfigCommand({ FunctionName: "echo", AuthType: "OPEN" as "NONE" }))
      .then(
        () => null,
        (e: Error) => e.message,
      );
    assert.match(bad ?? "", /AuthType/);
  });
});

describe("a RESPONSE_STREAM URL", () => {
  test("sends a streaming handler's lines as written, with the status, headers and cookies of its prelude", async () => {
    const made = await client(owner).send(
      new CreateFunctionUrlConfigCommand({
        FunctionName: "streamy",
        AuthType: "NONE",
        InvokeMode: "RESPONSE_STREAM",
      }),
    );
    assert.equal(made.InvokeMode, "RESPONSE_STREAM");
    const url = made.FunctionUrl!;
    // The first call loads the sandbox; the figures below are a warm one's.
    await timedBody(`${url}warm`);

    const plain = await timedBody(`${url}text`);
    assert.equal(plain.res.status, 200);
    assert.equal(plain.res.headers.get("content-type"), "text/plain");
    assert.equal(plain.pieces.map((p) => p.text).join(""), "line 0\nline 1\nline 2\nline 3\nline 4\n");
    const first = plain.pieces[0]!.ms;
    const last = plain.pieces.at(-1)!.ms;
    console.log(`# streamed URL: ${plain.pieces.length} pieces, first at ${first} ms, last at ${last} ms`);
    assert.ok(plain.pieces.length >= 3, `the lines came in ${plain.pieces.length} piece(s), not as written`);
    assert.ok(last - first >= 600, `the pieces arrived within ${last - first} ms of each other`);

    const http = await timedBody(`${url}http`);
    assert.equal(http.res.status, 202);
    assert.equal(http.res.headers.get("content-type"), "text/event-stream");
    assert.equal(http.res.headers.get("x-from"), "streamer");
    assert.equal(http.res.headers.get("set-cookie"), "flavour=oat");
    assert.equal(http.pieces.map((p) => p.text).join(""), "line 0\nline 1\nline 2\nline 3\nline 4\n");
    assert.ok(http.pieces.length >= 3);

    // The same function behind a BUFFERED URL answers once, whole.
    await client(owner).send(
      new UpdateFunctionUrlConfigCommand({ FunctionName: "streamy", InvokeMode: "BUFFERED" }),
    );
    const whole = await fetch(`${url}text`);
    assert.equal(whole.status, 200);
    assert.equal(await whole.text(), "line 0\nline 1\nline 2\nline 3\nline 4\n");
  });
});

describe("function URLs with Debian's aws CLI", () => {
  test(
    "create-function-url-config, add-permission for the public URL, a call, get and delete",
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
                AWS_ACCESS_KEY_ID: owner.accessKeyId,
                AWS_SECRET_ACCESS_KEY: owner.secretAccessKey,
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
      const made = await aws("create-function-url-config", "--function-name", "echo", "--auth-type", "NONE");
      assert.equal(made.code, 0, made.err);
      const url = (JSON.parse(made.out) as { FunctionUrl: string }).FunctionUrl;
      const perm = await aws(
        "add-permission",
        "--function-name",
        "echo",
        "--statement-id",
        "cli-url",
        "--action",
        "lambda:InvokeFunctionUrl",
        "--principal",
        "*",
        "--function-url-auth-type",
        "NONE",
      );
      assert.equal(perm.code, 0, perm.err);
      const res = await fetch(`${url}from-cli`);
      assert.equal(res.status, 201);
      assert.equal(((await res.json()) as Echo).rawPath, "/from-cli");
      const got = await aws("get-function-url-config", "--function-name", "echo");
      assert.equal(got.code, 0, got.err);
      assert.equal((JSON.parse(got.out) as { AuthType: string }).AuthType, "NONE");
      const del = await aws("delete-function-url-config", "--function-name", "echo");
      assert.equal(del.code, 0, del.err);
      assert.equal((await fetch(`${url}from-cli`)).status, 404);
    },
  );
});
