// `hearth --version`: only alone on the line, so a command's own --version option keeps its meaning.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { asksForVersion, hearthVersion } from "../../../../main/cli/version.ts";

const argv = (...words: string[]): string[] => ["/usr/bin/node", "/x/bin/hearth.mjs", ...words];

test("--version and -V alone ask for the version; anywhere else they are a command's option", () => {
  assert.equal(asksForVersion(argv("--version")), true);
  assert.equal(asksForVersion(argv("-V")), true);
  assert.equal(asksForVersion(argv()), false);
  assert.equal(asksForVersion(argv("alias", "create", "echo", "prod", "--version", "1")), false);
  assert.equal(asksForVersion(argv("--version", "extra")), false);
});

test("the version is package.json's", () => {
  const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  assert.equal(hearthVersion(), pkg.version);
  assert.match(hearthVersion(), /^\d+\.\d+\.\d+/);
});
