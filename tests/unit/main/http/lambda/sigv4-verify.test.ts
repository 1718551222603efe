// SigV4 verification against requests signed by the AWS SDK's own signer, and against AWS's published examples.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { HearthError, isHearthError } from "../../../../../main/domain/model/errors.ts";
import {
  verifySigV4,
  type SignedRequest,
  type SigV4VerifyOptions,
} from "../../../../../main/http/lambda/sigv4-verify.ts";

const KEY = "HKIAEXAMPLE000000001";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW = Date.parse("2024-05-06T07:08:09Z");

const bytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === "string"
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

/** The SDK's hash, written apart from the verifier's so the two cannot share a mistake. */
class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

/** The SDK's query encoding (extendedEncodeURIComponent): RFC 3986, so `!'()*` are escaped too. */
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

interface Outgoing {
  method: string;
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

/** Signs a request as the SDK would and returns it as the server receives it. */
async function signed(
  o: Outgoing,
  s: {
    key?: string;
    secret?: string;
    at?: number;
    service?: string;
    region?: string;
    applyChecksum?: boolean;
  } = {},
): Promise<SignedRequest> {
  const signer = new SignatureV4({
    service: s.service ?? "lambda",
    region: s.region ?? "us-east-1",
    credentials: { accessKeyId: s.key ?? KEY, secretAccessKey: s.secret ?? SECRET },
    sha256: Sha256,
    ...(s.applyChecksum === undefined ? {} : { applyChecksum: s.applyChecksum }),
  });
  const req = await signer.sign(
    {
      method: o.method,
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 7111,
      path: o.path,
      query: o.query ?? {},
      headers: { host: "127.0.0.1:7111", ...o.headers },
      body: o.body,
    },
    { signingDate: new Date(s.at ?? NOW) },
  );
  const query = Object.entries(o.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encode(k)}=${encode(x)}`))
    .join("&");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  return { method: o.method, path: o.path, query, headers, body: Buffer.from(o.body ?? "") };
}

const opts = (over: Partial<SigV4VerifyOptions> = {}): SigV4VerifyOptions => ({
  lookupSecret: (id) => (id === KEY ? SECRET : null),
  now: () => NOW,
  ...over,
});

async function refused(
  req: SignedRequest,
  o: SigV4VerifyOptions = opts(),
  message?: RegExp,
): Promise<HearthError> {
  const err = await verifySigV4(req, o).then(
    () => assert.fail("the request was accepted"),
    (e: unknown) => e,
  );
  assert.ok(isHearthError(err, "CREDENTIALS_INVALID"), `expected CREDENTIALS_INVALID, got ${String(err)}`);
  if (message) assert.match(err.message, message);
  return err;
}

const invokePath =
  "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aecho/invocations";
const jsonPost = (body = '{"hello":"world","n":[1,2,3]}'): Outgoing => ({
  method: "POST",
  path: invokePath,
  query: { Qualifier: "prod" },
  headers: { "content-type": "application/json", "x-amz-invocation-type": "RequestResponse" },
  body,
});

test("a GET signed by the SDK's signer is accepted and names its key and region", async () => {
  const req = await signed({ method: "GET", path: "/2015-03-31/functions/" }, { region: "eu-west-3" });
  assert.deepEqual(await verifySigV4(req, opts()), { accessKeyId: KEY, region: "eu-west-3" });
});

test("a GET with a query string (repeated keys, spaces, reserved characters) is accepted", async () => {
  const req = await signed({
    method: "GET",
    path: "/2015-03-31/functions/",
    query: { MaxItems: "10", Marker: "a b+c/d=e&f!*", FunctionVersion: "ALL", tag: ["z", "a"], empty: "" },
  });
  assert.match(req.query, /Marker=a%20b%2Bc%2Fd%3De%26f%21%2A/);
  assert.equal((await verifySigV4(req, opts())).accessKeyId, KEY);
});

test("a POST with a JSON body is accepted, with and without x-amz-content-sha256 (SDK v3 and botocore)", async () => {
  const withHash = await signed(jsonPost());
  assert.ok(withHash.headers["x-amz-content-sha256"]);
  assert.equal((await verifySigV4(withHash, opts())).accessKeyId, KEY);
  const without = await signed(jsonPost(), { applyChecksum: false });
  assert.equal(without.headers["x-amz-content-sha256"], undefined);
  assert.equal((await verifySigV4(without, opts())).accessKeyId, KEY);
});

test("a body given as a string or a Uint8Array verifies like a Buffer", async () => {
  const req = await signed(jsonPost("ünïcode ✓"));
  assert.ok(await verifySigV4({ ...req, body: "ünïcode ✓" }, opts()));
  assert.ok(await verifySigV4({ ...req, body: new Uint8Array(Buffer.from("ünïcode ✓")) }, opts()));
});

test("headers added after signing (a proxy's, user-agent) do not matter", async () => {
  const req = await signed(jsonPost());
  req.headers = { ...req.headers, "user-agent": "aws-cli/2", "x-forwarded-for": "10.0.0.1" };
  assert.ok(await verifySigV4(req, opts()));
});

test("a tampered body is refused, whether or not the request carries its hash", async () => {
  const withHash = await signed(jsonPost());
  await refused(
    { ...withHash, body: Buffer.from('{"hello":"mallory","n":[1,2,3]}') },
    opts(),
    /x-amz-content-sha256/,
  );
  const forged = createHash("sha256").update("{}").digest("hex");
  await refused({
    ...withHash,
    body: Buffer.from("{}"),
    headers: { ...withHash.headers, "x-amz-content-sha256": forged },
  });
  const without = await signed(jsonPost(), { applyChecksum: false });
  await refused({ ...without, body: Buffer.from("{}") }, opts(), /signature does not match/);
});

test("a tampered path, query or signed header is refused", async () => {
  const req = await signed(jsonPost());
  await refused({ ...req, path: invokePath.replace("echo", "admin") }, opts(), /signature does not match/);
  await refused({ ...req, query: "Qualifier=dev" }, opts(), /signature does not match/);
  await refused({ ...req, query: "" }, opts(), /signature does not match/);
  await refused(
    { ...req, headers: { ...req.headers, "x-amz-invocation-type": "Event" } },
    opts(),
    /signature does not match/,
  );
  await refused({ ...req, method: "PUT" }, opts(), /signature does not match/);
});

test("a signed header missing from the request is refused", async () => {
  const req = await signed(jsonPost());
  const headers = { ...req.headers };
  delete headers["content-type"];
  await refused({ ...req, headers }, opts(), /content-type is missing/);
});

test("the request date must be within 5 minutes of the clock, either way", async () => {
  const minutes = (n: number) => n * 60_000;
  assert.ok(await verifySigV4(await signed(jsonPost(), { at: NOW - minutes(4) }), opts()));
  assert.ok(await verifySigV4(await signed(jsonPost(), { at: NOW + minutes(4) }), opts()));
  await refused(await signed(jsonPost(), { at: NOW - minutes(6) }), opts(), /more than 5 minutes/);
  await refused(await signed(jsonPost(), { at: NOW + minutes(6) }), opts(), /more than 5 minutes/);
  // The allowed skew is a setting.
  await refused(await signed(jsonPost(), { at: NOW - minutes(2) }), opts({ maxSkewMs: minutes(1) }));
});

test("a changed x-amz-date is refused: it is signed", async () => {
  const req = await signed(jsonPost());
  await refused({ ...req, headers: { ...req.headers, "x-amz-date": "20240506T070900Z" } });
  await refused({ ...req, headers: { ...req.headers, "x-amz-date": "yesterday" } }, opts(), /x-amz-date/);
  await refused(
    { ...req, headers: { ...req.headers, "x-amz-date": "20240231T070809Z" } },
    opts(),
    /x-amz-date/,
  );
});

test("a wrong secret and an unknown key id are refused with the very same error", async () => {
  const wrongSecret = await refused(await signed(jsonPost(), { secret: SECRET.replace("w", "W") }));
  const unknownKey = await refused(await signed(jsonPost(), { key: "HKIANOSUCHKEY0000000" }));
  // openSigningSecret refuses an unknown id by throwing; that must look the same too.
  const thrown = await refused(
    await signed(jsonPost(), { key: "HKIANOSUCHKEY0000000" }),
    opts({
      lookupSecret: () => {
        throw new HearthError(
          "CREDENTIALS_INVALID",
          "the access key id or secret is not valid",
          "accessKeyId",
        );
      },
    }),
  );
  assert.deepEqual(unknownKey.toJSON(), wrongSecret.toJSON());
  assert.deepEqual(thrown.toJSON(), wrongSecret.toJSON());
  assert.doesNotMatch(wrongSecret.message, /HKIA|unknown|exist/i);
});

test("an async lookup is awaited, and a lookup that fails for another reason is not hidden", async () => {
  const req = await signed(jsonPost());
  assert.ok(await verifySigV4(req, opts({ lookupSecret: async () => SECRET })));
  await assert.rejects(
    verifySigV4(req, opts({ lookupSecret: () => Promise.reject(new Error("store unreadable")) })),
    /store unreadable/,
  );
});

test("malformed Authorization headers are refused", async () => {
  const req = await signed(jsonPost());
  const auth = req.headers.authorization as string;
  const withAuth = (authorization: string | undefined): SignedRequest => {
    const headers = { ...req.headers };
    if (authorization === undefined) delete headers.authorization;
    else headers.authorization = authorization;
    return { ...req, headers };
  };
  await refused(withAuth(undefined), opts(), /no Authorization header/);
  await refused(withAuth(""), opts(), /no Authorization header/);
  await refused(withAuth("Bearer hth_abc"), opts(), /AWS4-HMAC-SHA256/);
  await refused(
    withAuth(auth.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
    opts(),
    /AWS4-HMAC-SHA256/,
  );
  await refused(
    withAuth(auth.replace(/, Signature=\w+/, "")),
    opts(),
    /exactly Credential, SignedHeaders and Signature/,
  );
  await refused(withAuth(`${auth}, Signature=${"0".repeat(64)}`), opts(), /malformed/);
  await refused(withAuth(auth.replace(/Signature=\w+/, "Signature=xyz")), opts(), /64 lower-case hex/);
  await refused(withAuth(auth.replace(/Signature=(\w+)/, (_, s: string) => `Signature=${s.toUpperCase()}`)));
  await refused(withAuth(auth.replace("/lambda/", "/s3/")), opts(), /service must be "lambda"/);
  await refused(withAuth(auth.replace("/us-east-1/", "/US East/")), opts(), /region/);
  await refused(withAuth(auth.replace("aws4_request", "aws5_request")), opts(), /aws4_request/);
  await refused(withAuth(auth.replace(/Credential=[^/]+\//, "Credential=")), opts(), /Credential must be/);
  await refused(withAuth(auth.replace("/20240506/", "/2024-05-06/")), opts(), /YYYYMMDD/);
  await refused(withAuth(auth.replace("/20240506/", "/20240505/")), opts(), /day of x-amz-date/);
  await refused(withAuth(auth.replace("host;", "")), opts(), /include host/);
  await refused(withAuth(auth.replace(";x-amz-date", "")), opts(), /include x-amz-date/);
  await refused(withAuth(auth.replace("content-type;", "Content-Type;")), opts(), /lower-case/);
  await refused(
    withAuth(auth.replace("content-type;", "constructor;content-type;")),
    opts(),
    /constructor is missing/,
  );
});

test("a signature presented with a shortened header list is refused", async () => {
  const req = await signed(jsonPost());
  const auth = req.headers.authorization as string;
  assert.match(auth, /;x-amz-invocation-type,/);
  await refused(
    { ...req, headers: { ...req.headers, authorization: auth.replace(";x-amz-invocation-type,", ",") } },
    opts(),
    /signature does not match/,
  );
  await refused(
    { ...req, headers: { ...req.headers, authorization: auth.replace("content-type;", "") } },
    opts(),
    /signature does not match/,
  );
});

test("UNSIGNED-PAYLOAD is refused unless allowed, and then the body is not checked", async () => {
  const req = await signed({
    ...jsonPost(),
    headers: { ...jsonPost().headers, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
  });
  await refused(req, opts(), /UNSIGNED-PAYLOAD/);
  const allowed = opts({ allowUnsignedPayload: true });
  assert.equal((await verifySigV4(req, allowed)).accessKeyId, KEY);
  assert.equal((await verifySigV4({ ...req, body: Buffer.from("other") }, allowed)).accessKeyId, KEY);
});

test("a query string with broken percent-encoding is refused", async () => {
  const req = await signed(jsonPost());
  await refused({ ...req, query: "Qualifier=%E0%A4%A" }, opts(), /percent-encoding/);
});

test("AWS's published examples verify: the verifier agrees with AWS, not only with this signer", async () => {
  const at = Date.parse("2015-08-30T12:36:00Z");
  const example = { lookupSecret: () => SECRET, now: () => at };
  // aws-sig-v4-test-suite, get-vanilla.
  const vanilla: SignedRequest = {
    method: "GET",
    path: "/",
    query: "",
    headers: {
      host: "example.amazonaws.com",
      "x-amz-date": "20150830T123600Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    body: Buffer.alloc(0),
  };
  assert.equal((await verifySigV4(vanilla, { ...example, service: "service" })).accessKeyId, "AKIDEXAMPLE");
  // The IAM ListUsers example of AWS's "Create a signed AWS API request" guide.
  const listUsers: SignedRequest = {
    method: "GET",
    path: "/",
    query: "Action=ListUsers&Version=2010-05-08",
    headers: {
      host: "iam.amazonaws.com",
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "x-amz-date": "20150830T123600Z",
      authorization:
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, " +
        "SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    },
    body: Buffer.alloc(0),
  };
  assert.equal((await verifySigV4(listUsers, { ...example, service: "iam" })).accessKeyId, "AKIDEXAMPLE");
});
