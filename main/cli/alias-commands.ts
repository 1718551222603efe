// `hearth alias create|ls|update|rm|create-shared`: names pointing at task versions, found by task and name.
import { Option, type Command } from "commander";
import type { AliasView } from "../contract.ts";
import { MEMORY_MB, TIMEOUT_S } from "../domain/tasks/task-limits.ts";
import {
  collectKeyValue,
  collectList,
  integerParser,
  parseAccountId,
  parseSplit,
  parseVersionRef,
} from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, type Connection } from "./connection.ts";
import { CliError, EXIT, usageError } from "./exit-codes.ts";
import { print, table } from "./output.ts";
import { formatRouting } from "./task-commands.ts";

/**
 * The alias `name` on task `task` that the caller holds: its own task's, or (with `owner`, or when unambiguous)
 * one on a task shared with it. The API addresses aliases by id; people by task and name.
 */
export function pickAlias(aliases: AliasView[], task: string, name: string, owner?: string): AliasView {
  const found = aliases.filter(
    (a) =>
      a.task.name === task && a.name === name && (owner === undefined || a.task.ownerAccountId === owner),
  );
  if (found.length === 1) return found[0]!;
  if (found.length === 0) {
    throw new CliError(
      "ALIAS_NOT_FOUND",
      `no alias "${name}" on task "${task}"${owner ? ` of account ${owner}` : ""}`,
      EXIT.refused,
      {
        hint: `list them with \`hearth alias ls --task ${task}\`, create one with \`hearth alias create ${task} ${name} --version <v>\``,
      },
    );
  }
  throw new CliError(
    "ALIAS_AMBIGUOUS",
    `"${name}" names aliases on tasks "${task}" of several accounts (${found.map((a) => a.task.ownerAccountId).join(", ")})`,
    EXIT.usage,
    { hint: "name the task's account with --owner <account id>" },
  );
}

export async function findAlias(
  conn: Connection,
  task: string,
  name: string,
  owner?: string,
): Promise<AliasView> {
  return pickAlias(await conn.call("listAliases", {}), task, name, owner);
}

export function formatAliasList(aliases: AliasView[]): string {
  if (aliases.length === 0)
    return "no aliases: create one with `hearth alias create <task> <name> --version <v>`";
  return table(
    ["TASK", "NAME", "ROUTES TO", "OWNER", "ID"],
    aliases.map((a) => [
      a.task.name,
      a.name,
      formatRouting(a),
      a.crossProfile ? `account ${a.task.ownerAccountId}` : "you",
      a.id,
    ]),
  );
}

export function formatAlias(a: AliasView): string {
  const lines = [
    `alias ${a.task.name}:${a.name} (${a.id}) → ${formatRouting(a)}`,
    ...(a.crossProfile ? [`on account ${a.task.ownerAccountId}'s task`] : []),
  ];
  const c = a.customization;
  if (c) {
    const env = Object.entries(c.environment).map(([k, v]) => `${k}=${v}`);
    lines.push(
      `runs in: ${c.runsIn}'s VMs   memory: ${c.memoryMb ?? "the task's"}${c.memoryMb ? " MB" : ""}   timeout: ${c.timeoutS ?? "the task's"}${c.timeoutS ? " s" : ""}`,
      `environment: ${env.length ? env.join(" ") : "(none)"}`,
      `secrets: ${c.secretNames.length ? c.secretNames.join(", ") : "(none)"}`,
    );
  }
  return lines.join("\n");
}

const memoryOption = (): Option =>
  new Option("--memory <mb>", "memory in MB for calls through this alias").argParser(
    integerParser(MEMORY_MB.min, MEMORY_MB.max),
  );
const timeoutOption = (): Option =>
  new Option("--timeout <seconds>", "timeout in seconds for calls through this alias").argParser(
    integerParser(TIMEOUT_S.min, TIMEOUT_S.max),
  );
const runsInOption = (): Option =>
  new Option("--runs-in <where>", "whose VMs run the calls: the task owner's or yours").choices([
    "owner",
    "caller",
  ]);

interface RoutingFlags {
  version?: number | "$LATEST";
  split?: { additionalVersion: number; weight: number } | false;
  description?: string;
}

interface CustomizationFlags {
  env?: Record<string, string>;
  unsetEnv?: string[];
  secret?: Record<string, string>;
  unsetSecret?: string[];
  memory?: number;
  timeout?: number;
  runsIn?: "owner" | "caller";
}

