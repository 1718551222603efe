// How `hearth start` decides between the desktop app and browser mode: the Electron binary and a display.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  desktopCheck,
  findDisplay,
  findElectronBinary,
  type CheckEnvironment,
} from "../../../../main/app/desktop-check.ts";
import { APP_ROOT, electronArgs } from "../../../../main/app/desktop-launch.ts";
import { tempDir } from "../store/temp-dir.ts";

function machine(
  pkg: string | null,
  env: NodeJS.ProcessEnv = {},
  platform: NodeJS.Platform = "linux",
): CheckEnvironment {
  return { env, platform, electronPackageDir: () => pkg, cwd: pkg ? join(pkg, "..", "..") : "/" };
}

function electronPackage(t: TestContext, binary: "none" | "file" | "executable", pathTxt?: string) {
  const root = tempDir(t, "hearth-electron-");
  const pkg = join(root, "node_modules", "electron");
  mkdirSync(join(pkg, "dist"), { recursive: true });
  writeFileSync(join(pkg, "package.json"), '{"name":"electron","version":"45.4.1"}');
  if (pathTxt) writeFileSync(join(pkg, "path.txt"), pathTxt);
  const bin = join(pkg, "dist", pathTxt ?? "electron");
  if (binary !== "none") {
    writeFileSync(bin, "#!/bin/sh\n");
    chmodSync(bin, binary === "executable" ? 0o755 : 0o644);
  }
  return { pkg, bin };
}

test("the Electron binary is found where the electron package keeps it, without loading the package", (t) => {
  const { pkg, bin } = electronPackage(t, "executable");
  assert.deepEqual(findElectronBinary(machine(pkg)), { ok: true, electron: bin });
  const custom = electronPackage(t, "executable", "electron-custom");
  assert.deepEqual(findElectronBinary(machine(custom.pkg)), { ok: true, electron: custom.bin });
  // ELECTRON_OVERRIDE_DIST_PATH is electron's own way to point elsewhere.
  const other = electronPackage(t, "executable");
  assert.deepEqual(
    findElectronBinary(machine(pkg, { ELECTRON_OVERRIDE_DIST_PATH: join(other.pkg, "dist") })),
    {
      ok: true,
      electron: other.bin,
    },
  );
});

test("a missing or unusable binary is a reason, saying where it was looked for", (t) => {
  const missing = electronPackage(t, "none");
  const r = findElectronBinary(machine(missing.pkg));
  assert.ok(!r.ok);
  assert.match(r.reason, /^no Electron binary: node_modules\/electron\/dist\/electron is missing/);
  const notExec = electronPackage(t, "file");
  const r2 = findElectronBinary(machine(notExec.pkg));
  assert.ok(!r2.ok && /not executable/.test(r2.reason));
  const r3 = findElectronBinary(machine(null));
  assert.ok(!r3.ok && /not installed/.test(r3.reason));
});

test("Linux needs DISPLAY or WAYLAND_DISPLAY; other systems always have a display", () => {
  assert.match(
    findDisplay({ env: {}, platform: "linux" }) ?? "",
    /^no display: neither DISPLAY nor WAYLAND_DISPLAY/,
  );
  assert.equal(findDisplay({ env: { DISPLAY: "" }, platform: "linux" }) !== null, true);
  assert.equal(findDisplay({ env: { DISPLAY: ":99" }, platform: "linux" }), null);
  assert.equal(findDisplay({ env: { WAYLAND_DISPLAY: "wayland-0" }, platform: "linux" }), null);
  assert.equal(findDisplay({ env: {}, platform: "darwin" }), null);
});

test("the desktop opens only with both; otherwise every reason is given", (t) => {
  const { pkg, bin } = electronPackage(t, "executable");
  const missing = electronPackage(t, "none");
  assert.deepEqual(desktopCheck(machine(pkg, { DISPLAY: ":0" })), { ok: true, electron: bin });
  const noDisplay = desktopCheck(machine(pkg, {}));
  assert.ok(!noDisplay.ok && /^no display/.test(noDisplay.reason));
  const neither = desktopCheck(machine(missing.pkg, {}));
  assert.ok(!neither.ok);
  assert.match(neither.reason, /^no Electron binary: .*; no display: /);
});

test("this machine's answer is consistent with what is installed", () => {
  // No assumption about the machine: only that the answer has the right shape and the real package is used.
  const r = desktopCheck();
  assert.ok(r.ok ? r.electron.includes("electron") : r.reason.length > 10);
});

test("Electron runs on the project, with --no-sandbox only as root", () => {
  assert.deepEqual(electronArgs(1000), [APP_ROOT]);
  assert.deepEqual(electronArgs(0), [APP_ROOT, "--no-sandbox"]);
});
