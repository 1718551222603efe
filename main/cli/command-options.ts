// The options a command reads: its own merged with the program's (--url, --profile, --token), and --json.
import type { Command } from "commander";
import type { GlobalOptions } from "./connection.ts";

export interface JsonOption {
  json?: boolean;
}

/** A command's options with the program's: global options may stand anywhere on the line. */
export function optionsOf<T extends object>(cmd: Command): T & GlobalOptions & JsonOption {
  return cmd.optsWithGlobals<T & GlobalOptions & JsonOption>();
}

export function withJson(cmd: Command): Command {
  return cmd.option("--json", "print JSON (for scripts)");
}
