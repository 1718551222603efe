// Sample events: every source in the shape its AWS service sends, fields set only from each source's own list,
// every value checked with the field named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  SampleEventError,
  sampleEvent,
  sampleSources,
} from "../../../../../main/domain/events/sample-events.ts";

let n = 0;
const fixed = {
  now: new Date("2026-12-06T21:00:05.123Z"),
  uuid: () => `0000000${++n}-aaaa-bbbb-cccc-dddddddddddd`,
};
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const gen = (source: string, set: Record<string, string> = {}): Any => sampleEvent(source, set, fixed) as Any;

test("every source makes an event with its defaults, and the list names each with its fields", () => {
  const sources = sampleSources();
  assert.deepEqual(
    sources.map((s) => s.source),
    [
      "apigateway-http",
      "apigateway-rest",
      "sqs",
      "sns",
      "s3-put",
      "eventbridge-scheduled",
      "dynamodb-stream",
      "kinesis",
    ],
  );
  for (const s of sources) {
    const names = s.fields.map((f) => f.name);
    assert.ok(names.includes("region") && names.includes("account"), `${s.source}: ${names.join(",")}`);
    const e = gen(s.source);
    assert.deepEqual(JSON.parse(JSON.stringify(e)), e, `${s.source} is plain JSON`);
  }
});

test("API Gateway HTTP (2.0): route, method, path, query and body as set", () => {
  const e = gen("apigateway-http", {
    method: "POST",
    path: "/orders",
    query: "a=1&a=2&b=x%20y",
    body: '{"n":1}',
  });
  assert.equal(e.version, "2.0");
  assert.equal(e.routeKey, "POST /orders");
  assert.equal(e.rawPath, "/orders");
  assert.equal(e.rawQueryString, "a=1&a=2&b=x%20y");
  assert.deepEqual(e.queryStringParameters, { a: "2", b: "x y" });
  assert.equal(e.requestContext.http.method, "POST");
  assert.equal(e.requestContext.stage, "$default");
  assert.equal(e.requestContext.time, "06/Dec/2026:21:00:05 +0000");
  assert.equal(e.requestContext.timeEpoch, fixed.now.getTime());
  assert.equal(e.headers["content-type"], "application/json");
  assert.equal(e.body, '{"n":1}');
  assert.equal(e.isBase64Encoded, false);
  const plain = gen("apigateway-http");
  assert.equal(
    plain.queryStringParameters,
    undefined,
    "no query: the field is left out, as API Gateway does",
  );
  assert.equal(plain.body, undefined);
});

test("API Gateway REST (1.0): httpMethod, resource, multi-value query and the stage in the context's path", () => {
  const e = gen("apigateway-rest", {
    method: "PUT",
    path: "/items/7",
    resource: "/items/{id}",
    query: "t=1&t=2",
  });
  assert.equal(e.httpMethod, "PUT");
  assert.equal(e.resource, "/items/{id}");
  assert.equal(e.path, "/items/7");
  assert.deepEqual(e.queryStringParameters, { t: "2" });
  assert.deepEqual(e.multiValueQueryStringParameters, { t: ["1", "2"] });
  assert.equal(e.requestContext.path, "/prod/items/7");
  assert.equal(e.requestContext.resourcePath, "/items/{id}");
  assert.deepEqual(e.multiValueHeaders.Host, [e.headers.Host]);
  assert.equal(e.body, null);
  assert.equal(gen("apigateway-rest").queryStringParameters, null);
});

