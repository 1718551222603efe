// Where the window may navigate (only its own page) and which links go to the system browser (http and https).
import { test } from "node:test";
import assert from "node:assert/strict";
import { externalUrl, isAppUrl } from "../../../../main/app/navigation-policy.ts";

const INDEX = "/opt/Hearth/resources/app.asar/renderer/out/index.html";

test("only the app's own page, with any hash or query, is the app", () => {
  assert.ok(isAppUrl(`file://${INDEX}`, INDEX));
  assert.ok(isAppUrl(`file://${INDEX}#/tasks/echo`, INDEX));
  assert.ok(isAppUrl(`file://${INDEX}?profile=alice`, INDEX));
  for (const url of [
    "file:///etc/passwd",
    `file://${INDEX.replace("index.html", "other.html")}`,
    `file://${INDEX}/../../../../etc/passwd`,
    `file://remote-host${INDEX}`,
    "https://example.com/",
    "http://127.0.0.1:7878/",
    "data:text/html,hi",
    "javascript:alert(1)",
    "not a url",
  ]) {
    assert.ok(!isAppUrl(url, INDEX), url);
  }
});

test("only http and https links open outside", () => {
  assert.equal(externalUrl("https://docs.example.com/a?b#c"), "https://docs.example.com/a?b#c");
  assert.equal(externalUrl("http://127.0.0.1:7878/"), "http://127.0.0.1:7878/");
  for (const url of [
    "file:///etc/passwd",
    "javascript:alert(1)",
    "smb://share/x",
    "hearth://share?x",
    "mailto:a@b",
    "nope",
  ]) {
    assert.equal(externalUrl(url), null, url);
  }
});
