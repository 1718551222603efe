// The `hearth` program: global options, every command group, and how a run ends (output, exit status).
import { resolve } from "node:path";
import { Command } from "commander";
import { registerAliasCommands } from "./alias-commands.ts";
import { registerApiCommands } from "./api-commands.ts";
import { formatError } from "./error-report.ts";
import { registerDevCommands } from "./dev-commands.ts";
import { registerEventCommands } from "./event-commands.ts";
import { EXIT_CODES_HELP, exitCodeFor } from "./exit-codes.ts";
import { registerGrantCommands } from "./grant-commands.ts";
import { registerHostCommands } from "./host-commands.ts";
import { registerInvokeCommands } from "./invoke-commands.ts";
import { registerLogCommands } from "./log-commands.ts";
import { registerPoolCommands } from "./pool-commands.ts";
import { registerProfileCommands } from "./profile-commands.ts";
import { registerShareCommands } from "./share-commands.ts";
import { registerStatsCommands } from "./stats-commands.ts";
import { registerScheduleCommands } from "./schedule-commands.ts";
import { registerUrlCommands } from "./url-commands.ts";
import { registerTelemetryCommands } from "./telemetry-commands.ts";
import { registerTaskCommands } from "./task-commands.ts";
import { registerTokenCommands } from "./token-commands.ts";
import { registerWaitCommand } from "./wait-command.ts";
import { note } from "./output.ts";

const VERSION_HELP = `
Version:
  hearth --version (or -V), alone on the line, prints Hearth's version`;

const CONNECTION_HELP = `
Connection:
  URL          --url, else HEARTH_URL, else the serve.json a running \`hearth serve\` writes in the data
               directory (HEARTH_DATA), else http://127.0.0.1:7878
  credentials  --token / HEARTH_TOKEN (invokes its alias only), else AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
               when --profile is not given, else the data directory's owner key acting as --profile /
               HEARTH_PROFILE (or as the only profile there is)`;

const OUTPUT_HELP = `
Output:
  On a terminal, control characters in what tasks print (log lines, results, errors; a remote owner's
  tasks too) are shown as escapes (\\x1b, \\x0d, \\u009b) instead of acting on the terminal; a log line's
  own newlines are escaped as well. Piped or redirected, human output keeps the task's bytes as they are.
  --json always escapes every control character, C1 (\\u0080-\\u009f) and DEL included.`;

export function buildProgram(): Command {
  const program = new Command("hearth")
    .description("Local function hosting on your own micro-VMs")
    // Set before any command is added: subcommands copy these settings when they are created.
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .option("--url <url>", "the Hearth to talk to (default: HEARTH_URL, serve.json, http://127.0.0.1:7878)")
    .option("--profile <name>", "the profile to act as with the owner key (default: HEARTH_PROFILE)")
    .option("--token <token>", "an alias token (hth_…) to invoke with (default: HEARTH_TOKEN)")
    .option("--data <dir>", "Hearth's data directory (default: HEARTH_DATA, else the user data directory)")
    // Every command reads the data directory through main/paths.ts, which reads HEARTH_DATA.
    .hook("preAction", (cmd) => {
      const data = cmd.opts<{ data?: string }>().data;
      if (data) process.env.HEARTH_DATA = resolve(data);
    })
    .addHelpText("after", `${VERSION_HELP}\n${CONNECTION_HELP}\n${OUTPUT_HELP}\n${EXIT_CODES_HELP}`);

  registerProfileCommands(program);
  registerTaskCommands(program);
  registerAliasCommands(program);
  registerGrantCommands(program);
  registerTokenCommands(program);
  registerShareCommands(program);
  registerApiCommands(program);
  registerInvokeCommands(program);
  registerEventCommands(program);
  registerDevCommands(program);
  registerLogCommands(program);
  registerStatsCommands(program);
  registerTelemetryCommands(program);
  registerScheduleCommands(program);
  registerUrlCommands(program);
  registerPoolCommands(program);
  registerHostCommands(program);
  registerWaitCommand(program);
  return program;
}

/** Parses and runs a command line; sets process.exitCode rather than exiting, so output is flushed first. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const text = formatError(err);
    // A failed task's message is its own text: note() escapes its control characters on a terminal.
    if (text) note(text);
    process.exitCode = exitCodeFor(err);
  }
}
