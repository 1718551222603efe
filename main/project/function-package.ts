// One function of a project as the zip Hearth runs: its folder's files as they are, or its TypeScript handler
// bundled with esbuild. Code that would not load (a syntax error) is caught here, with its file and line, so the
// code already serving keeps serving.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_IMPORT_LIMITS } from "../domain/tasks/import-limits.ts";
import { nodeMajorOf, runtimeFamily } from "../domain/tasks/runtime-ids.ts";
import type { ProjectFunction } from "../project/project-model.ts";
import { handlerModule } from "../project/handler-source.ts";
import { packCodeZip, type CodeFile } from "../store/code-zip-packer.ts";
import { listFolderFiles, readFolderFiles } from "../store/folder-reader.ts";

/** Folders of tools and builds, never a function's code. */
const SKIPPED = new Set([".git", ".aws-sam", ".serverless", ".hearth", ".vscode", ".idea", "__pycache__"]);

export function skippedPath(path: string): boolean {
  return path.split("/").some((part) => SKIPPED.has(part));
}

/** Code that does not build or parse: where, and what the tool said. */
/**
 * Lets an ES module bundle of CommonJS code still `require` Node's built-ins. Spelled in parts: the CLI's own bundler
 * rewrites the module-URL expression wherever it appears in this file's text.
 */
const REQUIRE_SHIM = `import { createRequire as __hearthRequire } from "node:module"; const require = __hearthRequire(${["import", "meta", "url"].join(".")});`;

export class CodeError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line !== null ? `:${line}` : ""}: ${detail}`);
  }
}

export interface PackedFunction {
  zip: Buffer;
  files: number;
  bundled: boolean;
}

async function bundle(fn: ProjectFunction, projectDir: string): Promise<CodeFile[]> {
  const { build } = await import("esbuild");
  const b = fn.bundle!;
  try {
    const r = await build({
      entryPoints: [join(fn.codeDir, b.entry)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: `node${nodeMajorOf(fn.runtime)}`,
      outfile: join(fn.codeDir, `${b.module}.mjs`),
      write: false,
      logLevel: "silent",
      // Error locations relative to the project, as the developer knows its files.
      absWorkingDir: projectDir,
      // Modules an ESM bundle of CommonJS code may still require.
      banner: { js: REQUIRE_SHIM },
      // A debugger attached with --inspect shows the TypeScript as written, breakpoints in it included.
      sourcemap: "inline",
      sourcesContent: true,
    });
    return r.outputFiles.map((f) => ({
      path: `${b.module}.mjs`,
      data: Buffer.from(f.contents),
      executable: false,
    }));
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] })
      .errors?.[0];
    if (first) throw new CodeError(first.location?.file ?? b.entry, first.location?.line ?? null, first.text);
    throw err;
  }
}

/** A syntax error in the handler's module, checked by the interpreter that will load it (never writing a file). */
function checkSyntax(fn: ProjectFunction, projectDir: string): void {
  const module = handlerModule(fn.handler);
  const family = runtimeFamily(fn.runtime);
  const candidates =
    family === "nodejs"
      ? [".mjs", ".js", ".cjs"].map((e) => module + e)
      : family === "python3"
        ? [`${module.replace(/\./g, "/")}.py`]
        : [];
  const file = candidates.find((c) => existsSync(join(fn.codeDir, c)));
  if (!file) return;
  const path = join(fn.codeDir, file);
  const r =
    family === "nodejs"
      ? spawnSync(process.execPath, ["--check", path], { encoding: "utf8" })
      : spawnSync(
          "python3",
          [
            "-I",
            "-c",
            "import ast,sys; ast.parse(open(sys.argv[1], encoding='utf-8').read(), sys.argv[1])",
            path,
          ],
          { encoding: "utf8" },
        );
  if (r.status === 0 || r.error) return;
  const text = `${r.stderr}`;
  const shown = relative(projectDir, path);
  const line = family === "nodejs" ? /:(\d+)\n/.exec(text)?.[1] : /line (\d+)/.exec(text)?.[1];
  const message =
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /Error:/.test(l))
      .pop() ??
    text.trim().split("\n").pop() ??
    "does not parse";
  throw new CodeError(shown, line ? Number(line) : null, message);
}

export async function packFunction(fn: ProjectFunction, projectDir: string): Promise<PackedFunction> {
  const limits = DEFAULT_IMPORT_LIMITS;
  if (fn.bundle) {
    const files = await bundle(fn, projectDir);
    return { zip: await packCodeZip(files, limits.maxZipBytes), files: files.length, bundled: true };
  }
  checkSyntax(fn, projectDir);
  const files = await listFolderFiles(fn.codeDir, limits, skippedPath);
  return {
    zip: await packCodeZip(readFolderFiles(files, limits), limits.maxZipBytes),
    files: files.length,
    bundled: false,
  };
}