test("SQS, SNS, S3, EventBridge, DynamoDB and Kinesis records carry what their services send", () => {
  const sqs = gen("sqs", { queue: "orders", body: "hi", region: "eu-west-1", account: "111122223333" })
    .Records[0];
  assert.equal(sqs.eventSource, "aws:sqs");
  assert.equal(sqs.eventSourceARN, "arn:aws:sqs:eu-west-1:111122223333:orders");
  assert.equal(sqs.body, "hi");
  assert.equal(sqs.md5OfBody, createHash("md5").update("hi").digest("hex"));
  assert.equal(sqs.attributes.SentTimestamp, String(fixed.now.getTime()));

  const sns = gen("sns", { topic: "alerts", message: "m", subject: "s" }).Records[0];
  assert.equal(sns.EventSource, "aws:sns");
  assert.equal(sns.Sns.TopicArn, "arn:aws:sns:us-east-1:123456789012:alerts");
  assert.equal(sns.Sns.Message, "m");
  assert.equal(sns.Sns.Timestamp, "2026-12-06T21:00:05.123Z");

  const s3 = gen("s3-put", { bucket: "photos.example", key: "a b/c.jpg", size: "42" }).Records[0];
  assert.equal(s3.eventName, "ObjectCreated:Put");
  assert.equal(s3.s3.bucket.arn, "arn:aws:s3:::photos.example");
  assert.equal(s3.s3.object.key, "a+b/c.jpg", "the key URL-encoded, spaces as +");
  assert.equal(s3.s3.object.size, 42);

  const eb = gen("eventbridge-scheduled", { rule: "nightly" });
  assert.equal(eb["detail-type"], "Scheduled Event");
  assert.equal(eb.source, "aws.events");
  assert.equal(eb.time, "2026-12-06T21:00:05Z");
  assert.deepEqual(eb.resources, ["arn:aws:events:us-east-1:123456789012:rule/nightly"]);

  const ins = gen("dynamodb-stream").Records[0];
  assert.equal(ins.eventName, "INSERT");
  assert.ok(ins.dynamodb.NewImage && !ins.dynamodb.OldImage);
  const rem = gen("dynamodb-stream", { event: "REMOVE", table: "users" }).Records[0];
  assert.ok(rem.dynamodb.OldImage && !rem.dynamodb.NewImage);
  assert.match(rem.eventSourceARN, /^arn:aws:dynamodb:us-east-1:123456789012:table\/users\/stream\//);

  const k = gen("kinesis", { data: "payload ü", "partition-key": "pk" }).Records[0];
  assert.equal(Buffer.from(k.kinesis.data, "base64").toString("utf8"), "payload ü");
  assert.equal(k.kinesis.partitionKey, "pk");
  assert.equal(k.eventName, "aws:kinesis:record");
});

test("a field the source does not have, a bad value or an unknown source is refused, naming the field", () => {
  const refused = (source: string, set: Record<string, string>, field: string, text: RegExp): void => {
    assert.throws(
      () => sampleEvent(source, set, fixed),
      (e: unknown) => e instanceof SampleEventError && e.field === field && text.test(e.message),
      `${source} ${JSON.stringify(set)}`,
    );
  };
  refused(
    "sqs",
    { method: "POST" },
    "method",
    /sqs has no field "method"; fields: queue, body, region, account/,
  );
  refused("sqs", { constructor: "x" }, "constructor", /has no field/);
  refused("apigateway-http", { method: "FETCH" }, "method", /one of GET, POST/);
  refused("apigateway-http", { path: "orders" }, "path", /must start with \//);
  refused("apigateway-http", { path: "/a b" }, "path", /no spaces/);
  refused("s3-put", { bucket: "Bad_Bucket" }, "bucket", /lowercase/);
  refused("s3-put", { size: "-1" }, "size", /whole number/);
  refused("kinesis", { region: "mars" }, "region", /region name/);
  refused("sns", { account: "123" }, "account", /12 digits/);
  refused("dynamodb-stream", { event: "UPSERT" }, "event", /INSERT, MODIFY, REMOVE/);
  refused("sqs", { body: "x".repeat(1_000_001) }, "body", /longer than/);
  refused("carrier-pigeon", {}, "source", /no sample event "carrier-pigeon"; sources: apigateway-http/);
  refused("toString", {}, "source", /no sample event/);
});
