// `hearth grant`: let another profile build aliases on your task (with limits), list grants, revoke one.
import { Option, type Command } from "commander";
import type { GrantView } from "../contract.ts";
import { MEMORY_MB, TIMEOUT_S } from "../domain/tasks/task-limits.ts";
import { integerParser } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { print, table } from "./output.ts";

function limits(g: GrantView): string {
  const m = g.limits.maxMemoryMb === null ? "any memory" : `≤ ${g.limits.maxMemoryMb} MB`;
  const t = g.limits.maxTimeoutS === null ? "any timeout" : `≤ ${g.limits.maxTimeoutS} s`;
  const allowed = g.limits.allowedEnvironment;
  const e =
    allowed == null
      ? "the task's declared variables"
      : allowed.length === 0
        ? "no variables"
        : `variables ${allowed.join(",")}`;
  const placement = g.limits.callerPlacement ?? "none";
  const p =
    placement === "none"
      ? "runs in your VMs"
      : placement === "code"
        ? "may run in theirs (code only)"
        : "may run in theirs (code and environment)";
  return `${m}, ${t}, ${e}, ${p}`;
}

/** `A, B,C` → ["A", "B", "C"]; an empty string allows nothing. */
export function splitNames(list: string): string[] {
  return list
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "");
}

export function formatGrantList(grants: GrantView[]): string {
  if (grants.length === 0)
    return "no grants: share a task with `hearth grant <task> <profile or account id>`";
  return table(
    ["ID", "TASK", "OWNER", "GRANTEE", "LIMITS", "CREATED"],
    grants.map((g) => [
      g.id,
      g.task.name,
      g.task.ownerAccountId,
      `${g.grantee.name} (${g.grantee.accountId})`,
      limits(g),
      g.createdAt,
    ]),
  );
}

export function registerGrantCommands(program: Command): void {
  const grant = withJson(
    program
      .command("grant")
      .description("let another profile alias your task (also: grant ls, grant revoke <id>)")
      .argument("<task>", "your task")
      .argument("<grantee>", "the other profile's name or account id")
      .addOption(
        new Option("--max-memory <mb>", "the most memory its aliases may ask for").argParser(
          integerParser(MEMORY_MB.min, MEMORY_MB.max),
        ),
      )
      .addOption(
        new Option("--max-timeout <seconds>", "the longest timeout its aliases may ask for").argParser(
          integerParser(TIMEOUT_S.min, TIMEOUT_S.max),
        ),
      )
      .addOption(
        new Option(
          "--allow-caller-placement <what>",
          "let its aliases run the task in their own VMs: code (your environment stays out) or code-and-environment",
        ).choices(["code", "code-and-environment"]),
      )
      .addOption(
        new Option(
          "--allow-env <names>",
          "comma-separated variables its aliases may set (environment and secrets); default: those the task declares; '' for none",
        ),
      ),
  ).action(async (task: string, grantee: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{
      maxMemory?: number;
      maxTimeout?: number;
      allowEnv?: string;
      allowCallerPlacement?: "code" | "code-and-environment";
    }>(cmd);
    const g = await (
      await connect(o, "profile")
    ).call("createGrant", {
      task,
      grantee,
      ...(o.maxMemory !== undefined ? { maxMemoryMb: o.maxMemory } : {}),
      ...(o.maxTimeout !== undefined ? { maxTimeoutS: o.maxTimeout } : {}),
      ...(o.allowEnv !== undefined ? { allowedEnvironment: splitNames(o.allowEnv) } : {}),
      ...(o.allowCallerPlacement !== undefined ? { callerPlacement: o.allowCallerPlacement } : {}),
    });
    print(o.json, g, () =>
      [
        `granted ${g.grantee.name} (account ${g.grantee.accountId}) task ${g.task.name}: ${limits(g)} (${g.id})`,
        `they alias it with: hearth alias create-shared ${g.task.ownerAccountId} ${g.task.name} <name> --version <v>`,
      ].join("\n"),
    );
  });

  withJson(grant.command("ls").description("grants you gave and received")).action(
    async (_o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const rows = await (await connect(o, "profile")).call("listGrants", {});
      print(o.json, rows, () => formatGrantList(rows));
    },
  );

  withJson(
    grant.command("revoke <id>").description("revoke a grant; the aliases built on it go with it"),
  ).action(async (id: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const r = await (await connect(o, "profile")).call("revokeGrant", { grantId: id });
    print(o.json, r, () => `revoked grant ${r.deleted}`);
  });
}
