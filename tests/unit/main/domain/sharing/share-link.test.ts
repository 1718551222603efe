// Share links: written so they always read back, and every malformed one refused with the part at fault named.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  checkShareLinkParts,
  formatShareLink,
  parseShareLink,
  PINNED_FINGERPRINT_PATTERN,
} from "../../../../../main/domain/sharing/share-link.ts";
import { expectError } from "../domain-world.ts";

const TOKEN = `hth_${"Ab3_-".repeat(8)}xyz`;
const HEX = "ab".repeat(32);
const good = {
  endpoint: "https://127.0.0.2:7443",
  token: TOKEN,
  fingerprint: `sha256:${HEX}`,
  name: "resize-prod",
};
const link = (params: Record<string, string>, base = "hearth://share") =>
  `${base}?${new URLSearchParams(params).toString()}`;

test("a written link reads back to the same parts, its fields encoded", () => {
  const written = formatShareLink(good);
  assert.ok(written.startsWith("hearth://share?endpoint=https%3A%2F%2F127.0.0.2%3A7443&token=hth_"));
  assert.deepEqual(parseShareLink(written), good);
  const { name: _n, ...unnamed } = good;
  assert.deepEqual(parseShareLink(formatShareLink(unnamed)), unnamed);
  assert.match(good.fingerprint, PINNED_FINGERPRINT_PATTERN);
});

test("an API's link says so, and reads back as one; a kind it does not know is refused", () => {
  const api = { ...good, endpoint: "https://127.0.0.2:7443/apis/shop", name: "shop", kind: "api" as const };
  const written = formatShareLink(api);
  assert.match(written, /&kind=api$/);
  assert.deepEqual(parseShareLink(written), api);
  // "alias" is the default and is not written.
  assert.deepEqual(parseShareLink(link({ ...good, kind: "alias" })), good);
  expectError(() => parseShareLink(link({ ...good, kind: "queue" })), "INVALID_INPUT", "kind");
});

test("reading normalizes: trailing slashes, colon-separated or uppercase digits, spaces around the link", () => {
  const colons = `sha256:${Array.from({ length: 32 }, () => "0F").join(":")}`;
  const parsed = parseShareLink(
    `  ${link({ ...good, endpoint: "https://Host.Example:7443/hearth/", fingerprint: colons }, "hearth://share/")} `,
  );
  assert.equal(parsed.endpoint, "https://host.example:7443/hearth");
  assert.equal(parsed.fingerprint, `sha256:${"0f".repeat(32)}`);
  assert.equal(
    parseShareLink(link({ ...good, fingerprint: `sha256:${HEX.toUpperCase()}` })).fingerprint,
    good.fingerprint,
  );
  // The default https port is dropped by the URL's origin.
  assert.equal(
    parseShareLink(link({ ...good, endpoint: "https://h.example:443" })).endpoint,
    "https://h.example",
  );
});

test("anything else is refused, naming the part at fault", () => {
  const refused = (raw: string, field: string, pattern?: RegExp) => {
    const e = expectError(() => parseShareLink(raw), "INVALID_INPUT", field);
    if (pattern) assert.match(e.message, pattern);
  };
  refused("not a url", "link", /not a share link/);
  refused(link(good, "https://share"), "link");
  refused(link(good, "hearth://import"), "link");
  refused(link(good, "hearth://share/x"), "link");
  refused(`${link(good)}#frag`, "link");
  refused(`hearth://share?${"a".repeat(5000)}`, "link", /longer/);
  refused(link({ ...good, endpoint: "http://127.0.0.2:7443" }), "endpoint", /https/);
  refused(link({ ...good, endpoint: "https://u:p@127.0.0.2" }), "endpoint", /credentials/);
  refused(link({ ...good, endpoint: "https://h.example/?x=1" }), "endpoint");
  refused(link({ ...good, endpoint: "https://h.example/#x" }), "endpoint");
  refused(link({ ...good, endpoint: "file:///etc/passwd" }), "endpoint");
  refused(link({ ...good, endpoint: "javascript:alert(1)" }), "endpoint");
  refused(link({ ...good, endpoint: "127.0.0.2:7443" }), "endpoint");
  refused(link({ ...good, token: "hok_owner-key-never" }), "token", /Hearth token/);
  refused(link({ ...good, token: `${TOKEN}x` }), "token");
  refused(link({ ...good, fingerprint: HEX }), "fingerprint", /sha256:/);
  refused(link({ ...good, fingerprint: "sha256:abc" }), "fingerprint");
  refused(link({ ...good, fingerprint: `sha1:${HEX}` }), "fingerprint");
  refused(link({ ...good, fingerprint: `sha256:${"zz".repeat(32)}` }), "fingerprint");
  refused(link({ ...good, name: "../../etc" }), "name");
  refused(link({ ...good, name: "" }), "name");
  refused(link({ ...good, name: "123" }), "name", /not only digits/);
  refused(link({ ...good, name: "x".repeat(129) }), "name");
  const { token: _t, ...noToken } = good;
  refused(link(noToken), "token", /required/);
  const { fingerprint: _f, ...noPin } = good;
  refused(link(noPin), "fingerprint", /required/);
  refused(link({ ...good, extra: "1" }), "extra", /unknown field/);
  refused(`${link(good)}&token=${TOKEN}`, "token", /twice/);
});

test("writing refuses the same things, so a bad link is never handed out", () => {
  expectError(
    () => formatShareLink({ ...good, endpoint: "http://127.0.0.2:7443" }),
    "INVALID_INPUT",
    "endpoint",
  );
  expectError(() => formatShareLink({ ...good, fingerprint: "sha256:00" }), "INVALID_INPUT", "fingerprint");
  expectError(() => checkShareLinkParts({ ...good, token: "nope" }), "INVALID_INPUT", "token");
});
