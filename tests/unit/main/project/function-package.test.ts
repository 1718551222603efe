// How `hearth dev` packs a function: its folder without tool folders, a TypeScript handler bundled, and code that
// would not load stopped here with its file and line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yauzl from "yauzl";
import { collectOverrides } from "../../../../main/cli/dev-commands.ts";
import { CodeError, packFunction, skippedPath } from "../../../../main/project/function-package.ts";
import type { ProjectFunction } from "../../../../main/project/project-model.ts";
import { tempDir } from "../store/temp-dir.ts";

function folder(t: Parameters<typeof tempDir>[0], files: Record<string, string>): string {
  const dir = tempDir(t, "hearth-dev-pack-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const fn = (codeDir: string, over: Partial<ProjectFunction> = {}): ProjectFunction => ({
  name: "f",
  id: "F",
  at: { file: "template.yaml", line: 1 },
  runtime: "nodejs22.x",
  handler: "app.handler",
  memoryMb: 128,
  timeoutS: 3,
  description: "",
  environment: {},
  codeDir,
  bundle: null,
  ...over,
});

function entries(zip: Buffer): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, z) => {
      if (err || !z) return reject(err);
      const out = new Map<string, string>();
      z.on("entry", (e: yauzl.Entry) =>
        z.openReadStream(e, (e2, s) => {
          if (e2 || !s) return reject(e2);
          const chunks: Buffer[] = [];
          s.on("data", (c: Buffer) => chunks.push(c));
          s.on("end", () => {
            out.set(e.fileName, Buffer.concat(chunks).toString("utf8"));
            z.readEntry();
          });
        }),
      );
      z.on("end", () => resolve(out));
      z.readEntry();
    });
  });
}

test("a JavaScript function is its folder, without tool and build folders", async (t) => {
  const dir = folder(t, {
    "app.mjs": "export const handler = async () => 1;\n",
    "lib/util.js": "module.exports = 1;\n",
    ".aws-sam/build/x.js": "",
    ".git/HEAD": "",
    "node_modules/dep/index.js": "module.exports = 2;\n",
  });
  const packed = await packFunction(fn(dir), dir);
  assert.equal(packed.bundled, false);
  assert.deepEqual([...(await entries(packed.zip)).keys()].sort(), [
    "app.mjs",
    "lib/util.js",
    "node_modules/dep/index.js",
  ]);
  assert.equal(skippedPath("a/.serverless/x"), true);
  assert.equal(skippedPath("src/serverless.js"), false);
});

test("a TypeScript handler becomes one ES module at the handler's path; the project is not written", async (t) => {
  const dir = folder(t, {
    "src/users.ts":
      'import { name } from "./name.ts";\nexport const handler = async (): Promise<string> => name("7");\n',
    "src/name.ts": "export const name = (id: string): string => `user-${id}`;\n",
  });
  const packed = await packFunction(
    fn(dir, { handler: "src/users.handler", bundle: { entry: "src/users.ts", module: "src/users" } }),
    dir,
  );
  assert.equal(packed.bundled, true);
  const files = await entries(packed.zip);
  assert.deepEqual([...files.keys()], ["src/users.mjs"]);
  assert.match(files.get("src/users.mjs")!, /user-\$\{id\}/);
  assert.match(files.get("src/users.mjs")!, /export \{\s*handler\s*\}/);
  assert.deepEqual(readdirSync(join(dir, "src")).sort(), ["name.ts", "users.ts"]);
});

test("code that does not parse or build is stopped with its file and line", async (t) => {
  const js = folder(t, { "app.mjs": "export const handler = async () => {\n  return 1;\n" });
  await assert.rejects(packFunction(fn(js), js), (e: CodeError) => {
    assert.ok(e instanceof CodeError);
    assert.equal(e.file, "app.mjs");
    assert.match(e.detail, /SyntaxError/);
    return true;
  });
  const ts = folder(t, {
    "src/users.ts": "export const handler = async () => {\n  const x: number = ;\n};\n",
  });
  await assert.rejects(
    packFunction(
      fn(ts, { handler: "src/users.handler", bundle: { entry: "src/users.ts", module: "src/users" } }),
      ts,
    ),
    (e: CodeError) => e instanceof CodeError && e.file === "src/users.ts" && e.line === 2,
  );
  const py = folder(t, { "app.py": "def handler(event, context):\n    return {\n" });
  await assert.rejects(
    packFunction(fn(py, { runtime: "python3" }), py),
    (e: CodeError) =>
      e instanceof CodeError && e.file === "app.py" && /SyntaxError|never closed/.test(e.detail),
  );
  assert.deepEqual(readdirSync(py), ["app.py"]);
});

test("--parameter-overrides takes Key=Value pairs, several at once, and SAM's long form", () => {
  assert.deepEqual(collectOverrides("Stage=prod Table=orders", { A: "1" }), {
    A: "1",
    Stage: "prod",
    Table: "orders",
  });
  assert.deepEqual(collectOverrides("ParameterKey=Stage,ParameterValue=test"), { Stage: "test" });
  assert.throws(() => collectOverrides("novalue"), /expected Key=Value/);
});
