// Starts the desktop app from `hearth start`: bundles main/app, then runs the Electron binary on the project and
// waits for it, passing Ctrl+C and SIGTERM on so the app shuts its host down cleanly.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project: package.json's `main` names the bundled Electron main process. */
export const APP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const WINDOW_PAGE = join(APP_ROOT, "renderer", "out", "index.html");

export interface LaunchOptions {
  host: string;
  port: string;
  note: (message: string) => void;
}

/** The arguments Electron runs with: the project, and `--no-sandbox` as root (Chromium refuses root otherwise). */
export function electronArgs(uid: number | undefined): string[] {
  return uid === 0 ? [APP_ROOT, "--no-sandbox"] : [APP_ROOT];
}

export async function launchDesktop(electron: string, o: LaunchOptions): Promise<number> {
  const { buildApp } = await import("./build.ts");
  await buildApp();
  // The window's page is the renderer's bundle, built as `hearth serve` builds it (when its sources changed).
  const { ensureUi } = await import("../../renderer/build.ts");
  await ensureUi(o.note).catch((err: Error) =>
    o.note(`hearth: the window could not be built: ${err.message}`),
  );
  if (!existsSync(WINDOW_PAGE))
    o.note(`hearth: ${WINDOW_PAGE} is missing: the window will say so until it is built`);
  const uid = process.getuid?.();
  if (uid === 0) o.note("hearth: running as root, so Chromium's sandbox is off (--no-sandbox)");
  const env: NodeJS.ProcessEnv = { ...process.env, HEARTH_HOST: o.host, HEARTH_PORT: o.port };
  delete env.ELECTRON_RUN_AS_NODE;
  o.note("hearth: starting the desktop app");
  const child = spawn(electron, electronArgs(uid), { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  }
}
