// HTTP and the window's IPC are two adapters over main/operations: main/app/ipc-bridge.ts reaches nothing of
// main/http, and main/http reaches nothing of main/app, directly or through what they import.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../../..");

/** Every module a source file names: static imports and re-exports (type-only ones too), and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g))
    found.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]!);
  return found
    .filter((spec) => spec.startsWith("."))
    .map((spec) => resolve(dirname(file), spec))
    .filter((path) => existsSync(path));
}

/** The project's files a file reaches through its imports, itself included, as paths from the project's root. */
function reached(start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [resolve(ROOT, start)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    const rel = relative(ROOT, file);
    if (seen.has(rel)) continue;
    seen.add(rel);
    todo.push(...importsOf(file));
  }
  return seen;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

test("the import scan follows static, type-only and dynamic imports", () => {
  const bridge = reached("main/app/ipc-bridge.ts");
  assert.ok(bridge.has("main/operations/run-operation.ts"), "ipc-bridge.ts → run-operation.ts");
  assert.ok(bridge.has("main/operations/operation-context.ts"), "a type-only import");
  assert.ok(bridge.has("main/operations/sharing.ts"), "an import of an import");
  const cli = reached("main/cli/host-commands.ts");
  assert.ok(cli.has("main/http/server.ts"), "a dynamic import");
});

test("main/app/ipc-bridge.ts reaches nothing of main/http", () => {
  const into = [...reached("main/app/ipc-bridge.ts")].filter((f) => f.startsWith("main/http/"));
  assert.deepEqual(into, []);
});

test("main/http reaches nothing of main/app", () => {
  const files = sourcesUnder("main/http");
  assert.ok(files.length > 20, `found only ${files.length} files under main/http`);
  for (const file of files) {
    const into = [...reached(file)].filter((f) => f.startsWith("main/app/"));
    assert.deepEqual(into, [], `${file} reaches main/app`);
  }
});
