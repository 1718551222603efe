#!/usr/bin/env node
// The `hearth` command: runs the build in dist/cli/, made at install and made again here when a source changed
// since. Where it cannot be built (esbuild missing, a read-only checkout) the TypeScript sources run through tsx.
// @ts-check
import { readFileSync } from "node:fs";

// `hearth --version` (alone, as main/cli/version.ts reads it) is answered here: it needs neither the build nor
// the check that the build is current, only package.json.
const [first, ...more] = process.argv.slice(2);
if (more.length === 0 && (first === "--version" || first === "-V")) {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  process.stdout.write(`${typeof pkg.version === "string" ? pkg.version : "unknown"}\n`);
} else {
  await runCommand();
}

async function runCommand() {
  const { join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const { buildCli, CLI_DIR, ENTRY_FILE, staleReason } = await import("./cli-bundle.mjs");
  const stale = staleReason();
  let built = stale === null;
  if (!built) {
    try {
      await buildCli();
      built = true;
    } catch (err) {
      process.stderr.write(
        `hearth: could not build ${CLI_DIR} (${stale}): ${err instanceof Error ? err.message : String(err)}; ` +
          "running the TypeScript sources instead\n",
      );
    }
  }
  if (built) {
    await import(pathToFileURL(join(CLI_DIR, ENTRY_FILE)).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import("../main/cli.ts");
  }
}
