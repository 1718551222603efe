// layers.json itself: every folder and top-level file of main/, renderer/ and vm-images/ belongs to a part, every
// arrow names a part or a file that exists in the description, and README.md shows the picture written from it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  arrowOf,
  loadLayers,
  partOf,
  readmePicture,
  refusal,
  repoRoot,
  withPicture,
} from "../../../lint/layers.mjs";

const layers = loadLayers();

/** Build output and caches: not sources, in no part. */
const NOT_SOURCES = new Set(["out", "cache"]);

/** Every source file under `dir` (repo-relative), build output left out. */
function sources(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!NOT_SOURCES.has(entry.name) && !entry.name.startsWith("out-")) found.push(...sources(rel));
    } else found.push(rel);
  }
  return found;
}

test("every folder and file of main/, renderer/ and vm-images/ belongs to a part", () => {
  const orphans = ["main", "renderer", "vm-images"]
    .flatMap(sources)
    .filter((file) => partOf(layers, file) === undefined);
  assert.deepEqual(orphans, [], `files in no part of layers.json: ${orphans.join(", ")}`);
  for (const entry of readdirSync(join(repoRoot, "main"), { withFileTypes: true })) {
    const rel = entry.isDirectory() ? `main/${entry.name}/x.ts` : `main/${entry.name}`;
    assert.ok(partOf(layers, rel), `main/${entry.name} is in no part`);
  }
});

test("part names and paths are unique, and every arrow leads to another part that exists", () => {
  const names = layers.parts.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, `a part name repeats: ${names.join(", ")}`);
  const paths = layers.parts.flatMap((p) => p.paths);
  assert.equal(new Set(paths).size, paths.length, `a path repeats: ${paths.join(", ")}`);
  for (const part of layers.parts) {
    assert.ok(part.purpose.length > 0, `${part.name} says what it is for`);
    for (const entry of part.imports) {
      const arrow = arrowOf(entry);
      assert.ok(Boolean(arrow.part) !== Boolean(arrow.file), `${part.name}: an arrow names a part or a file`);
      if (arrow.part) {
        assert.ok(names.includes(arrow.part), `${part.name} imports ${arrow.part}, which is no part`);
        assert.notEqual(arrow.part, part.name, `${part.name} lists itself`);
      } else {
        const owner = partOf(layers, arrow.file);
        assert.ok(owner, `${part.name} imports ${arrow.file}, which is in no part`);
        assert.notEqual(owner.name, part.name, `${part.name} lists a file of its own`);
      }
    }
  }
});

test("a file takes the part of the path that matches it most closely", () => {
  assert.equal(partOf(layers, "main/app/ipc-bridge.ts")?.name, "ipc-bridge");
  assert.equal(partOf(layers, "main/app/electron-main.ts")?.name, "app");
  assert.equal(partOf(layers, "main/cli.ts")?.name, "cli");
  assert.equal(partOf(layers, "main/contract")?.name, "contract", "an import without its extension");
  assert.equal(partOf(layers, "tests/unit/lint/x.ts"), undefined);
  assert.equal(partOf(layers, "main/domainx/y.ts"), undefined, "a folder's name is matched whole");
});

test("the refusal names the part, what it may import, and the file refused", () => {
  const why = refusal(layers, "main/store/blob-store.ts", "../invoke/engine.ts", false);
  assert.ok(why?.includes("store (main/store/) may import only domain"), why ?? "allowed");
  assert.ok(why?.includes("main/invoke/engine.ts is in invoke"), why ?? "allowed");
  const typesOnly = refusal(layers, "main/invoke/engine.ts", "../contract.ts", false);
  assert.ok(typesOnly?.includes("only its types with import type"), typesOnly ?? "allowed");
  assert.equal(refusal(layers, "main/invoke/engine.ts", "../contract.ts", true), null);
  assert.equal(refusal(layers, "main/store/blob-store.ts", "../domain/model/errors.ts", false), null);
});

test("README.md's layout section shows the picture written from layers.json", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const expected = withPicture(readme, readmePicture(layers));
  assert.ok(
    readme === expected,
    "README.md's layers picture differs from layers.json: run npm run layers:readme and commit README.md",
  );
});

test("the picture changes with the description, so the README check can fail", () => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const changed = structuredClone(layers);
  changed.parts[0]!.purpose = "something else";
  assert.notEqual(withPicture(readme, readmePicture(changed)), readme);
  assert.throws(() => withPicture("# no markers", readmePicture(layers)), /no layers markers/);
});
