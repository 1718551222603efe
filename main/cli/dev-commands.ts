// `hearth dev [DIR]`: runs an AWS SAM, Serverless Framework or Hearth task project on this machine's Hearth and
// follows its files (main/project/project-session.ts).
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { optionsOf } from "./command-options.ts";
import { connect } from "./connection.ts";
import { CliError, EXIT } from "./exit-codes.ts";
import { note, out } from "./output.ts";

/** `Key=Value` pairs, several in one argument as `sam deploy` takes them, or SAM's `ParameterKey=K,ParameterValue=V`. */
export function collectOverrides(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const out = { ...previous };
  for (const token of value.trim().split(/\s+/).filter(Boolean)) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(token);
    const short = /^([A-Za-z0-9]+)=(.*)$/.exec(token);
    const m = long ?? short;
    if (!m)
      throw new InvalidArgumentError(
        `expected Key=Value (or ParameterKey=K,ParameterValue=V), not "${token}".`,
      );
    out[m[1]!] = m[2]!;
  }
  return out;
}

export function registerDevCommands(program: Command): void {
  program
    .command("dev [dir]")
    .description(
      "run a project (AWS SAM template.yaml, serverless.yml or task.json) on Hearth and reload it as you save",
    )
    .option(
      "--parameter-overrides <Key=Value...>",
      "SAM parameters (repeatable; several in one quoted argument too)",
      collectOverrides,
      {},
    )
    .option("--stage <stage>", "the Serverless stage (default: provider.stage, else dev)")
    .option("--region <region>", "what AWS::Region and ${aws:region} read (default us-east-1)")
    .option(
      "--api-name <name>",
      "the API the routes are published as (default: the folder's or service's name)",
    )
    .option(
      "--access <access>",
      "who may call the routes: public (anyone reaching the port) or token",
      "public",
    )
    .option("--no-watch", "import once and exit instead of following the files")
    .option(
      "--inspect",
      "debug the Node.js functions: each gets a port on 127.0.0.1 (9229 first) for Chrome DevTools or VS Code",
    )
    .addHelpText(
      "after",
      "\nThe project is only read: what Hearth makes of it lives in Hearth's data directory.\n" +
        "Examples:\n  hearth dev                       # the current folder\n" +
        "  hearth dev ./api --parameter-overrides Stage=test\n  hearth dev --no-watch           # import and exit",
    )
    .action(async (dirArg: string | undefined, _o: unknown, cmd: Command) => {
      const o = optionsOf<{
        parameterOverrides: Record<string, string>;
        stage?: string;
        region?: string;
        apiName?: string;
        access: string;
        watch: boolean;
        inspect?: boolean;
      }>(cmd);
      if (o.inspect && !o.watch) {
        throw new InvalidArgumentError("--inspect needs watching: the debugger ends when hearth dev stops.");
      }
      if (o.access !== "public" && o.access !== "token") {
        throw new InvalidArgumentError('--access is "public" or "token".');
      }
      const conn = await connect(o, "profile");
      const { ProjectSession } = await import("../project/project-session.ts");
      const { ProjectError } = await import("../project/project-model.ts");
      const refused = (err: unknown): unknown =>
        err instanceof ProjectError
          ? new CliError(err.code, err.message.replace(/^[A-Z_]+: /, ""), EXIT.refused, {
              hint:
                err.code === "API_EXISTS"
                  ? "name this project's API with --api-name NAME"
                  : "fix the project and run hearth dev again",
            })
          : err;
      let session: InstanceType<typeof ProjectSession>;
      try {
        session = new ProjectSession(
          dirArg ?? ".",
          { call: (name, input) => conn.call(name, input), baseUrl: conn.url },
          {
            parameterOverrides: o.parameterOverrides,
            ...(o.stage !== undefined ? { stage: o.stage } : {}),
            ...(o.region !== undefined ? { region: o.region } : {}),
            ...(o.apiName !== undefined ? { apiName: o.apiName } : {}),
            access: o.access,
            watch: o.watch,
            ...(o.inspect ? { inspect: true } : {}),
          },
          { note, out },
        );
        await session.start();
      } catch (err) {
        throw refused(err);
      }
      if (!o.watch) return;
      session.watch();
      note("Ctrl+C stops watching; the tasks and the API stay");
      await new Promise<void>((resolve) => {
        const done = () => {
          process.off("SIGINT", done);
          process.off("SIGTERM", done);
          resolve();
        };
        process.on("SIGINT", done);
        process.on("SIGTERM", done);
      });
      await session.stop();
    });
}
