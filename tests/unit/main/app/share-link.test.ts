// How the app finds the hearth:// link a launch carries, and that it reads it with the domain's rules
// (main/domain/sharing/share-link.ts, tested in full beside it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseShareLink, shareLinkArgument } from "../../../../main/app/share-link.ts";
import { isHearthError } from "../../../../main/domain/model/errors.ts";

const TOKEN = `hth_${"a".repeat(43)}`;
const LINK = `hearth://share?endpoint=https%3A%2F%2F10.0.0.5%3A7443%2F&token=${TOKEN}&fingerprint=sha256%3A${"AB".repeat(32)}&name=resize`;

test("the link is found among the arguments a launch or a second instance gets", () => {
  assert.equal(shareLinkArgument(["/usr/bin/hearth-desktop", "--no-sandbox", LINK]), LINK);
  assert.equal(shareLinkArgument(["/usr/bin/hearth-desktop", "."]), undefined);
  assert.equal(shareLinkArgument(["HEARTH://share?x"]), "HEARTH://share?x");
});

test("a found link is checked and normalized before the window sees it", () => {
  assert.deepEqual(parseShareLink(LINK), {
    endpoint: "https://10.0.0.5:7443",
    token: TOKEN,
    fingerprint: `sha256:${"ab".repeat(32)}`,
    name: "resize",
  });
  for (const [bad, field] of [
    ["hearth://settings?open=1", "link"],
    [LINK.replace("https%3A", "http%3A"), "endpoint"],
    [LINK.replace(TOKEN, "hok_the-owner-key"), "token"],
    [`${LINK}&exec=rm`, "exec"],
  ] as const) {
    assert.throws(
      () => parseShareLink(bad),
      (e: unknown) => isHearthError(e, "INVALID_INPUT") && e.field === field,
      bad,
    );
  }
});
