// Sample events in the shapes AWS services send to a function: API Gateway HTTP (payload 2.0) and REST (1.0),
// SQS, SNS, S3 put, an EventBridge schedule, a DynamoDB stream and Kinesis. Each source lists the fields a caller
// may set (`--set key=value`); any other key is refused by name, and every value is checked before it is used.
import { createHash, randomUUID } from "node:crypto";

const md5Hex = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

/** Thrown for a field that cannot be set as given; `field` names it. */
export class SampleEventError extends Error {
  readonly code = "INVALID_EVENT_FIELD";
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = "SampleEventError";
  }
}

/** What a generator needs besides the fields: the time and a source of ids, so tests can fix both. */
export interface SampleContext {
  now: Date;
  uuid: () => string;
}

interface FieldSpec {
  /** What the field is, for `hearth event ls`. */
  about: string;
  default: string;
  /** Returns why the value is refused, or null. */
  check?: (value: string) => string | null;
}

interface SourceSpec {
  about: string;
  fields: Record<string, FieldSpec>;
  make: (f: Record<string, string>, c: SampleContext) => unknown;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const oneOf =
  (values: string[]) =>
  (v: string): string | null =>
    values.includes(v) ? null : `must be one of ${values.join(", ")}`;
const matching =
  (re: RegExp, what: string) =>
  (v: string): string | null =>
    re.test(v) ? null : what;
const pathCheck = matching(/^\/[\x21-\x7e]*$/, "must start with / and hold no spaces or control characters");
const nameCheck = matching(/^[A-Za-z0-9_.-]{1,80}$/, "must be 1–80 letters, digits, '_', '.' or '-'");

/** Fields every source has. */
const COMMON: Record<string, FieldSpec> = {
  region: {
    about: "the AWS region in ARNs and hosts",
    default: "us-east-1",
    check: matching(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "must be a region name such as us-east-1"),
  },
  account: {
    about: "the 12-digit account id in ARNs",
    default: "123456789012",
    check: matching(/^\d{12}$/, "must be 12 digits"),
  },
};

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const hex = (c: SampleContext, n: number): string => c.uuid().replaceAll("-", "").slice(0, n).padEnd(n, "0");
const epochMs = (c: SampleContext): number => c.now.getTime();
/** API Gateway's request time: 06/Dec/2026:21:00:00 +0000. */
function gatewayTime(d: Date): string {
  const mon = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ")[d.getUTCMonth()];
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function queryOf(query: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const params = new URLSearchParams(query);
  const multi: Record<string, string[]> = {};
  for (const [k, v] of params) (multi[k] ??= []).push(v);
  if (Object.keys(multi).length === 0) return { single: null, multi: null };
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v.at(-1)!]));
  return { single, multi };
}

const API_ID = "a1b2c3d4e5";
const USER_AGENT = "curl/8.5.0";
const SOURCE_IP = "203.0.113.7";

