// The `hearth` command line. `--version` is answered before the program is built; every other command line loads
// the program (main/cli/, one file per group of commands), which loads what a command needs only when it runs.
import { asksForVersion, hearthVersion } from "./cli/version.ts";

if (asksForVersion(process.argv)) {
  process.stdout.write(`${hearthVersion()}\n`);
} else {
  const { runCli } = await import("./cli/program.ts");
  await runCli(process.argv);
}
