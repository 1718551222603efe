// `hearth token`: the --rate-limit value, and the list's usage columns (limit, calls, last use, addresses).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AliasView, TokenView } from "../../../../main/contract.ts";
import { formatTokenList, parseRateLimit } from "../../../../main/cli/token-commands.ts";
import { tempDir } from "../store/temp-dir.ts";
import { runHearth, sendJson, standInServer } from "./hearth-run.ts";

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
    remote: true,
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
    remote: false,
    rateLimitPerMinute: null,
    usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
  };
  const out = formatTokenList([base, idle], [], now);
  const [head, first, second] = out.split("\n");
  assert.match(head!, /STATE\s+REACH\s+EXPIRES\s+LIMIT\s+CALLS\s+LAST USED\s+FROM/);
  assert.match(
    first!,
    /active\s+remote\s+never\s+60\/min\s+42 \(\+3 refused\)\s+30s ago\s+127\.0\.0\.2,10\.0\.0\.7 \+1/,
  );
  assert.match(second!, /tok_2.*active\s+local\s+never\s+-\s+0\s+never\s+-$/);
});

test("`token mint` asks for a local-only token unless --remote is given, and says where it works", async (t) => {
  const alias: AliasView = {
    id: "als_1",
    name: "prod",
    description: "",
    profileId: "prf_a",
    task: { id: "tsk_1", name: "echo", ownerAccountId: "111111111111" },
    crossProfile: false,
    routing: { version: 1, split: null },
    customization: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
  };
  const asked: Record<string, unknown>[] = [];
  const url = await standInServer(t, (req, res, u) => {
    if (u.pathname === "/v1/aliases") return sendJson(res, [alias]);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      asked.push(body);
      const remote = body.remote === true;
      sendJson(res, {
        secret: `hth_${"b".repeat(43)}`,
        token: {
          id: "tok_1",
          label: "",
          hint: "hth_bbbbbb…",
          scope: { kind: "alias", profileId: "prf_a", aliasId: "als_1" },
          createdAt: "2026-01-01T00:00:00.000Z",
          expiresAt: null,
          revokedAt: null,
          rateLimitPerMinute: null,
          remote,
          usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
        },
      });
    });
  });
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  const mint = (...extra: string[]) =>
    runHearth(["token", "mint", "echo", "prod", "--url", url, "--token", `hth_${"a".repeat(43)}`, ...extra], {
      tty: false,
      env,
    });
  const local = await mint();
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /works on this machine only; for a teammate's machine use `hearth share`/);
  const remote = await mint("--remote");
  assert.equal(remote.code, 0, remote.stderr);
  assert.match(remote.stdout, /works from other machines too/);
  assert.deepEqual(asked, [{}, { remote: true }]);
});
