// Option values the CLI parses itself: a bad one is a usage error (exit 2) that says what is expected.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import {
  collectKeyValue,
  collectList,
  integerParser,
  parseAccountId,
  parseDuration,
  parseKeyValue,
  parseSince,
  parseSplit,
  parseTarget,
  parseVersionRef,
} from "../../../../main/cli/arg-parsers.ts";

test("--split takes VERSION=WEIGHT, the weight as a fraction or a percentage", () => {
  assert.deepEqual(parseSplit("2=0.1"), { additionalVersion: 2, weight: 0.1 });
  assert.deepEqual(parseSplit("3=25%"), { additionalVersion: 3, weight: 0.25 });
  assert.deepEqual(parseSplit(" 12=.5 "), { additionalVersion: 12, weight: 0.5 });
  for (const bad of ["2", "=0.1", "0=0.1", "2=0", "2=1", "2=100%", "2=abc", "v2=0.1", "2=-0.1", "2=0.1=3"]) {
    assert.throws(() => parseSplit(bad), InvalidArgumentError, bad);
  }
  assert.throws(() => parseSplit("2=1.5"), /between 0 and 1/);
});

test("--expires-in takes seconds or a number with a unit", () => {
  assert.equal(parseDuration("3600"), 3600);
  assert.equal(parseDuration("90s"), 90);
  assert.equal(parseDuration("15m"), 900);
  assert.equal(parseDuration("12h"), 43_200);
  assert.equal(parseDuration("30d"), 2_592_000);
  assert.equal(parseDuration("2w"), 1_209_600);
  for (const bad of ["", "0", "-5", "1.5h", "10y", "h", "30 days", "99999999999999999999d"]) {
    assert.throws(() => parseDuration(bad), InvalidArgumentError, bad);
  }
});

test("--env KEY=VALUE keeps everything after the first = and collects repeats", () => {
  assert.deepEqual(parseKeyValue("A=b"), ["A", "b"]);
  assert.deepEqual(parseKeyValue("URL=http://x?a=b"), ["URL", "http://x?a=b"]);
  assert.deepEqual(parseKeyValue("EMPTY="), ["EMPTY", ""]);
  assert.throws(() => parseKeyValue("NOVALUE"), /KEY=VALUE/);
  assert.throws(() => parseKeyValue("=x"), /KEY=VALUE/);
  const once = collectKeyValue("A=1");
  assert.deepEqual(collectKeyValue("B=2", once), { A: "1", B: "2" });
  assert.deepEqual(collectKeyValue("A=3", once), { A: "3" }, "a later value wins");
  assert.deepEqual(once, { A: "1" }, "the previous map is not changed");
  assert.deepEqual(collectList("b", collectList("a")), ["a", "b"]);
});

test("--version takes a version number or $LATEST (latest, without the shell's $)", () => {
  assert.equal(parseVersionRef("3"), 3);
  assert.equal(parseVersionRef("$LATEST"), "$LATEST");
  assert.equal(parseVersionRef("latest"), "$LATEST");
  for (const bad of ["0", "-1", "1.5", "v1", ""])
    assert.throws(() => parseVersionRef(bad), InvalidArgumentError);
});

test("whole numbers are checked against their range", () => {
  const memory = integerParser(128, 10240);
  assert.equal(memory("256"), 256);
  assert.throws(() => memory("64"), /from 128 to 10240/);
  assert.throws(() => memory("2e3"), /whole number/);
  assert.throws(() => memory("12.5"), /whole number/);
});

test("an invoke target is TASK or TASK:QUALIFIER", () => {
  assert.deepEqual(parseTarget("echo"), { task: "echo" });
  assert.deepEqual(parseTarget("echo:prod"), { task: "echo", qualifier: "prod" });
  assert.deepEqual(parseTarget("echo:$LATEST"), { task: "echo", qualifier: "$LATEST" });
  assert.deepEqual(parseTarget("echo:2"), { task: "echo", qualifier: "2" });
  for (const bad of ["", ":prod", "echo:", "a b", "echo:prod:x", "echo/1"]) {
    assert.throws(() => parseTarget(bad), InvalidArgumentError, bad);
  }
});

test("account ids are 12 digits", () => {
  assert.equal(parseAccountId("123456789012"), "123456789012");
  assert.throws(() => parseAccountId("12345"), /12-digit/);
});

test("--since takes an ISO time or a duration back from now", () => {
  const now = Date.parse("2025-03-01T12:00:00.000Z");
  assert.equal(parseSince("15m", now), "2025-03-01T11:45:00.000Z");
  assert.equal(parseSince("1d", now), "2025-02-28T12:00:00.000Z");
  assert.equal(parseSince("2025-01-31T10:00:00Z", now), "2025-01-31T10:00:00.000Z");
  assert.equal(parseSince("2025-01-31T10:00:00+02:00", now), "2025-01-31T08:00:00.000Z");
  for (const bad of ["yesterday", "12", "2025-13-45", "Jan 5 2025"]) {
    assert.throws(() => parseSince(bad, now), InvalidArgumentError, bad);
  }
});
