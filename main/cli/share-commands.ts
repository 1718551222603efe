// `hearth share` (the owner mints a token and gets a share link) and `hearth remote add|ls|rm` (the teammate keeps
// the link as a remote alias, then invokes it by its local name like any task).
import { createHash, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import type { RemoteView } from "../contract.ts";
import { formatShareLink } from "../domain/share-link.ts";
import { findAlias } from "./alias-commands.ts";
import { parseAccountId, parseDuration } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, SERVE_FILE } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
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

/** curl's pin: the SHA-256 of the certificate's public key (SPKI), which `--pinnedpubkey` checks in place of a CA. */
export function curlPin(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256//${createHash("sha256").update(spki).digest("base64")}`;
}

/** A curl command that calls the shared alias with the token, trusting the owner's certificate by its key alone. */
export function sharedCurlCommand(endpoint: string, secret: string, pin: string, payload = "{}"): string {
  return [
    "curl -sS --insecure --pinnedpubkey",
    shellQuote(pin),
    "-X POST",
    shellQuote(`${endpoint.replace(/\/+$/, "")}/v1/invoke`),
    "-H",
    shellQuote(`Authorization: Bearer ${secret}`),
    "-H",
    shellQuote("content-type: application/json"),
    "-d",
    shellQuote(payload),
  ].join(" ");
}

/** What the teammate runs once the link is a remote alias in their Hearth: the AWS CLI against their own port. */
export function awsCommand(name: string, localUrl = "http://127.0.0.1:7878"): string {
  return [
    "aws --endpoint-url",
    shellQuote(localUrl),
    "lambda invoke --function-name",
    shellQuote(name),
    "--cli-binary-format raw-in-base64-out --payload '{}' /dev/stdout",
  ].join(" ");
}

export function formatRemoteList(remotes: RemoteView[], now: number): string {
  if (remotes.length === 0) return "no remote aliases: import a share link with `hearth remote add <link>`";
  return table(
    ["NAME", "ENDPOINT", "FINGERPRINT", "LAST USED"],
    remotes.map((r) => [
      r.name,
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
        "--owner <account>",
        "the task's account, for an alias on a task shared with you",
        parseAccountId,
      ),
  ).action(async (task: string, aliasName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ name?: string; label?: string; expiresIn?: number; owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const sharing = await readSharing(conn.dir);
    if (!sharing) {
      throw new CliError(
        "SHARING_OFF",
        "this Hearth is not sharing: nothing beyond this machine could reach the link",
        EXIT.refused,
        {
          hint: "start it with `hearth serve --share <address>[:port]` (an address your teammate can reach)",
        },
      );
    }
    const alias = await findAlias(conn, task, aliasName, o.owner);
    const name = o.name ?? task;
    // Checked before minting, so a bad name leaves no token behind.
    const unminted = `hth_${"A".repeat(43)}`;
    formatShareLink({ endpoint: sharing.url, token: unminted, fingerprint: sharing.fingerprint, name });
    const minted = await conn.call("mintToken", {
      aliasId: alias.id,
      label: o.label ?? `shared as ${name}`,
      ...(o.expiresIn !== undefined ? { expiresInS: o.expiresIn } : {}),
    });
    const link = formatShareLink({
      endpoint: sharing.url,
      token: minted.secret,
      fingerprint: sharing.fingerprint,
      name,
    });
    const certPem = await readFile(join(conn.dir, "tls", "cert.pem"), "utf8").catch(() => null);
    const curl = certPem ? sharedCurlCommand(sharing.url, minted.secret, curlPin(certPem)) : null;
    const aws = awsCommand(name);
    print(o.json, { token: minted.token, link, curl, aws }, () =>
      [
        `shared ${task}:${aliasName} as "${name}" (token ${minted.token.id}, expires ${formatWhen(minted.token.expiresAt, Date.now())})`,
        "Send your teammate this link; it is shown this once:",
        `  ${link}`,
        "They import it with:",
        `  hearth remote add ${shellQuote(link)}`,
        "then call it from their own Hearth, e.g. with the AWS CLI:",
        `  ${aws}`,
        ...(curl ? ["Or call it directly, pinned to this machine's certificate:", `  ${curl}`] : []),
        `Revoke it with: hearth token revoke ${minted.token.id}`,
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
      [
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
