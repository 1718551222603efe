// `hearth token`: the --rate-limit value, and the list's usage columns (limit, calls, last use, addresses).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TokenView } from "../../../../main/contract.ts";
import { formatTokenList, parseRateLimit } from "../../../../main/cli/token-commands.ts";

test("--rate-limit takes calls per minute, bare or per minute, and names what it expects", () => {
  assert.equal(parseRateLimit("60"), 60);
  assert.equal(parseRateLimit("60/min"), 60);
  assert.equal(parseRateLimit(" 5/m "), 5);
  assert.equal(parseRateLimit("10000"), 10_000);
  for (const bad of ["", "0", "-1", "1.5", "10001", "60/h", "many"]) {
    assert.throws(() => parseRateLimit(bad), /calls per minute from 1 to 10000/, bad);
  }
});

test("the token list shows each token's limit, calls, last use and the addresses it came from", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const base: TokenView = {
    id: "tok_1",
    label: "mate",
    hint: "hth_abcdef…",
    scope: { kind: "alias", profileId: "prf_a", aliasId: "als_1" },
    createdAt: "2026-01-01T00:00:00.000Z",
    expiresAt: null,
    revokedAt: null,
    rateLimitPerMinute: 60,
    usage: {
      lastUsedAt: "2026-01-01T11:59:30.000Z",
      calls: 42,
      throttled: 3,
      addresses: ["127.0.0.2", "10.0.0.7", "10.0.0.8"],
    },
  };
  const idle: TokenView = {
    ...base,
    id: "tok_2",
    rateLimitPerMinute: null,
    usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
  };
  const out = formatTokenList([base, idle], [], now);
  const [head, first, second] = out.split("\n");
  assert.match(head!, /LIMIT\s+CALLS\s+LAST USED\s+FROM/);
  assert.match(first!, /60\/min\s+42 \(\+3 refused\)\s+30s ago\s+127\.0\.0\.2,10\.0\.0\.7 \+1/);
  assert.match(second!, /tok_2.*-\s+0\s+never\s+-$/);
});
