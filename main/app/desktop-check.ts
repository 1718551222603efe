// Can this machine show the Electron window? Finds the Electron binary (without loading the electron package, which
// would try to download it) and a display; otherwise says why, so `hearth start` can fall back to browser mode.
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

export type DesktopCheck = { ok: true; electron: string } | { ok: false; reason: string };

export interface CheckEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The folder of the installed electron package, or null when it is not installed. */
  electronPackageDir: () => string | null;
  cwd: string;
}

function installedElectronDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve("electron/package.json"));
  } catch {
    return null;
  }
}

export const thisMachine = (): CheckEnvironment => ({
  env: process.env,
  platform: process.platform,
  electronPackageDir: installedElectronDir,
  cwd: process.cwd(),
});

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Electron executable the electron package would run (its path.txt, else dist/electron), if it is there. */
export function findElectronBinary(m: CheckEnvironment): DesktopCheck {
  const pkg = m.electronPackageDir();
  if (!pkg)
    return { ok: false, reason: 'no Electron binary: the electron package is not installed ("npm install")' };
  const pathTxt = join(pkg, "path.txt");
  const name = existsSync(pathTxt) ? readFileSync(pathTxt, "utf8").trim() : "electron";
  const override = m.env.ELECTRON_OVERRIDE_DIST_PATH;
  const bin = override ? join(override, name) : join(pkg, "dist", name);
  if (!existsSync(bin)) {
    return {
      ok: false,
      reason:
        `no Electron binary: ${relative(m.cwd, bin) || bin} is missing (electron downloads it on first use; ` +
        'run "npx install-electron" where its download host is reachable)',
    };
  }
  if (!isExecutable(bin)) return { ok: false, reason: `no Electron binary: ${bin} is not executable` };
  return { ok: true, electron: bin };
}

/** On Linux a window needs an X11 or Wayland display; macOS and Windows always have one. */
export function findDisplay(m: Pick<CheckEnvironment, "env" | "platform">): string | null {
  if (m.platform !== "linux") return null;
  if (m.env.DISPLAY || m.env.WAYLAND_DISPLAY) return null;
  return "no display: neither DISPLAY nor WAYLAND_DISPLAY is set";
}

/** Whether `hearth start` can open the window, and if not, every reason why. */
export function desktopCheck(m: CheckEnvironment = thisMachine()): DesktopCheck {
  const binary = findElectronBinary(m);
  const display = findDisplay(m);
  if (binary.ok && display === null) return binary;
  return {
    ok: false,
    reason: [binary.ok ? null : binary.reason, display].filter((r) => r !== null).join("; "),
  };
}
