// Where a Node.js handler's code is: a JavaScript module Hearth uploads as it is, or a TypeScript one it bundles.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runtimeFamily, type Runtime } from "../domain/tasks/runtime-ids.ts";

const JS = [".js", ".mjs", ".cjs"];
const TS = [".ts", ".mts", ".cts"];

/** The handler's module path: `src/app.handler` → `src/app`. */
export function handlerModule(handler: string): string {
  const dot = handler.lastIndexOf(".");
  return dot > 0 ? handler.slice(0, dot) : handler;
}

/**
 * Null when the handler's module is JavaScript (or the runtime is not Node.js), else the TypeScript entry to bundle:
 * `explicit` (SAM's esbuild EntryPoints) or the module with a .ts, .mts or .cts extension.
 */
export function bundleFor(
  codeDir: string,
  handler: string,
  runtime: Runtime,
  explicit?: string,
): { entry: string; module: string } | null {
  if (runtimeFamily(runtime) !== "nodejs") return null;
  const module = handlerModule(handler);
  if (explicit) return { entry: explicit.replace(/^\.\//, ""), module };
  if (JS.some((ext) => existsSync(join(codeDir, module + ext)))) return null;
  const ts = TS.find((ext) => existsSync(join(codeDir, module + ext)));
  return ts ? { entry: module + ts, module } : null;
}
