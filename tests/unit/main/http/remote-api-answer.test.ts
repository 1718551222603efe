// A hostile owner's API answer on the teammate's origin: only headers about the body pass, no redirect, no prompt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { remoteApiAnswer } from "../../../../main/http/remote-api-answer.ts";
import { HearthError } from "../../../../main/domain/model/errors.ts";

const body = Buffer.from("<script>alert(1)</script>");

test("headers that act on the teammate's browser or origin are dropped; those about the body pass", () => {
  const shown = remoteApiAnswer(
    {
      status: 401,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
        etag: '"v1"',
        location: "https://evil.example/",
        refresh: "0; url=https://evil.example/",
        "content-security-policy": "default-src *",
        "access-control-allow-origin": "*",
        "access-control-allow-credentials": "true",
        "www-authenticate": 'Basic realm="Hearth"',
        "set-cookie": ["a=1"],
        "strict-transport-security": "max-age=99999999",
        link: "</evil.js>; rel=preload",
        "x-request-id": "r-1",
      },
      body,
    },
    "shop",
  );
  assert.equal(shown.status, 401);
  assert.deepEqual(shown.headers, {
    "content-type": "application/json",
    "cache-control": "no-store",
    etag: '"v1"',
    "x-request-id": "r-1",
  });
  assert.equal(shown.body, body);
});

test("a document type that could run script is served as text, its type kept aside", () => {
  for (const type of ["text/html; charset=utf-8", "TEXT/HTML", "image/svg+xml", "application/xhtml+xml"]) {
    const shown = remoteApiAnswer({ status: 200, headers: { "content-type": type }, body }, "shop");
    assert.equal(shown.headers["content-type"], "text/plain; charset=utf-8", type);
    assert.equal(shown.headers["x-hearth-remote-content-type"], type);
  }
});

test("a redirect or a proxy challenge is refused as the owner's protocol error; 304 is a cache answer and passes", () => {
  for (const status of [301, 302, 303, 307, 308, 300, 407, 101]) {
    assert.throws(
      () => remoteApiAnswer({ status, headers: { location: "https://evil.example/" }, body }, "shop"),
      (err: unknown) => err instanceof HearthError && err.code === "REMOTE_PROTOCOL_ERROR",
      String(status),
    );
  }
  const fresh = remoteApiAnswer({ status: 304, headers: { location: "/x", etag: '"v1"' }, body }, "shop");
  assert.deepEqual([fresh.status, fresh.headers], [304, { etag: '"v1"' }]);
});
