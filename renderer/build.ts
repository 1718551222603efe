// Bundles the window with esbuild into renderer/out/ (index.html, app.js, app.css, their source maps, the icon), and
// tells whether a bundle there is current: `hearth serve`, `hearth start` and the UI tests rebuild only when not.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { WINDOW_META_CSP } from "../main/contract.ts";

const RENDERER = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(RENDERER, "..");
export const UI_OUT_DIR = join(RENDERER, "out");
/** Copied as they are, but for the policy written into index.html. */
const STATIC_FILES = ["index.html", "favicon.svg"];
const CHARSET = '<meta charset="utf-8" />';
/**
 * The window's policy in the page itself: Electron loads it from file://, where no server sends headers, and a
 * browser gets it from both (the same policy; a header may also forbid framing, which a <meta> cannot).
 */
const POLICY_META = `<meta http-equiv="Content-Security-Policy" content="${WINDOW_META_CSP}" />`;

/** index.html with the window's policy right after its charset, before anything it could govern. */
export function withPolicy(html: string): string {
  if (!html.includes(CHARSET))
    throw new Error(`renderer/index.html must hold ${CHARSET}: the policy goes after it`);
  return html.replace(CHARSET, `${CHARSET}\n    ${POLICY_META}`);
}
/** What the bundle was built from (every input esbuild read, and the files above) with each one's sha256. */
const META_FILE = "build-meta.json";
const META_VERSION = 1;

interface BuildMeta {
  version: number;
  inputs: Record<string, string>;
}

async function sha256(file: string): Promise<string | null> {
  try {
    return createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
  } catch {
    return null;
  }
}

/** True when `outDir` holds a bundle built from exactly the sources on disk now. */
export async function uiIsCurrent(outDir = UI_OUT_DIR): Promise<boolean> {
  let meta: BuildMeta;
  try {
    meta = JSON.parse(await readFile(join(outDir, META_FILE), "utf8")) as BuildMeta;
  } catch {
    return false;
  }
  if (meta.version !== META_VERSION || typeof meta.inputs !== "object") return false;
  const entries = Object.entries(meta.inputs);
  if (entries.length === 0) return false;
  const now = await Promise.all(entries.map(([file]) => sha256(join(REPO, file))));
  return entries.every(([, hash], i) => now[i] === hash);
}

/** Builds into a fresh folder beside `outDir`, then swaps it in, so a server never reads a half-written bundle. */
export async function buildUi(outDir = UI_OUT_DIR): Promise<{ files: string[]; ms: number }> {
  const started = Date.now();
  const tmp = `${outDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const result = await esbuild.build({
      absWorkingDir: REPO,
      // One entry: the stylesheets the code imports (app.css, uPlot's) become app.css beside app.js, in import order.
      entryPoints: [{ in: join(RENDERER, "main.tsx"), out: "app" }],
      outdir: tmp,
      bundle: true,
      // A classic script: Electron loads the page from file://, where module scripts meet CORS rules.
      format: "iife",
      platform: "browser",
      target: ["chrome120", "firefox120", "safari17"],
      jsx: "automatic",
      minify: true,
      sourcemap: "linked",
      metafile: true,
      // The stylesheet's icon is served beside it, not inlined.
      external: ["favicon.svg"],
      define: { "process.env.NODE_ENV": '"production"' },
      logLevel: "silent",
    });
    for (const f of STATIC_FILES) {
      if (f === "index.html") {
        await writeFile(join(tmp, f), withPolicy(await readFile(join(RENDERER, f), "utf8")));
      } else await copyFile(join(RENDERER, f), join(tmp, f));
    }
    const inputs: Record<string, string> = {};
    const sources = [
      ...Object.keys(result.metafile.inputs).map((p) => resolve(REPO, p)),
      ...STATIC_FILES.map((f) => join(RENDERER, f)),
      fileURLToPath(import.meta.url),
      // Where the policy written into index.html comes from.
      join(REPO, "main", "contract.ts"),
    ];
    for (const file of sources) {
      const hash = await sha256(file);
      if (hash) inputs[relative(REPO, file)] = hash;
    }
    const meta: BuildMeta = { version: META_VERSION, inputs };
    await writeFile(join(tmp, META_FILE), `${JSON.stringify(meta, null, 1)}\n`);
    const old = `${outDir}.old-${process.pid}`;
    await rm(old, { recursive: true, force: true });
    await rename(outDir, old).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await rename(tmp, outDir);
    await rm(old, { recursive: true, force: true });
    return { files: [...Object.keys(result.metafile.outputs), ...STATIC_FILES], ms: Date.now() - started };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Builds the window unless the bundle on disk is current; says which it did. */
export async function ensureUi(
  log: (line: string) => void = () => {},
  outDir = UI_OUT_DIR,
): Promise<"current" | "built"> {
  if (await uiIsCurrent(outDir)) return "current";
  log("hearth: building the window (renderer/out)…");
  const { ms } = await buildUi(outDir);
  log(`hearth: window built in ${ms} ms`);
  return "built";
}

// `node --import tsx renderer/build.ts [--if-stale]`
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const ifStale = process.argv.includes("--if-stale");
  try {
    if (ifStale) await ensureUi((l) => process.stderr.write(`${l}\n`));
    else {
      const { files, ms } = await buildUi();
      process.stderr.write(
        `built ${files.length} files into ${relative(process.cwd(), UI_OUT_DIR) || "."} in ${ms} ms\n`,
      );
    }
  } catch (err) {
    const e = err as { errors?: esbuild.Message[]; message?: string };
    if (e.errors?.length) {
      const text = await esbuild.formatMessages(e.errors, { kind: "error", color: process.stderr.isTTY });
      process.stderr.write(text.join(""));
    } else process.stderr.write(`${e.message ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
