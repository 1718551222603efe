// `hearth schedule`: a profile's rate and cron schedules that invoke a task (or alias) through the async queue,
// listed with their next and last runs and the runs they missed, made, paused, resumed and removed.
import type { Command } from "commander";
import type { ScheduleView } from "../contract.ts";
import { parseAccountId } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { print, table } from "./output.ts";

function targetText(s: ScheduleView): string {
  const t = s.target;
  return `${t.ownerAccountId ? `${t.ownerAccountId}:` : ""}${t.task}${t.qualifier ? `:${t.qualifier}` : ""}`;
}

function missedText(s: ScheduleView): string {
  return s.missed ? `${s.missed.count} (${s.missed.first} to ${s.missed.last})` : "";
}

interface CreateFlags {
  json?: boolean;
  rate?: string;
  cron?: string;
  task: string;
  alias?: string;
  owner?: string;
  input?: string;
  description?: string;
  paused?: boolean;
}

async function listSchedules(_o: unknown, cmd: Command): Promise<void> {
  const o = optionsOf(cmd);
  const conn = await connect(o, "profile");
  const list = await conn.call("listSchedules", {});
  print(o.json, list, () =>
    list.length === 0
      ? "no schedules (hearth schedule create NAME --rate '5 minutes' --task TASK)"
      : table(
          ["name", "expression", "target", "state", "next run", "last run", "missed", "last error"],
          list.map((s) => [
            s.name,
            s.expression,
            targetText(s),
            s.state,
            s.nextRunAt ?? "",
            s.lastRunAt ?? "",
            missedText(s),
            s.lastError ?? "",
          ]),
        ),
  );
}

export function registerScheduleCommands(program: Command): void {
  const schedule = withJson(
    program
      .command("schedule")
      .description("rate and cron schedules that invoke a task through the async queue (UTC)"),
  ).action(listSchedules);
  withJson(schedule.command("ls").description("the schedules, with their next and last runs")).action(
    listSchedules,
  );
  withJson(
    schedule
      .command("create <name>")
      .description("invoke a task on a rate ('5 minutes') or a cron ('0 12 * * ? *'), in UTC")
      .option("--rate <every>", "every VALUE UNIT: '1 minute', '5 minutes', '2 hours', '1 day'")
      .option("--cron <fields>", "six fields: minutes hours day-of-month month day-of-week year")
      .requiredOption("--task <task>", "the task to invoke")
      .option("--alias <alias>", "a version or alias of it")
      .option(
        "--owner <account>",
        "the task's account, for a task another profile lets you invoke",
        parseAccountId,
      )
      .option("--input <json>", "the event to send (default: EventBridge's Scheduled Event)")
      .option("--description <text>", "what it is for")
      .option("--paused", "make it paused"),
  ).action(async (name: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<CreateFlags>(cmd);
    if ((o.rate === undefined) === (o.cron === undefined)) {
      throw new CliError("INVALID_INPUT", "give one of --rate and --cron", EXIT.usage, { field: "--rate" });
    }
    const expression = o.rate !== undefined ? `rate(${o.rate})` : `cron(${o.cron})`;
    const conn = await connect(o, "profile");
    const s = await conn.call("createSchedule", {
      name,
      expression,
      target: {
        task: o.task,
        ...(o.alias !== undefined ? { qualifier: o.alias } : {}),
        ...(o.owner !== undefined ? { ownerAccountId: o.owner } : {}),
      },
      ...(o.input !== undefined ? { input: o.input } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.paused ? { enabled: false } : {}),
    });
    print(
      o.json,
      s,
      () => `schedule ${s.name}: ${s.expression} → ${targetText(s)}; next run ${s.nextRunAt ?? "none"}`,
    );
  });
  for (const [verb, enabled, what] of [
    ["pause", false, "stop sending runs until resumed"],
    ["resume", true, "send runs again (a rate counts its periods from now); clears the missed runs"],
  ] as const) {
    withJson(schedule.command(`${verb} <name>`).description(what)).action(
      async (name: string, _o: unknown, cmd: Command) => {
        const o = optionsOf(cmd);
        const conn = await connect(o, "profile");
        const s = await conn.call("updateSchedule", { name, enabled });
        print(
          o.json,
          s,
          () => `schedule ${s.name}: ${s.state}${s.nextRunAt ? `, next run ${s.nextRunAt}` : ""}`,
        );
      },
    );
  }
  withJson(schedule.command("rm <name>").description("remove a schedule")).action(
    async (name: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "profile");
      const r = await conn.call("deleteSchedule", { name });
      print(o.json, r, () => `removed schedule ${r.deleted}`);
    },
  );
}
