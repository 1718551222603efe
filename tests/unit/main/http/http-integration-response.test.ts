// Splitting a streamed HTTP response (awslambda.HttpResponseStream) into its prelude and its body, as chunks arrive.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  isHttpIntegrationResponse,
  MAX_PRELUDE_BYTES,
  parsePrelude,
  PreludeError,
  PreludeSplitter,
} from "../../../../main/http/http-integration-response.ts";
import { HttpResponseStream, ResponseStream } from "../../../../vm-images/agent/response-stream.ts";

/** What the guest runtime sends for a handler writing `parts` through HttpResponseStream.from(prelude). */
async function runtimeBytes(prelude: object, parts: string[]): Promise<Buffer> {
  const sent: Buffer[] = [];
  const stream = HttpResponseStream.from(new ResponseStream((d) => void sent.push(Buffer.from(d))), prelude);
  for (const p of parts) stream.write(p);
  await new Promise<void>((r) => stream.end(r));
  return Buffer.concat(sent);
}

test("the runtime's bytes split into its prelude and body however the chunks fall", async () => {
  const bytes = await runtimeBytes(
    { statusCode: 418, headers: { "content-type": "text/html", "x-n": 5 }, cookies: ["a=1", "b=2"] },
    ["<p>", "tea", "</p>"],
  );
  for (const size of [1, 3, 7, 8, 64, bytes.length]) {
    const s = new PreludeSplitter();
    const body: Buffer[] = [];
    let knownAt = -1;
    for (let at = 0; at < bytes.length; at += size) {
      body.push(s.push(bytes.subarray(at, at + size)));
      if (knownAt < 0 && s.prelude) knownAt = at;
    }
    assert.deepEqual(
      s.end(),
      { statusCode: 418, headers: { "content-type": "text/html", "x-n": "5" }, cookies: ["a=1", "b=2"] },
      `chunks of ${size}`,
    );
    assert.equal(Buffer.concat(body).toString(), "<p>tea</p>", `chunks of ${size}`);
    // Known as soon as its delimiter arrived, before the body.
    assert.ok(knownAt < bytes.indexOf("<p>"), `chunks of ${size}`);
  }
});

test("body bytes may hold NULs of their own; only the first eight in a row end the prelude", async () => {
  const s = new PreludeSplitter();
  const body = s.push(
    Buffer.concat([Buffer.from("{}"), Buffer.alloc(8), Buffer.alloc(12), Buffer.from("z")]),
  );
  assert.deepEqual(s.prelude, { statusCode: 200, headers: {}, cookies: [] });
  assert.deepEqual(body, Buffer.concat([Buffer.alloc(12), Buffer.from("z")]));
  assert.deepEqual(s.push(Buffer.alloc(9)), Buffer.alloc(9));
});

test("a prelude that is not Lambda's shape, too long, or never ended is refused", () => {
  assert.throws(() => parsePrelude("{nope"), PreludeError);
  assert.throws(() => parsePrelude('{"statusCode":99}'), /statusCode/);
  assert.throws(() => parsePrelude('{"cookies":"a=1"}'), /cookies/);
  assert.throws(() => parsePrelude("[1]"), PreludeError);
  const long = new PreludeSplitter();
  assert.throws(() => long.push(Buffer.alloc(MAX_PRELUDE_BYTES + 100, 0x20)), /longer than/);
  const cut = new PreludeSplitter();
  cut.push(Buffer.from('{"statusCode":200}'));
  assert.throws(() => cut.end(), /ended before its HTTP prelude/);
});

test("the content type that announces a prelude, with or without parameters", () => {
  assert.equal(isHttpIntegrationResponse("application/vnd.awslambda.http-integration-response"), true);
  assert.equal(isHttpIntegrationResponse("Application/VND.awslambda.http-integration-response; x=1"), true);
  assert.equal(isHttpIntegrationResponse("application/octet-stream"), false);
  assert.equal(isHttpIntegrationResponse(undefined), false);
});
