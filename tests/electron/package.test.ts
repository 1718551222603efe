// electron-builder's unpacked layout (build/electron-builder.yml) with a stand-in Electron (its binary cannot be
// had here): app.asar holds the bundled main process, the preload, the production modules and the window's page;
// the VM image sits beside it as a resource.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildApp } from "../../main/app/build.ts";
import { APP_ROOT, WINDOW_PAGE } from "../../main/app/desktop-launch.ts";
import { loadManifest } from "../../main/vm/image-manifest.ts";

const run = promisify(execFile);

/** What electron-builder needs of an Electron distribution to lay out a Linux app. */
function standInElectron(dir: string): string {
  const dist = join(dir, "electron-dist");
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, "electron"), "#!/bin/sh\necho stand-in\n");
  chmodSync(join(dist, "electron"), 0o755);
  const version = JSON.parse(
    readFileSync(join(APP_ROOT, "node_modules", "electron", "package.json"), "utf8"),
  ) as {
    version: string;
  };
  writeFileSync(join(dist, "version"), `v${version.version}`);
  writeFileSync(join(dist, "LICENSE"), "");
  writeFileSync(join(dist, "LICENSES.chromium.html"), "");
  return dist;
}

test(
  "npm run package:dir's layout: app.asar with the app, the VM image as a resource",
  { timeout: 120_000 },
  async (t) => {
    await buildApp();
    // The window's page, as npm run package:dir builds it; its own tests say what is wrong when it does not build.
    const { ensureUi } = await import("../../renderer/build.ts");
    await ensureUi().catch((err: Error) => t.diagnostic(`the window's page did not build: ${err.message}`));
    const tmp = mkdtempSync(join(tmpdir(), "hearth-package-"));
    t.after(() => rmSync(tmp, { recursive: true, force: true }));
    const out = join(tmp, "out");
    await run(
      process.execPath,
      [
        join(APP_ROOT, "node_modules", "electron-builder", "cli.js"),
        "--dir",
        "--config",
        "build/electron-builder.yml",
        `-c.electronDist=${standInElectron(tmp)}`,
        `-c.directories.output=${out}`,
      ],
      {
        cwd: APP_ROOT,
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: "1" },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const unpacked = join(out, "linux-unpacked");
    const resources = join(unpacked, "resources");
    assert.ok(existsSync(join(unpacked, "hearth-desktop")), readdirSync(unpacked).join(", "));

    const asar = createRequire(import.meta.url)("@electron/asar") as { listPackage(p: string): string[] };
    const files = new Set(asar.listPackage(join(resources, "app.asar")));
    for (const f of [
      "/package.json",
      "/main/app/out/electron-main.mjs",
      "/main/app/out/preload.cjs",
      "/main/app/out/icon.png",
      "/node_modules/fastify/package.json",
      "/node_modules/zod/package.json",
      "/node_modules/lowdb/package.json",
      "/node_modules/@unraid/libvirt/package.json",
    ]) {
      assert.ok(files.has(f), `app.asar has ${f}`);
    }
    if (existsSync(WINDOW_PAGE))
      assert.ok(files.has("/renderer/out/index.html"), "app.asar has the window's page");
    // Outside node_modules only the bundles and the page: no sources, tests, image or source maps.
    for (const f of files) {
      if (f.startsWith("/node_modules")) continue;
      assert.match(
        f,
        /^\/(package\.json|main|main\/app|main\/app\/out(\/[^/]+\.(mjs|cjs|png))?|renderer|renderer\/out(\/.*)?)$/,
        f,
      );
    }
    assert.ok(!files.has("/node_modules/electron/package.json"));
    assert.ok(!files.has("/node_modules/typescript/package.json"));
    const manifest = JSON.parse(readFileSync(join(APP_ROOT, "package.json"), "utf8")) as { main: string };
    assert.ok(files.has(`/${manifest.main}`), "package.json's main is in the asar");

    const image = loadManifest();
    if (!image) return t.skip('no VM image to check in resources: build it with "npm run image"');
    const packaged = loadManifest(join(resources, "vm-images", "out"));
    assert.equal(packaged?.inputsKey, image.inputsKey);
    for (const f of Object.values(image.files))
      assert.ok(existsSync(join(resources, "vm-images", "out", f.path)), f.path);
  },
);
