// @ts-check
// Builds the `hearth` command into dist/cli/ with esbuild (at `npm install` and `npm ci`, and from bin/hearth.mjs
// when a source changed since), and says whether the build there is current. Plain JavaScript: it runs before any
// TypeScript is compiled. The check runs at every start of `hearth`, so it only reads one file and stats the inputs.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CLI_DIR = join(REPO_DIR, "dist", "cli");
/** The entry in the build folder; chunks sit beside it, named by their content's hash. */
export const ENTRY_FILE = "hearth.js";
const ENTRY_SOURCE = "main/cli.ts";
const META_FILE = "build-meta.json";
const META_VERSION = 1;
/** A build is made from these too, though esbuild does not read them as modules. */
const BUILD_INPUTS = [relative(REPO_DIR, fileURLToPath(import.meta.url))];

/**
 * Packages bundled into the command: commander is on every command's path, and one bundled copy loads in about
 * half the time of the package's CommonJS files. Every other package stays in node_modules and is imported from
 * there: native bindings (@unraid/libvirt), esbuild's binary, electron, and the server's libraries (fastify, pino,
 * lowdb, zod), which only commands that start the host or touch the store load, and which find files of their own.
 */
const BUNDLED_PACKAGES = new Set(["commander"]);

/**
 * Modules run at build time, their exports (plain data) written into the bundle as literals: the HTTP client's
 * routes come from main/contract.ts, whose zod schemas would otherwise load with every command that calls Hearth.
 */
export const FROZEN_MODULES = ["main/client/operation-routes.ts"];

/** Bundled CommonJS (commander) calls require() for Node's modules; an ES module has none of its own. */
const REQUIRE_BANNER =
  'import { createRequire as __hearthCreateRequire } from "node:module";\n' +
  "const require = __hearthCreateRequire(import.meta.url);";

/** A build's files from earlier builds are kept this long: a command started before a rebuild still loads them. */
const KEEP_OLD_FILES_MS = 60 * 60 * 1000;

/**
 * @typedef {{ version: number, entry: string, builtAt: string, inputs: Record<string, [number, number] | null> }}
 *   BuildMeta
 */

/**
 * Why the build in `dir` cannot be used as it is, or null when it is current: built from the files under `root` as
 * they are now (the same modification time and size of every input; an input added later is reached only through
 * one that changed).
 * @param {string} [dir]
 * @param {string} [root]
 * @returns {string | null}
 */
export function staleReason(dir = CLI_DIR, root = REPO_DIR) {
  /** @type {BuildMeta} */
  let meta;
  try {
    meta = JSON.parse(readFileSync(join(dir, META_FILE), "utf8"));
  } catch {
    return "not built yet";
  }
  if (meta?.version !== META_VERSION || typeof meta.inputs !== "object" || meta.inputs === null)
    return "built by another version of bin/cli-bundle.mjs";
  if (!statSync(join(dir, meta.entry), { throwIfNoEntry: false })) return `${meta.entry} is missing`;
  for (const [file, seen] of Object.entries(meta.inputs)) {
    const now = statSync(join(root, file), { throwIfNoEntry: false });
    if (!now) return `${file} is gone`;
    if (!seen) return `${file} changed while it was built`;
    if (now.mtimeMs !== seen[0] || now.size !== seen[1]) return `${file} changed`;
  }
  return null;
}

/** @param {string} specifier */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

/**
 * Writes through a temporary file and a rename: a `hearth` starting meanwhile reads the old file or the new one.
 * @param {string} file
 * @param {string | Uint8Array} contents
 */
