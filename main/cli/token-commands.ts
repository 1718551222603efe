// `hearth token mint|ls|revoke`: secrets that let their holder invoke one alias, shown once.
import { InvalidArgumentError, type Command } from "commander";
import type { AliasView, TokenView } from "../contract.ts";
import { parseAccountId, parseDuration } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { findAlias } from "./alias-commands.ts";
import { formatAge, formatWhen, print, shellQuote, table } from "./output.ts";

/** The most calls per minute a token may be minted with (main/domain/access/tokens.ts checks it again). */
const MAX_RATE = 10_000;

/** `--rate-limit`: calls per minute, as `60`, `60/m` or `60/min`. */
export function parseRateLimit(value: string): number {
  const m = /^(\d+)\s*(?:\/\s*(?:m|min|minute))?$/i.exec(value.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_RATE) {
    throw new InvalidArgumentError(`expected calls per minute from 1 to ${MAX_RATE}, e.g. 60 or 60/min.`);
  }
  return n;
}

/** A ready command line that invokes the token's alias. */
export function curlCommand(url: string, secret: string, payload = "{}"): string {
  return [
    "curl -sS -X POST",
    shellQuote(`${url.replace(/\/+$/, "")}/v1/invoke`),
    "-H",
    shellQuote(`Authorization: Bearer ${secret}`),
    "-H",
    shellQuote("content-type: application/json"),
    "-d",
    shellQuote(payload),
  ].join(" ");
}

export function tokenState(t: TokenView, now: number): string {
  if (t.revokedAt !== null) return "revoked";
  if (t.expiresAt !== null && Date.parse(t.expiresAt) <= now) return "expired";
  return "active";
}

/** Where a token works: `local` (this machine's port), `remote` (from other machines too, on the shared listener). */
export function tokenReach(t: Pick<TokenView, "remote">): string {
  return t.remote ? "remote" : "local";
}

/** The addresses a token was used from: the most recent ones, then how many more. */
function addressList(addresses: string[], shown = 2): string {
  if (addresses.length === 0) return "-";
  const more = addresses.length - shown;
  return addresses.slice(0, shown).join(",") + (more > 0 ? ` +${more}` : "");
}

export function formatTokenList(tokens: TokenView[], aliases: AliasView[], now: number): string {
  if (tokens.length === 0) return "no tokens: mint one with `hearth token mint <task> <alias>`";
  const names = new Map(aliases.map((a) => [a.id, `${a.task.name}:${a.name}`]));
  return table(
    ["ID", "FOR", "LABEL", "TOKEN", "STATE", "REACH", "EXPIRES", "LIMIT", "CALLS", "LAST USED", "FROM"],
    tokens.map((t) => [
      t.id,
      t.scope.kind === "alias" ? (names.get(t.scope.aliasId) ?? t.scope.aliasId) : `api ${t.scope.apiId}`,
      t.label || "-",
      t.hint,
      tokenState(t, now),
      tokenReach(t),
      t.expiresAt ?? "never",
      t.rateLimitPerMinute === null ? "-" : `${t.rateLimitPerMinute}/min`,
      t.usage.throttled > 0 ? `${t.usage.calls} (+${t.usage.throttled} refused)` : String(t.usage.calls),
      t.usage.lastUsedAt === null
        ? "never"
        : `${formatAge(Math.max(0, now - Date.parse(t.usage.lastUsedAt)))} ago`,
      addressList(t.usage.addresses),
    ]),
  );
}

export function registerTokenCommands(program: Command): void {
  const token = program.command("token").description("secrets that let their holder invoke one alias");

  withJson(
    token
      .command("mint <task> <alias>")
      .description("mint a token for one of your aliases; it is shown this once")
      .option("--label <label>", "what or who it is for")
      .option(
        "--expires-in <duration>",
        "lifetime: 3600 (seconds), 15m, 12h, 30d, 2w (default: never)",
        parseDuration,
      )
      .option(
        "--rate-limit <calls>",
        "calls per minute it allows, e.g. 60 or 60/min (default: no limit)",
        parseRateLimit,
      )
      .option(
        "--owner <account>",
        "the task's account, for an alias on a task shared with you",
        parseAccountId,
      )
      .option(
        "--remote",
        "let it work from other machines too, on the shared listener (`hearth serve --share`); without it the " +
          "token works on this machine's port only (`hearth share` mints a remote one with a link)",
      ),
  ).action(async (task: string, aliasName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{
      label?: string;
      expiresIn?: number;
      rateLimit?: number;
      owner?: string;
      remote?: boolean;
    }>(cmd);
    const conn = await connect(o, "profile");
    const alias = await findAlias(conn, task, aliasName, o.owner);
    const minted = await conn.call("mintToken", {
      aliasId: alias.id,
      ...(o.label !== undefined ? { label: o.label } : {}),
      ...(o.expiresIn !== undefined ? { expiresInS: o.expiresIn } : {}),
      ...(o.rateLimit !== undefined ? { rateLimitPerMinute: o.rateLimit } : {}),
      ...(o.remote ? { remote: true } : {}),
    });
    const curl = curlCommand(conn.url, minted.secret);
    print(o.json, { ...minted, curl }, () =>
      [
        `token ${minted.token.id} for ${task}:${aliasName}, expires ${formatWhen(minted.token.expiresAt, Date.now())}` +
          (minted.token.rateLimitPerMinute === null ? "" : `, ${minted.token.rateLimitPerMinute} calls/min`),
        minted.secret,
        "Shown this once: Hearth keeps only its hash. Whoever holds it can invoke this alias.",
        minted.token.remote
          ? "It works from other machines too, on the shared listener (hearth serve --share)."
          : "It works on this machine only; for a teammate's machine use `hearth share`, or mint with --remote.",
        "Call it:",
        `  ${curl}`,
        `  HEARTH_TOKEN=${minted.secret} hearth invoke --payload '{}'`,
      ].join("\n"),
    );
  });

  withJson(
    token
      .command("ls")
      .description(
        "tokens minted for your aliases: where each works (REACH: local, or remote from other machines too), " +
          "their calls, last use and addresses (never the tokens)",
      ),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await connect(o, "profile");
    const tokens = await conn.call("listTokens", {});
    if (o.json) return print(true, tokens, () => "");
    const aliases = await conn.call("listAliases", {});
    print(false, tokens, () => formatTokenList(tokens, aliases, Date.now()));
  });

  withJson(token.command("revoke <id>").description("revoke a token: it stops working at once")).action(
    async (id: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const t = await (await connect(o, "profile")).call("revokeToken", { tokenId: id });
      print(o.json, t, () => `revoked token ${t.id}${t.label ? ` (${t.label})` : ""}`);
    },
  );
}
