// `hearth import`, `update-code`, `publish` and `task ls|show|config|rm`: a profile's tasks over the native API.
import { Option, type Command } from "commander";
import type { AliasView, OwnedTaskView, TaskView } from "../contract.ts";
import { MEMORY_MB, RUNTIMES, TIMEOUT_S } from "../domain/tasks/task-limits.ts";
import { collectKeyValue, collectList, integerParser, parseRuntime } from "./arg-parsers.ts";
import { optionsOf, withJson } from "./command-options.ts";
import { connect, type Connection } from "./connection.ts";
import { usageError } from "./exit-codes.ts";
import { formatBytes, print, Progress, table } from "./output.ts";

const memoryOption = (what: string): Option =>
  new Option("--memory <mb>", `${what} memory in MB (${MEMORY_MB.min}-${MEMORY_MB.max})`).argParser(
    integerParser(MEMORY_MB.min, MEMORY_MB.max),
  );
const timeoutOption = (what: string): Option =>
  new Option(
    "--timeout <seconds>",
    `${what} timeout in seconds (${TIMEOUT_S.min}-${TIMEOUT_S.max})`,
  ).argParser(integerParser(TIMEOUT_S.min, TIMEOUT_S.max));
const envOption = (what: string): Option =>
  new Option("--env <KEY=VALUE>", `${what} (repeat for more)`).argParser(collectKeyValue);

function newest(task: OwnedTaskView): number | null {
  return task.versions.at(-1)?.version ?? null;
}

export function formatTaskSummary(t: OwnedTaskView): string {
  return `${t.name}: ${t.runtime} ${t.handler}, ${t.memoryMb} MB, ${t.timeoutS} s, code ${formatBytes(t.codeSize)} (sha256 ${t.codeSha256.slice(0, 12)})`;
}

export function formatTaskList(tasks: TaskView[]): string {
  if (tasks.length === 0) return "no tasks yet: import one with `hearth import <folder>`";
  return table(
    ["NAME", "OWNER", "RUNTIME", "MEMORY", "TIMEOUT", "VERSIONS", "UPDATED"],
    tasks.map((t) =>
      t.access === "owner"
        ? [
            t.name,
            "you",
            t.runtime,
            `${t.memoryMb} MB`,
            `${t.timeoutS} s`,
            String(t.versions.length),
            t.updatedAt,
          ]
        : [
            t.name,
            `${t.ownerProfileName} (${t.ownerAccountId})`,
            t.runtime,
            `${t.memoryMb} MB`,
            `${t.timeoutS} s`,
            String(t.versions.length),
            t.versions.at(-1)?.createdAt ?? t.grantedAt,
          ],
    ),
  );
}

export function formatRouting(a: Pick<AliasView, "routing">): string {
  const { version, split } = a.routing;
  if (!split) return String(version);
  const w = Math.round(split.weight * 1000) / 10;
  return `${version} (${Math.round((100 - w) * 10) / 10}%), ${split.additionalVersion} (${w}%)`;
}