function writeAtomically(file, contents) {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/**
 * @typedef {import("esbuild").Plugin} Plugin
 * @typedef {typeof import("esbuild")} Esbuild
 */

/**
 * Bare imports stay imports of node_modules (or Node's own modules), but for BUNDLED_PACKAGES.
 * @type {Plugin}
 */
const packagesPlugin = {
  name: "hearth-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Keeps each module's `import.meta.url` its own source file's URL, as under tsx: modules find files beside them by
 * it (the window's folder, the image's, the agent's sources), and in a bundle it would be the chunk's URL. The URL
 * is made relative to the chunk, so the checkout can move.
 * Also serves the frozen modules' literal exports.
 * @param {string} outDir
 * @param {Map<string, string>} frozen source file → the module to bundle in its place
 * @returns {Plugin}
 */
function sourcesPlugin(outDir, frozen) {
  return {
    name: "hearth-sources",
    setup(build) {
      build.onLoad({ filter: /\.m?ts$/ }, (args) => {
        if (args.path.split(sep).includes("node_modules")) return undefined;
        const literal = frozen.get(args.path);
        if (literal !== undefined) return { contents: literal, loader: "js" };
        const source = readFileSync(args.path, "utf8");
        if (!source.includes("import.meta.url")) return { contents: source, loader: "ts" };
        const own = relative(outDir, args.path).split(sep).join("/");
        return {
          contents: source.replace(
            /\bimport\.meta\.url\b/g,
            `new URL(${JSON.stringify(own)}, import.meta.url).href`,
          ),
          loader: "ts",
        };
      });
    },
  };
}

/**
 * Runs one of FROZEN_MODULES and returns a module exporting the same values as literals, with the files it was
 * made from.
 * @param {Esbuild} esbuild
 * @param {string} file relative to REPO_DIR
 * @param {string} outDir where the bundle goes: the module runs from there, to find node_modules as the bundle will
 * @returns {Promise<{ source: string, inputs: string[] }>}
 */
async function freeze(esbuild, file, outDir) {
  const tmp = join(outDir, `.freeze-${process.pid}-${basename(file)}.mjs`);
  const result = await esbuild.build({
    absWorkingDir: REPO_DIR,
    entryPoints: [file],
    outfile: tmp,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    metafile: true,
    logLevel: "warning",
    plugins: [packagesPlugin, sourcesPlugin(outDir, new Map())],
  });
  /** @type {Record<string, unknown>} */
  let exports;
  try {
    exports = await import(pathToFileURL(tmp).href);
  } finally {
    rmSync(tmp, { force: true });
  }
  const lines = [`// ${file} as it was when this bundle was built (bin/cli-bundle.mjs).`];
  for (const [name, value] of Object.entries(exports)) {
    const text = JSON.stringify(value);
    if (text === undefined || !isDeepStrictEqual(JSON.parse(text), value))
      throw new Error(`${file}: export ${name} is not plain data, so it cannot be frozen into the bundle`);
    lines.push(name === "default" ? `export default ${text};` : `export const ${name} = ${text};`);
  }
  return { source: `${lines.join("\n")}\n`, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * Builds the command into `outDir`: the entry, a chunk per dynamic import (so a command loads only what it uses),
 * source maps, and build-meta.json, which staleReason() reads.
 * @param {{ outDir?: string }} [options]
 * @returns {Promise<{ outDir: string, files: string[], inputs: string[], ms: number }>}
 */
export async function buildCli({ outDir = CLI_DIR } = {}) {
  const started = Date.now();
  const esbuild = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const frozen = new Map();
  const inputs = new Set(BUILD_INPUTS);
  for (const file of FROZEN_MODULES) {
    const f = await freeze(esbuild, file, outDir);
    frozen.set(join(REPO_DIR, file), f.source);
    for (const i of f.inputs) inputs.add(i);
  }
  const result = await esbuild.build({
    absWorkingDir: REPO_DIR,
    entryPoints: [{ in: ENTRY_SOURCE, out: basename(ENTRY_FILE, ".js") }],
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    write: false,
    logLevel: "warning",
    banner: { js: REQUIRE_BANNER },
    plugins: [packagesPlugin, sourcesPlugin(outDir, frozen)],
  });
  for (const i of Object.keys(result.metafile.inputs)) inputs.add(i);

  // Chunks first (new names: nothing running reads them yet), then the entry that imports them, then the record.
  const entry = join(outDir, ENTRY_FILE);
  const isEntry = (/** @type {string} */ p) => p === entry || p === `${entry}.map`;
  const outputs = [...result.outputFiles].sort((a, b) => Number(isEntry(a.path)) - Number(isEntry(b.path)));
  for (const f of outputs) writeAtomically(f.path, f.contents);

  /** @type {BuildMeta["inputs"]} */
  const seen = {};
  for (const file of [...inputs].sort()) {
    const st = statSync(join(REPO_DIR, file), { throwIfNoEntry: false });
    // A file written while esbuild ran may be in the bundle as it was before: the next start builds again. (A time
    // in the future, from another machine's clock, is not one of those: it would mean a rebuild at every start.)
    const writtenMeanwhile = st !== undefined && st.mtimeMs >= started && st.mtimeMs <= Date.now();
    seen[file] = st && !writtenMeanwhile ? [st.mtimeMs, st.size] : null;
  }
  /** @type {BuildMeta} */
  const meta = { version: META_VERSION, entry: ENTRY_FILE, builtAt: new Date().toISOString(), inputs: seen };
  writeAtomically(join(outDir, META_FILE), `${JSON.stringify(meta, null, 1)}\n`);

  const current = new Set([...outputs.map((f) => basename(f.path)), META_FILE]);
  for (const name of readdirSync(outDir)) {
    if (current.has(name)) continue;
    const file = join(outDir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    if (st?.isFile() && Date.now() - st.mtimeMs > KEEP_OLD_FILES_MS) rmSync(file, { force: true });
  }
  return { outDir, files: outputs.map((f) => f.path), inputs: Object.keys(seen), ms: Date.now() - started };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const built = await buildCli();
  process.stdout.write(
    `built ${relative(process.cwd(), built.outDir) || "."}: ${built.files.length} files from ` +
      `${built.inputs.length} sources in ${built.ms} ms\n`,
  );
}
