// `hearth share` (the owner mints a token and gets a share link) and `hearth remote add|ls|rm` (the teammate keeps
// the link as a remote alias, then invokes it by its local name like any task).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { REMOTE_API_PATH } from "../client/operation-routes.ts";
import type { RemoteView } from "../contract.ts";
export { awsCommand, curlPin, sharedCurlCommand } from "../domain/sharing/share-instructions.ts";
import { findAlias } from "./alias-commands.ts";
import { parseAccountId, parseDuration } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, SERVE_FILE } from "./connection.ts";
import { parseRateLimit } from "./token-commands.ts";
import { formatWhen, print, shellQuote, table } from "./output.ts";

/** Where the owner shares when `--share` names only an address. */
export const DEFAULT_SHARE_PORT = 7443;

/** `ADDRESS`, `ADDRESS:PORT` or `[IPv6]:PORT`, for `hearth serve --share`. */
export function parseShareAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  const port = m?.[3] === undefined ? DEFAULT_SHARE_PORT : Number(m[3]);
  if (!m || port > 65535) {
    throw new InvalidArgumentError(
      "expected an address to share on, e.g. 192.168.1.20 or 192.168.1.20:7443.",
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** The shared listener of the Hearth running on this data directory, from its serve.json; null while sharing is off. */
export async function readSharing(dir: string): Promise<{ url: string; fingerprint: string } | null> {
  try {
    const served = JSON.parse(await readFile(join(dir, SERVE_FILE), "utf8")) as {
      shared?: { url?: unknown; fingerprint?: unknown };
    };
    const s = served.shared;
    if (typeof s?.url !== "string" || typeof s.fingerprint !== "string") return null;
    return { url: s.url, fingerprint: s.fingerprint };
  } catch {
    return null;
  }
}

export function formatRemoteList(remotes: RemoteView[], now: number): string {
  if (remotes.length === 0) return "no remote aliases: import a share link with `hearth remote add <link>`";
  return table(
    ["NAME", "KIND", "ENDPOINT", "FINGERPRINT", "LAST USED"],
    remotes.map((r) => [
      r.name,
      r.kind,
      r.endpoint,
      `${r.fingerprint.slice(0, 19)}…`,
      r.lastUsedAt === null ? "never" : formatWhen(r.lastUsedAt, now),
    ]),
  );
}

export function registerShareCommands(program: Command): void {
  withJson(
    program
      .command("share <task> <alias>")
      .description("share one of your aliases with a teammate: mint a token and print the share link, once")
      .option("--name <name>", "the name the teammate will call it by (default: the task's name)")
      .option("--label <label>", "what or who the token is for")
      .option(
        "--expires-in <duration>",
        "lifetime: 3600 (seconds), 15m, 12h, 30d, 2w (default: never)",
        parseDuration,
      )
      .option(
        "--rate-limit <calls>",
        "calls per minute the token allows, e.g. 60 or 60/min (default: no limit)",
        parseRateLimit,
      )
      .option(
        "--owner <account>",
        "the task's account, for an alias on a task shared with you",
        parseAccountId,
      ),
  ).action(async (task: string, aliasName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{
      name?: string;
      label?: string;
      expiresIn?: number;
      rateLimit?: number;
      owner?: string;
    }>(cmd);
    const conn = await connect(o, "profile");
    const alias = await findAlias(conn, task, aliasName, o.owner);
    // The host mints and writes the link: it alone knows its shared listener (and says so when sharing is off).
    const shared = await conn.call("shareAlias", {
      aliasId: alias.id,
      name: o.name ?? task,
      ...(o.label !== undefined ? { label: o.label } : {}),
      ...(o.expiresIn !== undefined ? { expiresInS: o.expiresIn } : {}),
      ...(o.rateLimit !== undefined ? { rateLimitPerMinute: o.rateLimit } : {}),
    });
    const { token, link, curl, aws, name } = shared;
    const limit =
      token.rateLimitPerMinute === null ? "no rate limit" : `${token.rateLimitPerMinute} calls/min`;
    print(o.json, { token, link, curl, aws }, () =>
      [
        `shared ${task}:${aliasName} as "${name}" (token ${token.id}, expires ${formatWhen(token.expiresAt, Date.now())}, ${limit})`,
        "Send your teammate this link; it is shown this once:",
        `  ${link}`,
        "They import it with:",
        `  hearth remote add ${shellQuote(link)}`,
        "then call it from their own Hearth, e.g. with the AWS CLI:",
        `  ${aws}`,
        "Or call it directly, pinned to this machine's certificate:",
        `  ${curl}`,
        `See its use with \`hearth token ls\`; revoke it with: hearth token revoke ${token.id}`,
      ].join("\n"),
    );
  });

  const remote = program.command("remote").description("teammates' shared aliases on other machines");
  withJson(
    remote
      .command("add <link>")
      .description("import a hearth://share link as a remote alias, invoked by its name like a task")
      .option("--name <name>", "the local name to call it by (default: the name in the link)"),
  ).action(async (link: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ name?: string }>(cmd);
    const conn = await connect(o, "profile");
    const r = await conn.call("addRemote", { link, ...(o.name !== undefined ? { name: o.name } : {}) });
    print(o.json, r, () =>
      r.kind === "api"
        ? [
            `added remote API "${r.name}" → ${r.endpoint} (pinned ${r.fingerprint})`,
            `Call its routes through this Hearth, with your profile's credentials: ` +
              `${conn.url.replace(/\/+$/, "")}${REMOTE_API_PATH}/${r.name}/<route path>`,
          ].join("\n")
        : [
            `added remote alias "${r.name}" → ${r.endpoint} (pinned ${r.fingerprint})`,
            `Invoke it: hearth invoke ${shellQuote(r.name)} --payload '{}'`,
          ].join("\n"),
    );
  });
  withJson(remote.command("ls").description("your remote aliases (never their tokens)")).action(
    async (_o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const remotes = await (await connect(o, "profile")).call("listRemotes", {});
      print(o.json, remotes, () => formatRemoteList(remotes, Date.now()));
    },
  );
  withJson(
    remote.command("rm <name>").description("forget a remote alias (the owner revokes its token)"),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const r = await (await connect(o, "profile")).call("removeRemote", { remote: name });
    print(o.json, r, () => `removed remote alias "${r.name}"`);
  });
}
