// No import cycle under main/: the file-level graph of every relative import (import type, export … from and
// import("…") included) has no loop. A failure names each cycle found, file by file.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { repoRoot } from "../../../lint/layers.mjs";

/** The repo-relative .ts files under `dir`, build output left out. */
function tsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "out") found.push(...tsFiles(rel));
    } else if (/\.tsx?$/.test(entry.name)) found.push(rel);
  }
  return found;
}

/** Each file's relative imports, resolved to repo-relative paths, type-only ones included. */
function importGraph(files: string[], read: (file: string) => string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(read(file), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => posix.normalize(posix.join(dirname(file), spec)).replace(/\.js$/, ".ts"))
      .map((target) => (target.endsWith(".ts") || target.endsWith(".tsx") ? target : `${target}.ts`));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** A group of files that all reach each other, and one loop through them in import order. */
interface Cycle {
  files: string[];
  loop: string[];
}

/** Every group of files that import each other in a circle (Tarjan's algorithm), each with one loop through it. */
function cycles(graph: Map<string, string[]>): Cycle[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const to of graph.get(file) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!));
    }
    if (low.get(file) === index.get(file)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== file);
      if (group.length > 1 || (graph.get(file) ?? []).includes(file)) groups.push(group);
    }
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return groups.map((group) => ({ files: group.sort(), loop: loopThrough(graph, new Set(group)) }));
}

/** One loop inside a strongly connected group, from its first file back to it, by breadth-first search. */
function loopThrough(graph: Map<string, string[]>, group: Set<string>): string[] {
  const start = [...group].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const to of graph.get(file) ?? []) {
      if (!group.has(to)) continue;
      if (to === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(cameFrom.get(path[0]!)!);
        return [...path, start];
      }
      if (!cameFrom.has(to)) {
        cameFrom.set(to, file);
        queue.push(to);
      }
    }
  }
  return [...group];
}

const readRepoFile = (file: string): string => readFileSync(join(repoRoot, file), "utf8");

test("no import cycle under main/ (file level, type-only imports included)", () => {
  const files = tsFiles("main");
  assert.ok(files.length > 100, `main/ holds its sources (${files.length} files found)`);
  const found = cycles(importGraph(files, readRepoFile));
  const told = found.map(
    (c) => `  ${c.loop.join(" → ")}\n    (the files of this circle: ${c.files.join(", ")})`,
  );
  assert.deepEqual(
    found.map((c) => c.loop.join(" → ")),
    [],
    `import cycles under main/:\n${told.join("\n")}`,
  );
});

test("the cycle search finds a loop through type-only and re-export imports, and none in a chain", () => {
  const sources: Record<string, string> = {
    "main/a.ts": `import type { B } from "./b.ts";\nexport type A = B;`,
    "main/b.ts": `export { c } from "./c.ts";\nexport type B = number;`,
    "main/c.ts": `export const c = () => import("./a.ts");`,
    "main/d.ts": `import { c } from "./c.ts";\nexport const d = c;`,
  };
  const graph = importGraph(Object.keys(sources), (file) => sources[file]!);
  assert.deepEqual(cycles(graph), [
    {
      files: ["main/a.ts", "main/b.ts", "main/c.ts"],
      loop: ["main/a.ts", "main/b.ts", "main/c.ts", "main/a.ts"],
    },
  ]);
  const chain = importGraph(["main/b.ts", "main/c.ts", "main/d.ts"], (file) => sources[file]!);
  assert.deepEqual(cycles(chain), []);
});
