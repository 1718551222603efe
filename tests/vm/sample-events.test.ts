// Every sample event `hearth event generate` offers reaches a real handler in a VM in the shape that handler reads
// for its source (API Gateway 2.0 and 1.0, SQS, SNS, S3, EventBridge, DynamoDB streams, Kinesis), with what
// --set changed, through the CLI as a user drives it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliEnv, hearth, serveHearth, stopHearth, type Running } from "../helpers/hearth-cli.ts";

const data = mkdtempSync(join(tmpdir(), "hearth-samples-"));
const work = mkdtempSync(join(tmpdir(), "hearth-samples-work-"));
const env = cliEnv(data);

async function ok(args: string[], input?: string): Promise<string> {
  const r = await hearth(env, args, input);
  assert.equal(r.code, 0, `hearth ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** What a handler written for each source reads from its event. */
const READER = `export const handler = async (event) => {
  if (event.version === "2.0" && event.requestContext?.http)
    return { kind: "apigateway-http", value: event.requestContext.http.method + " " + event.rawPath };
  if (event.httpMethod && event.requestContext?.resourcePath !== undefined)
    return { kind: "apigateway-rest", value: event.httpMethod + " " + event.path };
  if (event["detail-type"] === "Scheduled Event")
    return { kind: "eventbridge-scheduled", value: event.resources[0] };
  const r = event.Records?.[0];
  if (r?.eventSource === "aws:sqs") return { kind: "sqs", value: r.body };
  if (r?.EventSource === "aws:sns") return { kind: "sns", value: r.Sns.Message };
  if (r?.eventSource === "aws:s3") return { kind: "s3-put", value: r.s3.bucket.name + "/" + r.s3.object.key };
  if (r?.eventSource === "aws:dynamodb") return { kind: "dynamodb-stream", value: r.eventName };
  if (r?.eventSource === "aws:kinesis")
    return { kind: "kinesis", value: Buffer.from(r.kinesis.data, "base64").toString("utf8") };
  return { kind: "unknown", value: JSON.stringify(event).slice(0, 200) };
};
`;

/** One field each source's event lets you set, and what the handler then reads. */
const SET: Record<string, { set: string; expect: string | RegExp }> = {
  "apigateway-http": { set: "path=/orders/7", expect: "GET /orders/7" },
  "apigateway-rest": { set: "method=POST", expect: /^POST \// },
  sqs: { set: "body=order 7 shipped", expect: "order 7 shipped" },
  sns: { set: "message=hello subscribers", expect: "hello subscribers" },
  "s3-put": { set: "key=uploads/cat.png", expect: /\/uploads\/cat\.png$/ },
  "eventbridge-scheduled": { set: "rule=nightly", expect: /:rule\/nightly$/ },
  "dynamodb-stream": { set: "event=REMOVE", expect: "REMOVE" },
  kinesis: { set: "data=sensor 4 up", expect: "sensor 4 up" },
};

let server: Running | null = null;

before(async () => {
  server = await serveHearth(env);
  await ok(["profile", "create", "samples"]);
  const dir = join(work, "reader");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.mjs"), READER);
  writeFileSync(
    join(dir, "task.json"),
    JSON.stringify({ name: "reader", runtime: "nodejs22.x", handler: "index.handler", timeoutS: 10 }),
  );
  await ok(["import", dir]);
});

after(async () => {
  await stopHearth(server);
  rmSync(data, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test("each sample event source is generated, invoked and read by a handler as its source's event", async () => {
  const sources = (JSON.parse(await ok(["event", "ls", "--json"])) as { source: string }[]).map(
    (s) => s.source,
  );
  // Every source the CLI offers is checked here: a new one without a row fails this test.
  assert.deepEqual([...sources].sort(), Object.keys(SET).sort());
  for (const source of sources) {
    const { set, expect } = SET[source]!;
    const event = await ok(["event", "generate", source, "--set", set]);
    JSON.parse(event);
    const got = JSON.parse(await ok(["invoke", "reader", "--payload", "-"], event)) as {
      kind: string;
      value: string;
    };
    assert.equal(got.kind, source, `${source}: the handler read ${JSON.stringify(got)}`);
    if (typeof expect === "string") assert.equal(got.value, expect, source);
    else assert.match(got.value, expect, source);
  }
});
