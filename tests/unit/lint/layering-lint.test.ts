// The lint refuses every arrow layers.json does not allow: for each part, a copy of one of its files gets an import of
// every other part planted at its top, and ESLint (the project's own config, through its Node API) must report each
// forbidden one under hearth/layering and stay silent on each allowed one.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { before, test } from "node:test";
import { ESLint, type Linter } from "eslint";
import { arrowOf, loadLayers, partOf, repoRoot, type Part } from "../../../lint/layers.mjs";

const layers = loadLayers();
const RULE = "hearth/layering";
let eslint: ESLint;

before(() => {
  eslint = new ESLint({ cwd: repoRoot });
});

/** A source file of the part to copy, or a new file at the part's path when the part has none yet. */
function homeOf(part: Part): { file: string; text: string } {
  const path = part.paths[0]!;
  if (!path.endsWith("/")) return { file: path, text: readFileSync(join(repoRoot, path), "utf8") };
  const dir = join(repoRoot, path);
  const first = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.tsx?$/.test(f))
        .sort()[0]
    : undefined;
  if (!first) return { file: `${path}planted.ts`, text: "" };
  return { file: `${path}${first}`, text: readFileSync(join(dir, first), "utf8") };
}

/** A file of the part to import: the part's own file, or one inside its folder no file arrow names. */
function targetIn(part: Part): string {
  const path = part.paths[0]!;
  return path.endsWith("/") ? `${path}planted-target.ts` : path;
}

