// Bundles the Electron main process (ESM) and the sandboxed preload (CommonJS, which a sandbox requires) into
// main/app/out/, with the icon; run by `npm run build:app`, by `hearth start` and before packaging.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { iconPng } from "./app-icon.ts";

const APP_DIR = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = join(APP_DIR, "out");
export const MAIN_BUNDLE = join(OUT_DIR, "electron-main.mjs");
export const PRELOAD_BUNDLE = join(OUT_DIR, "preload.cjs");
export const ICON_FILE = join(OUT_DIR, "icon.png");

export async function buildApp(): Promise<{ main: string; preload: string; icon: string }> {
  mkdirSync(OUT_DIR, { recursive: true });
  await Promise.all([
    build({
      entryPoints: [join(APP_DIR, "electron-main.ts")],
      outfile: MAIN_BUNDLE,
      bundle: true,
      platform: "node",
      format: "esm",
      // Electron 45 runs Node 22.
      target: "node22",
      // node_modules stay packages (the libvirt binding is native); only the project's TypeScript is bundled.
      packages: "external",
      sourcemap: "linked",
      logLevel: "warning",
    }),
    build({
      entryPoints: [join(APP_DIR, "preload.ts")],
      outfile: PRELOAD_BUNDLE,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "chrome140",
      external: ["electron"],
      logLevel: "warning",
    }),
  ]);
  // 512 px: what Linux desktops and electron-builder's AppImage and deb want at most.
  writeFileSync(ICON_FILE, iconPng(512));
  return { main: MAIN_BUNDLE, preload: PRELOAD_BUNDLE, icon: ICON_FILE };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await buildApp();
  for (const f of Object.values(out)) process.stdout.write(`built ${relative(process.cwd(), f)}\n`);
}
