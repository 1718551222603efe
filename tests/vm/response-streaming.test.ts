// Lambda response streaming on a real `hearth serve` stack with real VMs: a handler wrapped in
// awslambda.streamifyResponse, read with the AWS SDK's InvokeWithResponseStream as it writes, and with plain Invoke.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  type InvokeWithResponseStreamCommandOutput,
} from "@aws-sdk/client-lambda";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { PreludeSplitter } from "../../main/http/http-integration-response.ts";
import { startServer } from "../../main/http/server.ts";
import { MAX_STREAMED_RESPONSE_BYTES } from "../../main/vm/protocol.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { importFolder } from "../helpers/import-fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-streaming-"));
let host: Host;
let server: FastifyInstance;
let endpoint = "";
let creds = { accessKeyId: "", secretAccessKey: "" };

const client = () => new LambdaClient({ endpoint, region: "us-east-1", credentials: creds, maxAttempts: 1 });
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

before(async () => {
  host = await Host.start({ dataDir });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const { profile, credentials } = await host.store.documents.update((s) =>
    createProfile(s, { name: "streams" }, ctx),
  );
  creds = { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
  for (const name of ["streamer", "echo-node"]) await importFolder(host.store, profile.id, fixtureDir(name));
  // Says why, should a VM fail under this machine's load while the tests run.
  host.pool.on("vm-state", (e) => {
    if (e.to === "failed") console.log(`# ${e.vm.name} failed: ${e.reason ?? "?"}`);
  });
  host.pool.on("problem", (p) => console.log(`# pool: ${p.message}`));
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  endpoint = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
  // Warm both, so the figures below are a warm sandbox's and not a cold start's.
  for (const FunctionName of ["streamer", "echo"]) {
    const r = await client().send(
      new InvokeCommand({ FunctionName, Payload: json({ chunks: 1, gapMs: 0 }) }),
    );
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  }
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Received {
  at: number;
  chunk?: Buffer;
  complete?: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string };
}

/** The events of an answer as the SDK decodes them, each with when it arrived (ms after `t0`). */
async function events(out: InvokeWithResponseStreamCommandOutput, t0: number): Promise<Received[]> {
  const got: Received[] = [];
  for await (const e of out.EventStream!) {
    const at = performance.now() - t0;
    if (e.PayloadChunk) got.push({ at, chunk: Buffer.from(e.PayloadChunk.Payload ?? []) });
    if (e.InvokeComplete) got.push({ at, complete: { ...e.InvokeComplete } });
  }
  return got;
}

async function streamed(payload: unknown, extra: { FunctionName?: string; LogType?: "Tail" } = {}) {
  const t0 = performance.now();
  const out = await client().send(
    new InvokeWithResponseStreamCommand({ FunctionName: "streamer", Payload: json(payload), ...extra }),
  );
  const got = await events(out, t0);
  const chunks = got.filter((e) => e.chunk);
  return {
    out,
    got,
    chunks,
    body: Buffer.concat(chunks.map((e) => e.chunk!)),
    complete: got.at(-1)?.complete,
  };
}

describe("InvokeWithResponseStream with the AWS SDK v3", () => {
  test("a streamified handler's chunks arrive as it writes them, 300 ms apart, then InvokeComplete", async () => {
    const r = await streamed({ chunks: 5, gapMs: 300 });
    assert.equal(r.out.StatusCode, 200);
    assert.equal(r.out.ExecutedVersion, "$LATEST");
    assert.equal(r.body.toString(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
    assert.ok(r.chunks.length >= 5, `${r.chunks.length} PayloadChunk events`);
    assert.deepEqual(r.complete, {});
    assert.equal(r.got.at(-1)!.complete !== undefined, true, "InvokeComplete comes last");
    const first = r.chunks[0]!.at;
    const last = r.chunks.at(-1)!.at;
    const end = r.got.at(-1)!.at;
    const times = r.got.map((e) => e.at.toFixed(0)).join(", ");
    console.log(
      `# first chunk after ${first.toFixed(0)} ms, last chunk after ${last.toFixed(0)} ms, ` +
        `InvokeComplete after ${end.toFixed(0)} ms (events at ${times} ms)`,
    );
    // Written 4 × 300 ms apart: had they been held to the end, they would arrive together.
    assert.ok(last - first > 900, `chunks spread over ${(last - first).toFixed(0)} ms only`);
    assert.ok(end - first > 1000, `the first chunk came only ${(end - first).toFixed(0)} ms before the end`);
  });

  test("plain Invoke of the same handler gets the chunks joined into its payload", async () => {
    const r = await client().send(
      new InvokeCommand({ FunctionName: "streamer", Payload: json({ chunks: 3, gapMs: 20 }) }),
    );
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, undefined);
    assert.equal(Buffer.from(r.Payload ?? []).toString(), "chunk 0\nchunk 1\nchunk 2\n");
  });

  test("a handler that throws mid-stream: the chunks it wrote, then InvokeComplete with its error", async () => {
    const r = await streamed({ chunks: 5, gapMs: 50, failAt: 2 });
    assert.equal(r.body.toString(), "chunk 0\nchunk 1\n");
    assert.equal(r.complete?.ErrorCode, "Error");
    assert.equal(r.complete?.ErrorDetails, "failed after 2 chunks");
    // Plain Invoke sees the same failure as Lambda's function error.
    const plain = await client().send(
      new InvokeCommand({ FunctionName: "streamer", Payload: json({ chunks: 3, gapMs: 0, failAt: 1 }) }),
    );
    assert.equal(plain.FunctionError, "Unhandled");
    assert.equal(
      JSON.parse(Buffer.from(plain.Payload ?? []).toString()).errorMessage,
      "failed after 1 chunks",
    );
  });

  test("a handler that does not stream arrives as one chunk holding its JSON", async () => {
    const r = await streamed({ hello: "stream" }, { FunctionName: "echo" });
    assert.equal(r.chunks.length, 1);
    assert.deepEqual(JSON.parse(r.body.toString()), { echo: { hello: "stream" }, version: "$LATEST" });
    assert.deepEqual(r.complete, {});
  });

  test("LogType Tail puts the invocation's log in InvokeComplete's LogResult", async () => {
    const r = await streamed({ chunks: 2, gapMs: 10 }, { LogType: "Tail" });
    const log = Buffer.from(r.complete?.LogResult ?? "", "base64").toString("utf8");
    assert.match(
      log,
      /^START RequestId: \S+ Version: \$LATEST\nwriting chunk 0\nwriting chunk 1\nEND RequestId: /,
    );
    assert.match(log, /REPORT RequestId: .*Duration: [\d.]+ ms.*Max Memory Used: \d+ MB/);
  });

  test("HttpResponseStream.from: the prelude splits off the streamed bytes with the splitter URLs use", async () => {
    const r = await streamed({ http: true, chunks: 2, gapMs: 10 });
    const split = new PreludeSplitter();
    const body = Buffer.concat(r.chunks.map((e) => split.push(e.chunk!)));
    assert.deepEqual(split.end(), {
      statusCode: 201,
      headers: { "x-from": "streamer" },
      cookies: ["flavour=oat"],
    });
    assert.equal(body.toString(), "chunk 0\nchunk 1\n");
  });

  test("past 20 MiB the stream stops and InvokeComplete says Function.ResponseSizeTooLarge", async () => {
    const t0 = performance.now();
    const r = await streamed({ bytes: 21 * 1024 * 1024 });
    console.log(`# 20 MiB streamed and refused in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(r.body.length <= MAX_STREAMED_RESPONSE_BYTES, `${r.body.length} bytes arrived`);
    assert.ok(r.body.length > MAX_STREAMED_RESPONSE_BYTES - 1024 * 1024, `${r.body.length} bytes arrived`);
    assert.equal(r.complete?.ErrorCode, "Function.ResponseSizeTooLarge");
    // The sandbox serves on.
    const next = await streamed({ chunks: 1, gapMs: 0 });
    assert.equal(next.body.toString(), "chunk 0\n");
  });
});

const AWS = "/usr/bin/aws";
describe("invoke-with-response-stream with Debian's awscli", () => {
  test("aws lambda invoke-with-response-stream against the local port", async (t) => {
    if (!existsSync(AWS)) return t.skip("needs Debian's awscli (.ci/run installs it)");
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_PAGER: "",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    // Asynchronous on purpose: the server answering the CLI runs in this very process.
    const aws = (args: string[]) =>
      new Promise<{ status: number; stdout: string; stderr: string }>((resolve) =>
        execFile(AWS, args, { env, encoding: "utf8" }, (err, stdout, stderr) =>
          resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    // Debian 12's awscli (2.9.19) predates the command (its model has no InvokeWithResponseStream): skip, saying so.
    const help = await aws(["lambda", "invoke-with-response-stream", "help"]);
    if (help.status !== 0) {
      const version = (await aws(["--version"])).stdout.trim();
      return t.skip(`${version} has no "aws lambda invoke-with-response-stream"`);
    }
    const out = join(dataDir, "aws-stream-out.txt");
    const r = await aws([
      "--endpoint-url",
      endpoint,
      "lambda",
      "invoke-with-response-stream",
      "--function-name",
      "streamer",
      "--cli-binary-format",
      "raw-in-base64-out",
      "--payload",
      '{"chunks":3,"gapMs":10}',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(out, "utf8"), "chunk 0\nchunk 1\nchunk 2\n");
  });
});