const SOURCES: Record<string, SourceSpec> = {
  "apigateway-http": {
    about: "API Gateway HTTP API request, payload format 2.0",
    fields: {
      method: { about: "the HTTP method", default: "GET", check: oneOf(METHODS) },
      path: { about: "the request path", default: "/hello", check: pathCheck },
      query: { about: "the query string, without '?'", default: "" },
      body: { about: "the request body (text)", default: "" },
      stage: {
        about: "the stage",
        default: "$default",
        check: matching(/^[$A-Za-z0-9_-]{1,64}$/, "must be a stage name"),
      },
    },
    make: (f, c) => {
      const host = `${API_ID}.execute-api.${f.region}.amazonaws.com`;
      const q = queryOf(f.query!);
      const routeKey = `${f.method} ${f.path}`;
      return {
        version: "2.0",
        routeKey,
        rawPath: f.path,
        rawQueryString: f.query,
        headers: {
          accept: "*/*",
          "content-length": String(Buffer.byteLength(f.body!)),
          ...(f.body ? { "content-type": "application/json" } : {}),
          host,
          "user-agent": USER_AGENT,
          "x-amzn-trace-id": `Root=1-${Math.floor(epochMs(c) / 1000).toString(16)}-${hex(c, 24)}`,
          "x-forwarded-for": SOURCE_IP,
          "x-forwarded-port": "443",
          "x-forwarded-proto": "https",
        },
        ...(q.single ? { queryStringParameters: q.single } : {}),
        requestContext: {
          accountId: f.account,
          apiId: API_ID,
          domainName: host,
          domainPrefix: API_ID,
          http: {
            method: f.method,
            path: f.path,
            protocol: "HTTP/1.1",
            sourceIp: SOURCE_IP,
            userAgent: USER_AGENT,
          },
          requestId: hex(c, 16),
          routeKey,
          stage: f.stage,
          time: gatewayTime(c.now),
          timeEpoch: epochMs(c),
        },
        ...(f.body ? { body: f.body } : {}),
        isBase64Encoded: false,
      };
    },
  },
  "apigateway-rest": {
    about: "API Gateway REST API request (Lambda proxy integration, payload format 1.0)",
    fields: {
      method: { about: "the HTTP method", default: "GET", check: oneOf(METHODS) },
      path: { about: "the request path", default: "/hello", check: pathCheck },
      resource: {
        about: "the resource the path matched (default: the path)",
        default: "",
        check: (v) => (v === "" ? null : pathCheck(v)),
      },
      query: { about: "the query string, without '?'", default: "" },
      body: { about: "the request body (text)", default: "" },
      stage: {
        about: "the stage",
        default: "prod",
        check: matching(/^[A-Za-z0-9_-]{1,64}$/, "must be a stage name"),
      },
    },
    make: (f, c) => {
      const host = `${API_ID}.execute-api.${f.region}.amazonaws.com`;
      const q = queryOf(f.query!);
      const headers: Record<string, string> = {
        Accept: "*/*",
        Host: host,
        "User-Agent": USER_AGENT,
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        ...(f.body ? { "Content-Type": "application/json" } : {}),
      };
      const resource = f.resource || f.path!;
      return {
        resource,
        path: f.path,
        httpMethod: f.method,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters: q.single,
        multiValueQueryStringParameters: q.multi,
        pathParameters: null,
        stageVariables: null,
        requestContext: {
          accountId: f.account,
          apiId: API_ID,
          resourceId: hex(c, 6),
          resourcePath: resource,
          httpMethod: f.method,
          path: `/${f.stage}${f.path}`,
          protocol: "HTTP/1.1",
          stage: f.stage,
          domainName: host,
          domainPrefix: API_ID,
          requestId: c.uuid(),
          extendedRequestId: hex(c, 16),
          requestTime: gatewayTime(c.now),
          requestTimeEpoch: epochMs(c),
          identity: {
            sourceIp: SOURCE_IP,
            userAgent: USER_AGENT,
            accountId: null,
            caller: null,
            user: null,
            userArn: null,
          },
        },
        body: f.body ? f.body : null,
        isBase64Encoded: false,
      };
    },
  },
  sqs: {
    about: "SQS messages delivered to a function (one record)",
    fields: {
      queue: { about: "the queue name", default: "my-queue", check: nameCheck },
      body: { about: "the message body", default: '{"hello":"world"}' },
    },
    make: (f, c) => ({
      Records: [
        {
          messageId: c.uuid(),
          receiptHandle: b64(`${c.uuid()}:${f.queue}`),
          body: f.body,
          attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(epochMs(c)),
            SenderId: `AIDA${hex(c, 16).toUpperCase()}`,
            ApproximateFirstReceiveTimestamp: String(epochMs(c) + 5),
          },
          messageAttributes: {},
          md5OfBody: md5Hex(f.body!),
          eventSource: "aws:sqs",
          eventSourceARN: `arn:aws:sqs:${f.region}:${f.account}:${f.queue}`,
          awsRegion: f.region,
        },
      ],
    }),
  },
  sns: {
    about: "an SNS notification delivered to a function",
    fields: {
      topic: { about: "the topic name", default: "my-topic", check: nameCheck },
      subject: { about: "the subject", default: "Example" },
      message: { about: "the message", default: '{"hello":"world"}' },
    },
    make: (f, c) => {
      const topicArn = `arn:aws:sns:${f.region}:${f.account}:${f.topic}`;
      return {
        Records: [
          {
            EventSource: "aws:sns",
            EventVersion: "1.0",
            EventSubscriptionArn: `${topicArn}:${c.uuid()}`,
            Sns: {
              Type: "Notification",
              MessageId: c.uuid(),
              TopicArn: topicArn,
              Subject: f.subject,
              Message: f.message,
              Timestamp: c.now.toISOString(),
              SignatureVersion: "1",
              Signature: b64(hex(c, 32)),
              SigningCertUrl: `https://sns.${f.region}.amazonaws.com/SimpleNotificationService-example.pem`,
              UnsubscribeUrl: `https://sns.${f.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}`,
              MessageAttributes: {},
            },
          },
        ],
      };
    },
  },
  "s3-put": {
    about: "an S3 ObjectCreated:Put notification",
    fields: {
      bucket: {
        about: "the bucket name",
        default: "my-bucket",
        check: matching(
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          "must be 3–63 lowercase letters, digits, '.' or '-'",
        ),
      },
      key: {
        about: "the object key",
        default: "uploads/example.txt",
        check: (v) => (v.length >= 1 && v.length <= 1024 ? null : "must be 1–1024 characters"),
      },
      size: {
        about: "the object's size in bytes",
        default: "1024",
        check: matching(/^\d{1,15}$/, "must be a whole number"),
      },
    },
    make: (f, c) => ({
      Records: [
        {
          eventVersion: "2.1",
          eventSource: "aws:s3",
          awsRegion: f.region,
          eventTime: c.now.toISOString(),
          eventName: "ObjectCreated:Put",
          userIdentity: { principalId: `AWS:AIDA${hex(c, 16).toUpperCase()}` },
          requestParameters: { sourceIPAddress: SOURCE_IP },
          responseElements: { "x-amz-request-id": hex(c, 16).toUpperCase(), "x-amz-id-2": b64(hex(c, 32)) },
          s3: {
            s3SchemaVersion: "1.0",
            configurationId: "hearth-sample",
            bucket: {
              name: f.bucket,
              ownerIdentity: { principalId: hex(c, 14).toUpperCase() },
              arn: `arn:aws:s3:::${f.bucket}`,
            },
            // S3 sends the key URL-encoded, spaces as '+'.
            object: {
              key: encodeURIComponent(f.key!).replaceAll("%20", "+").replaceAll("%2F", "/"),
              size: Number(f.size),
              eTag: md5Hex(f.key!),
              sequencer: hex(c, 18).toUpperCase(),
            },
          },
        },
      ],
    }),
  },
  "eventbridge-scheduled": {
    about: "an EventBridge scheduled event (a rule's schedule fired)",
    fields: { rule: { about: "the rule's name", default: "every-5-minutes", check: nameCheck } },
    make: (f, c) => ({
      version: "0",
      id: c.uuid(),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: f.account,
      time: c.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: f.region,
      resources: [`arn:aws:events:${f.region}:${f.account}:rule/${f.rule}`],
      detail: {},
    }),
  },
  "dynamodb-stream": {
    about: "a DynamoDB stream record (NEW_AND_OLD_IMAGES)",
    fields: {
      table: {
        about: "the table name",
        default: "my-table",
        check: matching(/^[A-Za-z0-9_.-]{3,255}$/, "must be 3–255 letters, digits, '_', '.' or '-'"),
      },
      event: {
        about: "what happened to the item",
        default: "INSERT",
        check: oneOf(["INSERT", "MODIFY", "REMOVE"]),
      },
    },
    make: (f, c) => {
      const keys = { Id: { N: "101" } };
      const newImage = { Id: { N: "101" }, Message: { S: "New item!" } };
      const oldImage = { Id: { N: "101" }, Message: { S: "Old item" } };
      const at = Math.floor(epochMs(c) / 1000);
      return {
        Records: [
          {
            eventID: hex(c, 32),
            eventName: f.event,
            eventVersion: "1.1",
            eventSource: "aws:dynamodb",
            awsRegion: f.region,
            dynamodb: {
              ApproximateCreationDateTime: at,
              Keys: keys,
              ...(f.event !== "REMOVE" ? { NewImage: newImage } : {}),
              ...(f.event !== "INSERT" ? { OldImage: oldImage } : {}),
              SequenceNumber: String(at).padEnd(21, "0"),
              SizeBytes: 26,
              StreamViewType: "NEW_AND_OLD_IMAGES",
            },
            eventSourceARN: `arn:aws:dynamodb:${f.region}:${f.account}:table/${f.table}/stream/${c.now.toISOString().replace(/Z$/, "")}`,
          },
        ],
      };
    },
  },
  kinesis: {
    about: "a Kinesis Data Streams record (data base64-encoded, as Lambda receives it)",
    fields: {
      stream: {
        about: "the stream name",
        default: "my-stream",
        check: matching(/^[A-Za-z0-9_.-]{1,128}$/, "must be 1–128 letters, digits, '_', '.' or '-'"),
      },
      "partition-key": {
        about: "the record's partition key",
        default: "1",
        check: (v) => (v.length >= 1 && v.length <= 256 ? null : "must be 1–256 characters"),
      },
      data: { about: "the record's data (text; sent base64-encoded)", default: '{"hello":"world"}' },
    },
    make: (f, c) => {
      const seq = `4959${String(epochMs(c)).padStart(15, "0")}${"0".repeat(37)}`.slice(0, 56);
      return {
        Records: [
          {
            kinesis: {
              kinesisSchemaVersion: "1.0",
              partitionKey: f["partition-key"],
              sequenceNumber: seq,
              data: b64(f.data!),
              approximateArrivalTimestamp: epochMs(c) / 1000,
            },
            eventSource: "aws:kinesis",
            eventVersion: "1.0",
            eventID: `shardId-000000000000:${seq}`,
            eventName: "aws:kinesis:record",
            invokeIdentityArn: `arn:aws:iam::${f.account}:role/lambda-role`,
            awsRegion: f.region,
            eventSourceARN: `arn:aws:kinesis:${f.region}:${f.account}:stream/${f.stream}`,
          },
        ],
      };
    },
  },
};