export function registerAliasCommands(program: Command): void {
  const alias = program.command("alias").description("names that point at a task's versions");

  withJson(
    alias
      .command("create <task> <name>")
      .description("create an alias on your task")
      .addOption(
        new Option("--version <version>", "the version it points at: a number, or $LATEST")
          .argParser(parseVersionRef)
          .makeOptionMandatory(),
      )
      .option("--split <VERSION=WEIGHT>", "send a share of calls to a second version, e.g. 2=0.1", parseSplit)
      .option("--description <text>", "a description"),
  ).action(async (task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<RoutingFlags>(cmd);
    const conn = await connect(o, "profile");
    const created = await conn.call("createAlias", {
      task,
      name,
      version: o.version,
      ...(o.split ? { split: o.split } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    print(o.json, created, () => `created ${formatAlias(created)}`);
  });

  withJson(
    alias.command("ls").description("list your aliases").option("--task <task>", "only those on this task"),
  ).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf<{ task?: string }>(cmd);
    const conn = await connect(o, "profile");
    // Filtered here, not by the API: its filter takes only your own tasks, not the ones shared with you.
    const all = await conn.call("listAliases", {});
    const rows = o.task === undefined ? all : all.filter((a) => a.task.name === o.task);
    print(o.json, rows, () => formatAliasList(rows));
  });

  withJson(
    alias
      .command("update <task> <name>")
      .description("re-point an alias, or change a cross-profile alias's customizations")
      .option(
        "--owner <account>",
        "the task's account, for an alias on a task shared with you",
        parseAccountId,
      )
      .option("--version <version>", "the version it points at: a number, or $LATEST", parseVersionRef)
      .option("--split <VERSION=WEIGHT>", "send a share of calls to a second version, e.g. 2=0.1", parseSplit)
      .option("--no-split", "send every call to --version")
      .option("--description <text>", "a description")
      .addOption(
        new Option("--env <KEY=VALUE>", "set an environment variable (cross-profile)").argParser(
          collectKeyValue,
        ),
      )
      .option("--unset-env <KEY>", "remove an environment variable (cross-profile)", collectList)
      .addOption(
        new Option("--secret <KEY=VALUE>", "set a secret (cross-profile)").argParser(collectKeyValue),
      )
      .option("--unset-secret <KEY>", "remove a secret (cross-profile)", collectList)
      .addOption(memoryOption())
      .addOption(timeoutOption())
      .addOption(runsInOption()),
  ).action(async (task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<RoutingFlags & CustomizationFlags & { owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const found = await findAlias(conn, task, name, o.owner);
    const routing = {
      ...(o.version !== undefined ? { version: o.version } : {}),
      ...(o.split !== undefined ? { split: o.split === false ? null : o.split } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
    };
    const custom: Record<string, unknown> = {
      ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
      ...(o.timeout !== undefined ? { timeoutS: o.timeout } : {}),
      ...(o.runsIn !== undefined ? { runsIn: o.runsIn } : {}),
    };
    if (o.env || o.unsetEnv) {
      // The API replaces the whole environment: merge the changes into the current one.
      const environment = { ...found.customization?.environment, ...o.env };
      for (const k of o.unsetEnv ?? []) delete environment[k];
      custom.environment = environment;
    }
    if (o.secret || o.unsetSecret) {
      custom.secrets = {
        ...o.secret,
        ...Object.fromEntries((o.unsetSecret ?? []).map((k) => [k, null])),
      };
    }
    if (Object.keys(routing).length === 0 && Object.keys(custom).length === 0) {
      throw usageError(
        "nothing to change",
        "give --version, --split, --no-split or --description (and for a cross-profile alias --env, --secret, --memory, --timeout or --runs-in)",
      );
    }
    if (Object.keys(custom).length > 0 && !found.crossProfile) {
      throw usageError(
        "--env, --secret, --memory, --timeout and --runs-in customize cross-profile aliases only",
        `configure your own task with \`hearth task config ${task}\``,
      );
    }
    let updated = found;
    if (Object.keys(routing).length > 0)
      updated = await conn.call("updateAlias", { aliasId: found.id, ...routing });
    if (Object.keys(custom).length > 0) {
      updated = await conn.call("customizeAlias", { aliasId: found.id, ...custom });
    }
    print(o.json, updated, () => `updated ${formatAlias(updated)}`);
  });

  withJson(
    alias
      .command("rm <task> <name>")
      .description("delete an alias with the tokens minted for it")
      .option(
        "--owner <account>",
        "the task's account, for an alias on a task shared with you",
        parseAccountId,
      ),
  ).action(async (task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ owner?: string }>(cmd);
    const conn = await connect(o, "profile");
    const found = await findAlias(conn, task, name, o.owner);
    const r = await conn.call("deleteAlias", { aliasId: found.id });
    print(o.json, r, () => `deleted alias ${task}:${name} (${r.deleted})`);
  });

  withJson(
    alias
      .command("create-shared")
      .description("create an alias in your profile on another profile's task (it must have granted you)")
      .argument("<ownerAccountId>", "the task owner's 12-digit account id", parseAccountId)
      .argument("<task>", "the task's name in that account")
      .argument("<name>", "the alias's name")
      .addOption(
        new Option("--version <version>", "the version it points at: a number, or $LATEST")
          .argParser(parseVersionRef)
          .makeOptionMandatory(),
      )
      .option("--split <VERSION=WEIGHT>", "send a share of calls to a second version, e.g. 2=0.1", parseSplit)
      .option("--description <text>", "a description")
      .addOption(
        new Option("--env <KEY=VALUE>", "an environment variable (repeat for more)").argParser(
          collectKeyValue,
        ),
      )
      .addOption(
        new Option("--secret <KEY=VALUE>", "a secret: sealed, never shown again (repeat for more)").argParser(
          collectKeyValue,
        ),
      )
      .addOption(memoryOption())
      .addOption(timeoutOption())
      .addOption(runsInOption()),
  ).action(async (ownerAccountId: string, task: string, name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<RoutingFlags & CustomizationFlags>(cmd);
    const conn = await connect(o, "profile");
    const created = await conn.call("createSharedAlias", {
      ownerAccountId,
      task,
      name,
      version: o.version,
      ...(o.split ? { split: o.split } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.env ? { environment: o.env } : {}),
      ...(o.secret ? { secrets: o.secret } : {}),
      ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
      ...(o.timeout !== undefined ? { timeoutS: o.timeout } : {}),
      ...(o.runsIn !== undefined ? { runsIn: o.runsIn } : {}),
    });
    print(o.json, created, () => `created ${formatAlias(created)}`);
  });
}
