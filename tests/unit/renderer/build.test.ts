// The window's build: a bundle knows what it was built from, so serve and the UI tests rebuild only when stale.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WINDOW_CSP, WINDOW_META_CSP } from "../../../main/contract.ts";
import { buildUi, ensureUi, uiIsCurrent, withPolicy } from "../../../renderer/build.ts";

test("a fresh bundle is current; a changed or missing input makes it stale, and ensureUi rebuilds it", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "hearth-ui-build-"));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const out = join(base, "out");
  assert.equal(await uiIsCurrent(out), false);
  await buildUi(out);
  for (const f of ["index.html", "app.js", "app.css", "app.js.map", "favicon.svg"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  const html = readFileSync(join(out, "index.html"), "utf8");
  assert.match(html, /<script defer src="app.js">/);
  // The window's policy is in the page itself, before anything it governs: Electron's file:// page has no headers.
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)" \/>/.exec(html);
  assert.equal(meta?.[1], WINDOW_META_CSP);
  assert.ok(html.indexOf(meta![0]) < html.indexOf("<script"));
  assert.equal(WINDOW_META_CSP, WINDOW_CSP.replace("; frame-ancestors 'none'", ""));
  assert.equal(await uiIsCurrent(out), true);
  assert.equal(await ensureUi(() => {}, out), "current");

  const metaFile = join(out, "build-meta.json");
  const built = JSON.parse(readFileSync(metaFile, "utf8")) as { inputs: Record<string, string> };
  assert.ok(Object.keys(built.inputs).includes("renderer/main.tsx"));
  assert.ok(Object.keys(built.inputs).includes("main/client/http-client.ts"));
  assert.ok(Object.keys(built.inputs).includes("main/contract.ts"));
  built.inputs["renderer/main.tsx"] = "0".repeat(64);
  writeFileSync(metaFile, JSON.stringify(built));
  assert.equal(await uiIsCurrent(out), false);

  const lines: string[] = [];
  assert.equal(await ensureUi((l) => lines.push(l), out), "built");
  assert.match(lines.join("\n"), /window built/);
  assert.equal(await uiIsCurrent(out), true);
  assert.ok(!existsSync(`${out}.tmp-${process.pid}`), "the build folder was swapped in, not left behind");
});

test("a page without its charset line is refused rather than built without its policy", () => {
  assert.throws(() => withPolicy("<!doctype html><title>x</title>"), /charset/);
});