/** The sources, each with what it is and the fields it takes (with their defaults). */
export function sampleSources(): {
  source: string;
  about: string;
  fields: { name: string; about: string; default: string }[];
}[] {
  return Object.entries(SOURCES).map(([source, s]) => ({
    source,
    about: s.about,
    fields: Object.entries({ ...s.fields, ...COMMON }).map(([name, f]) => ({
      name,
      about: f.about,
      default: f.default,
    })),
  }));
}

/** Values longer than this are refused: a sample event is a payload, and a payload is at most 6 MB. */
const MAX_FIELD_CHARS = 1_000_000;

/** An event of `source` with the fields set as given; an unknown source or field, or a bad value, is refused. */
export function sampleEvent(
  source: string,
  set: Record<string, string> = {},
  c: SampleContext = { now: new Date(), uuid: randomUUID },
): unknown {
  const spec = Object.hasOwn(SOURCES, source) ? SOURCES[source] : undefined;
  if (!spec) {
    throw new SampleEventError(
      "source",
      `no sample event "${source}"; sources: ${Object.keys(SOURCES).join(", ")}`,
    );
  }
  const fields = { ...spec.fields, ...COMMON };
  const values: Record<string, string> = {};
  for (const [name, f] of Object.entries(fields)) values[name] = f.default;
  for (const [name, value] of Object.entries(set)) {
    const f = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!f) {
      throw new SampleEventError(
        name,
        `${source} has no field "${name}"; fields: ${Object.keys(fields).join(", ")}`,
      );
    }
    if (value.length > MAX_FIELD_CHARS)
      throw new SampleEventError(name, `is longer than ${MAX_FIELD_CHARS} characters`);
    const why = f.check?.(value);
    if (why) throw new SampleEventError(name, why);
    values[name] = value;
  }
  return spec.make(values, c);
}
