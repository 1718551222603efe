// `hearth profile create|ls|rm`: through the running Hearth when there is one, else straight in the data directory.
import type { Command } from "commander";
import type { CreatedProfile, ProfileView } from "../contract.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, locate, type Connection, type CredentialNeed, type GlobalOptions } from "./connection.ts";
import { print, table } from "./output.ts";

/**
 * The running Hearth to ask, or null to work on the data directory: a URL given explicitly is always used; else a
 * server that wrote serve.json is used when it answers. While a server runs it holds the store's lock, so the
 * store path then fails with STORE_LOCKED, which is why the server is asked first.
 */
async function runningHearth(o: GlobalOptions, need: CredentialNeed): Promise<Connection | null> {
  const target = await locate(o);
  const explicit = target.target.source === "--url" || target.target.source === "HEARTH_URL";
  if (!explicit && (target.target.source !== "serve.json" || !(await target.answers()))) return null;
  return connect(o, need);
}

/** The data-directory path of these commands, loaded only when no Hearth runs to ask. */
const local = () => import("./profile-local.ts");

export function formatCreatedProfile(r: CreatedProfile): string {
  return [
    `profile ${r.profile.name} (account ${r.profile.accountId})`,
    `AWS_ACCESS_KEY_ID=${r.credentials.accessKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${r.credentials.secretAccessKey}`,
    "The secret is shown this once; Hearth keeps only a hash and a sealed copy.",
    `Act as it with \`hearth --profile ${r.profile.name} …\` (or HEARTH_PROFILE), or export the two lines above.`,
  ].join("\n");
}

export function formatProfiles(rows: ProfileView[]): string {
  if (rows.length === 0) return "no profiles yet: create one with `hearth profile create <name>`";
  return table(
    ["NAME", "ACCOUNT", "ID", "CREATED"],
    rows.map((p) => [p.name, p.accountId, p.id, p.createdAt]),
  );
}

export function registerProfileCommands(program: Command): void {
  const profile = program
    .command("profile")
    .description("local accounts: each has its own VMs, tasks and access key");

  withJson(
    profile
      .command("create <name>")
      .description("create a profile; its access key and secret are shown once"),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await runningHearth(o, "owner");
    const created = conn
      ? await conn.call("createProfile", { name })
      : await (await local()).createProfileLocally(name);
    print(o.json, created, () => formatCreatedProfile(created));
  });

  withJson(profile.command("ls").description("list profiles")).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await runningHearth(o, "any");
    const rows = conn ? await conn.call("listProfiles", {}) : await (await local()).listProfilesLocally();
    print(o.json, rows, () => formatProfiles(rows));
  });

  withJson(
    profile
      .command("rm <name>")
      .description("remove a profile with its tasks, aliases, grants and tokens; its VMs are destroyed"),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const conn = await runningHearth(o, "owner");
    const removed = conn
      ? await conn.call("deleteProfile", { profile: name })
      : await (await local()).removeProfileLocally(name);
    print(o.json, removed, () => `removed profile ${removed.deleted}`);
  });
}