export function formatTask(t: TaskView, aliases: AliasView[] = []): string {
  const lines: string[] = [];
  if (t.access === "owner") {
    lines.push(
      `task ${t.name} (${t.id}) of account ${t.accountId}`,
      ...(t.description ? [`description: ${t.description}`] : []),
      `runtime: ${t.runtime}   handler: ${t.handler}   memory: ${t.memoryMb} MB   timeout: ${t.timeoutS} s`,
      `code: ${formatBytes(t.codeSize)}, sha256 ${t.codeSha256}`,
      `updated: ${t.updatedAt}   created: ${t.createdAt}`,
    );
    const env = Object.entries(t.environment);
    lines.push(env.length ? "environment:" : "environment: (none)", ...env.map(([k, v]) => `  ${k}=${v}`));
    lines.push(
      t.versions.length ? "versions:" : "versions: none published yet (`hearth publish " + t.name + "`)",
      ...t.versions.map(
        (v) =>
          `  ${String(v.version).padEnd(4)} ${v.createdAt}  ${v.config.memoryMb} MB ${v.config.timeoutS} s  ${v.codeSha256.slice(0, 12)}${v.description ? `  ${v.description}` : ""}`,
      ),
    );
  } else {
    lines.push(
      `task ${t.name} (${t.id}) shared by ${t.ownerProfileName} (account ${t.ownerAccountId})`,
      ...(t.description ? [`description: ${t.description}`] : []),
      `runtime: ${t.runtime}   memory: ${t.memoryMb} MB   timeout: ${t.timeoutS} s`,
      `your limits: memory ${t.limits.maxMemoryMb ?? "any"} MB, timeout ${t.limits.maxTimeoutS ?? "any"} s (granted ${t.grantedAt})`,
      t.versions.length ? "versions:" : "versions: none published yet",
      ...t.versions.map(
        (v) => `  ${String(v.version).padEnd(4)} ${v.createdAt}${v.description ? `  ${v.description}` : ""}`,
      ),
    );
  }
  if (aliases.length) {
    lines.push("aliases:", ...aliases.map((a) => `  ${a.name.padEnd(16)} → ${formatRouting(a)}`));
  }
  return lines.join("\n");
}

/** Zips (a folder) and uploads, saying what it does on stderr: big tasks take a while. */
async function upload(
  path: string,
): Promise<{ zipBase64: string; taskJson: Record<string, unknown> | null }> {
  const progress = new Progress();
  // The zip and folder readers load only for the commands that upload code.
  const { packTaskPath } = await import("./task-package.ts");
  const pkg = await packTaskPath(
    path,
    (text) => progress.step(text),
    (done, total) => progress.update(`zipped ${formatBytes(done)} of ${formatBytes(total)}`),
  );
  progress.step(`uploading ${formatBytes(pkg.zip.length)}…`);
  return { zipBase64: pkg.zip.toString("base64"), taskJson: pkg.taskJson };
}

interface ImportFlags {
  name?: string;
  runtime?: string;
  handler?: string;
  memory?: number;
  timeout?: number;
  description?: string;
  env?: Record<string, string>;
  publish?: boolean;
}

async function importTask(
  path: string,
  o: ImportFlags & { json?: boolean },
  conn: Connection,
): Promise<void> {
  const { zipBase64, taskJson } = await upload(path);
  const { manifestFor } = await import("./task-package.ts");
  const manifest = manifestFor(taskJson, {
    name: o.name,
    runtime: o.runtime,
    handler: o.handler,
    memoryMb: o.memory,
    timeoutS: o.timeout,
    description: o.description,
    environment: o.env,
  });
  const task = await conn.call("importTask", {
    zipBase64,
    ...(manifest ? { manifest } : {}),
    ...(o.publish ? { publish: true } : {}),
  });
  print(o.json, task, () =>
    [
      `imported ${formatTaskSummary(task)}`,
      o.publish
        ? `published version ${newest(task)}`
        : `publish a version with \`hearth publish ${task.name}\``,
      `invoke it: hearth invoke ${task.name} --payload '{}'`,
    ].join("\n"),
  );
}

