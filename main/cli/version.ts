// Hearth's version as package.json states it, and whether a command line asks for it (`hearth --version`).
import { readFileSync } from "node:fs";

/**
 * Only as the first word: commander's own version option would be global and take `--version` from every command,
 * and `hearth alias create echo prod --version 1` names a task's version there.
 */
export function asksForVersion(argv: readonly string[]): boolean {
  const first = argv[2];
  return argv.length === 3 && (first === "--version" || first === "-V");
}

export function hearthVersion(): string {
  // Read at run time, so a bundle built before a version bump still says the version of what is installed.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
