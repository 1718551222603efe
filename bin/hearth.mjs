#!/usr/bin/env node
// The `hearth` command: runs the build in dist/cli/, made at install and made again here when a source changed
// since. Where it cannot be built (esbuild missing, a read-only checkout) the TypeScript sources run through tsx.
// @ts-check
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildCli, CLI_DIR, ENTRY_FILE, staleReason } from "./cli-bundle.mjs";

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
