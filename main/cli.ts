// The `hearth` command line; the program is built from main/cli/, one file per group of commands.
import { runCli } from "./cli/program.ts";

await runCli(process.argv);