export function registerTaskCommands(program: Command): void {
  withJson(
    program
      .command("import <folder-or-zip>")
      .description("create a task from a folder (task.json beside the code) or a zip of one")
      .option("--name <name>", "the task's name (default: task.json's)")
      .option(
        "--runtime <runtime>",
        `the runtime: ${RUNTIMES.slice(0, 5).join(", ")}… (default: task.json's)`,
        parseRuntime,
      )
      .option("--handler <handler>", "module.export the runtime calls, e.g. index.handler")
      .addOption(memoryOption("the task's"))
      .addOption(timeoutOption("the task's"))
      .option("--description <text>", "a description")
      .addOption(envOption("an environment variable, added to task.json's"))
      .option("--publish", "publish version 1 right away"),
  ).action(async (path: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<ImportFlags>(cmd);
    await importTask(path, o, await connect(o, "profile"));
  });

  withJson(
    program
      .command("update-code <task> <folder-or-zip>")
      .description("replace a task's code ($LATEST); its configuration stays")
      .option("--publish", "publish a version of the new code"),
  ).action(async (taskName: string, path: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ publish?: boolean }>(cmd);
    const conn = await connect(o, "profile");
    const { zipBase64 } = await upload(path);
    const task = await conn.call("updateTaskCode", {
      task: taskName,
      zipBase64,
      ...(o.publish ? { publish: true } : {}),
    });
    print(o.json, task, () =>
      [
        `updated ${formatTaskSummary(task)}`,
        ...(o.publish ? [`published version ${newest(task)}`] : []),
      ].join("\n"),
    );
  });

  withJson(
    program
      .command("publish <task>")
      .description("publish a version: an immutable snapshot of $LATEST's code and configuration")
      .option("--description <text>", "what this version is"),
  ).action(async (taskName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{ description?: string }>(cmd);
    const conn = await connect(o, "profile");
    const task = await conn.call("publishVersion", {
      task: taskName,
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    print(o.json, task, () => `published ${task.name} version ${newest(task)}`);
  });

  const task = program.command("task").description("your tasks and the tasks shared with you");

  withJson(task.command("ls").description("list tasks")).action(async (_o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const tasks = await (await connect(o, "profile")).call("listTasks", {});
    print(o.json, tasks, () => formatTaskList(tasks));
  });

  withJson(task.command("show <task>").description("a task's configuration, versions and aliases")).action(
    async (taskName: string, _o: unknown, cmd: Command) => {
      const o = optionsOf(cmd);
      const conn = await connect(o, "profile");
      const view = await conn.call("getTask", { task: taskName });
      if (o.json) return print(true, view, () => "");
      const aliases = view.access === "owner" ? await conn.call("listAliases", { task: taskName }) : [];
      print(false, view, () => formatTask(view, aliases));
    },
  );

  withJson(
    task
      .command("config <task>")
      .description("change $LATEST's configuration (publish to make a version of it)")
      .addOption(memoryOption("the"))
      .addOption(timeoutOption("the"))
      .option("--handler <handler>", "module.export the runtime calls")
      .option("--runtime <runtime>", `the runtime: ${RUNTIMES.slice(0, 5).join(", ")}…`, parseRuntime)
      .option("--description <text>", "a description")
      .addOption(envOption("set an environment variable"))
      .option("--unset-env <KEY>", "remove an environment variable (repeat for more)", collectList),
  ).action(async (taskName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf<{
      memory?: number;
      timeout?: number;
      handler?: string;
      runtime?: string;
      description?: string;
      env?: Record<string, string>;
      unsetEnv?: string[];
    }>(cmd);
    const patch: Record<string, unknown> = {
      ...(o.memory !== undefined ? { memoryMb: o.memory } : {}),
      ...(o.timeout !== undefined ? { timeoutS: o.timeout } : {}),
      ...(o.handler !== undefined ? { handler: o.handler } : {}),
      ...(o.runtime !== undefined ? { runtime: o.runtime } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
    };
    const conn = await connect(o, "profile");
    if (o.env || o.unsetEnv) {
      // The API replaces the whole environment: merge the changes into the current one.
      const current = await conn.call("getTask", { task: taskName });
      const environment = { ...(current.access === "owner" ? current.environment : {}), ...o.env };
      for (const k of o.unsetEnv ?? []) delete environment[k];
      patch.environment = environment;
    }
    if (Object.keys(patch).length === 0) {
      throw usageError(
        "nothing to change",
        "give --memory, --timeout, --handler, --runtime, --description, --env or --unset-env",
      );
    }
    const updated = await conn.call("configureTask", { task: taskName, ...patch });
    print(o.json, updated, () => `configured ${formatTaskSummary(updated)}`);
  });

  withJson(
    task.command("rm <task>").description("delete a task with its versions, aliases, grants and tokens"),
  ).action(async (taskName: string, _o: unknown, cmd: Command) => {
    const o = optionsOf(cmd);
    const r = await (await connect(o, "profile")).call("deleteTask", { task: taskName });
    print(o.json, r, () => `deleted task ${r.deleted}`);
  });
}
