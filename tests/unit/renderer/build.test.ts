// The window's build: a bundle knows what it was built from, so serve and the UI tests rebuild only when stale.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildUi, ensureUi, uiIsCurrent } from "../../../renderer/build.ts";

test("a fresh bundle is current; a changed or missing input makes it stale, and ensureUi rebuilds it", async (t) => {
  const base = mkdtempSync(join(tmpdir(), "hearth-ui-build-"));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const out = join(base, "out");
  assert.equal(await uiIsCurrent(out), false);
  await buildUi(out);
  for (const f of ["index.html", "app.js", "app.css", "app.js.map", "favicon.svg"]) {
    assert.ok(existsSync(join(out, f)), f);
  }
  assert.match(readFileSync(join(out, "index.html"), "utf8"), /<script defer src="app.js">/);
  assert.equal(await uiIsCurrent(out), true);
  assert.equal(await ensureUi(() => {}, out), "current");

  const metaFile = join(out, "build-meta.json");
  const meta = JSON.parse(readFileSync(metaFile, "utf8")) as { inputs: Record<string, string> };
  assert.ok(Object.keys(meta.inputs).includes("renderer/main.tsx"));
  assert.ok(Object.keys(meta.inputs).includes("main/client/http-client.ts"));
  meta.inputs["renderer/main.tsx"] = "0".repeat(64);
  writeFileSync(metaFile, JSON.stringify(meta));
  assert.equal(await uiIsCurrent(out), false);

  const lines: string[] = [];
  assert.equal(await ensureUi((l) => lines.push(l), out), "built");
  assert.match(lines.join("\n"), /window built/);
  assert.equal(await uiIsCurrent(out), true);
  assert.ok(!existsSync(`${out}.tmp-${process.pid}`), "the build folder was swapped in, not left behind");
});