function specifier(from: string, to: string): string {
  const rel = posix.relative(dirname(from), to);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

interface Plant {
  line: string;
  allowed: boolean;
  what: string;
}

/** Lints `plants` at the top of a copy of the part's file and checks each line's verdict. */
async function expectVerdicts(part: Part, plants: Plant[], home = homeOf(part)): Promise<void> {
  const code = `${plants.map((p) => p.line).join("\n")}\n${home.text}`;
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, home.file) });
  const messages: Linter.LintMessage[] = result!.messages;
  const fatal = messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${home.file} with its planted imports did not parse`);
  plants.forEach((plant, i) => {
    const onLine = messages.filter((m) => m.line === i + 1 && m.ruleId === RULE);
    if (plant.allowed) {
      assert.deepEqual(
        onLine.map((m) => m.message),
        [],
        `${part.name}: ${plant.what} is allowed, yet refused`,
      );
    } else {
      assert.equal(
        onLine.length,
        1,
        `${part.name}: ${plant.what} was not refused by ${RULE} (${plant.line})`,
      );
      assert.ok(
        onLine[0]!.message.startsWith(`${part.name} (`),
        `the refusal names the part: ${onLine[0]!.message}`,
      );
    }
  });
}

for (const part of layers.parts) {
  test(`${part.name}: every part it may not import is refused, and each allowed arrow passes`, async () => {
    const home = homeOf(part);
    const plants: Plant[] = [];
    let n = 0;
    for (const other of layers.parts) {
      if (other === part) continue;
      const target = targetIn(other);
      const arrows = part.imports.map(arrowOf).filter((a) => a.part === other.name || a.file === target);
      const whole = arrows.some((a) => !a.typesOnly);
      const typesOnly = !whole && arrows.some((a) => a.typesOnly);
      const spec = specifier(home.file, target);
      n += 1;
      plants.push({ line: `import "${spec}";`, allowed: whole, what: `a value import of ${other.name}` });
      plants.push({
        line: `import type * as Planted${n} from "${spec}"; export type { Planted${n} };`,
        allowed: whole || typesOnly,
        what: `a type import of ${other.name}`,
      });
      plants.push({
        line: `export type Planted${n}b = import("${spec}").Planted;`,
        allowed: whole || typesOnly,
        what: `an import("…") type of ${other.name}`,
      });
      plants.push({
        line: `void import("${spec}");`,
        allowed: whole,
        what: `a dynamic import of ${other.name}`,
      });
    }
    for (const arrow of part.imports.map(arrowOf).filter((a) => a.file)) {
      n += 1;
      plants.push({
        line: `import "${specifier(home.file, arrow.file)}";`,
        allowed: !arrow.typesOnly,
        what: `a value import of the file ${arrow.file} it may import${arrow.typesOnly ? " types of" : ""}`,
      });
      plants.push({
        line: `import type * as Planted${n} from "${specifier(home.file, arrow.file)}"; export type { Planted${n} };`,
        allowed: true,
        what: `a type import of the file ${arrow.file} it may import`,
      });
    }
    plants.push({
      line: `import "${specifier(home.file, "tests/helpers/planted.ts")}";`,
      allowed: false,
      what: "a file in no part",
    });
    const sibling = partOf(layers, posix.join(dirname(home.file), "planted-sibling.ts"));
    plants.push({
      line: `import "./planted-sibling.ts";`,
      allowed:
        sibling === part || part.imports.map(arrowOf).some((a) => a.part === sibling?.name && !a.typesOnly),
      what: `a file beside it (in ${sibling?.name ?? "no part"})`,
    });
    await expectVerdicts(part, plants, home);
  });
}

test("file arrows allow that one file, not the rest of its part", async () => {
  const renderer = layers.parts.find((p) => p.name === "renderer")!;
  const from = "renderer/planted.ts";
  await expectVerdicts(
    renderer,
    [
      { line: `import "${specifier(from, "main/contract.ts")}";`, allowed: true, what: "main/contract.ts" },
      {
        line: `import "${specifier(from, "main/client/http-client.ts")}";`,
        allowed: true,
        what: "main/client/http-client.ts",
      },
      {
        line: `import "${specifier(from, "main/client/operation-routes.ts")}";`,
        allowed: false,
        what: "main/client/operation-routes.ts",
      },
    ],
    { file: from, text: "" },
  );
  const agent = layers.parts.find((p) => p.name === "agent")!;
  const agentFile = "vm-images/agent/planted.ts";
  await expectVerdicts(
    agent,
    [
      {
        line: `import "${specifier(agentFile, "main/vm/protocol.ts")}";`,
        allowed: true,
        what: "protocol.ts",
      },
      {
        line: `import "${specifier(agentFile, "main/vm/pool.ts")}";`,
        allowed: false,
        what: "main/vm/pool.ts",
      },
      {
        line: `import "${specifier(agentFile, "main/domain/tasks/task-config.ts")}";`,
        allowed: false,
        what: "a domain file other than interpreter-variables.ts",
      },
    ],
    { file: agentFile, text: "" },
  );
  const contract = layers.parts.find((p) => p.name === "contract")!;
  await expectVerdicts(contract, [
    { line: `import "./domain/tasks/import-limits.ts";`, allowed: true, what: "the import limits' values" },
    { line: `import "./domain/model/errors.ts";`, allowed: false, what: "a value of another domain file" },
    {
      line: `import { type HearthError } from "./domain/model/errors.ts";`,
      allowed: false,
      what: "import { type … }, which still loads the module",
    },
  ]);
});

test("domain may not import node:fs, node:net or node:child_process, in any spelling", async () => {
  const domain = layers.parts.find((p) => p.name === "domain")!;
  const refused = [
    "node:fs",
    "node:fs/promises",
    "fs",
    "fs/promises",
    "node:net",
    "net",
    "node:child_process",
  ];
  await expectVerdicts(domain, [
    ...refused.map((spec) => ({ line: `import "${spec}";`, allowed: false, what: spec })),
    { line: `import "node:path";`, allowed: true, what: "node:path" },
    { line: `import "zod";`, allowed: true, what: "a package" },
  ]);
});

test("electron is refused everywhere but main/app", async () => {
  for (const part of layers.parts) {
    const allowed = (part.packages ?? []).includes("electron");
    await expectVerdicts(part, [
      { line: `import "electron";`, allowed, what: "electron" },
      { line: `import "electron/main";`, allowed, what: "electron/main" },
    ]);
  }
});

test("a new file in main/store importing main/http is refused, naming both parts and the file", async () => {
  const [result] = await eslint.lintText(`import "../http/server.ts";\n`, {
    filePath: join(repoRoot, "main/store/planted.ts"),
  });
  const refusal = result!.messages.find((m) => m.ruleId === RULE);
  assert.ok(refusal, "main/store importing main/http was not refused");
  assert.match(
    refusal.message,
    /store \(main\/store\/\) may import only domain; .*main\/http\/server\.ts is in http/,
  );
});
