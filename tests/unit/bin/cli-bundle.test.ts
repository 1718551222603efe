// The `hearth` command's build: when dist/cli/ counts as current, what a build holds (frozen routes, source-relative
// URLs), and which modules a command really loads from it.
import { test, before, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildCli, CLI_DIR, ENTRY_FILE, REPO_DIR, staleReason } from "../../../bin/cli-bundle.mjs";
import { ROUTES } from "../../../main/client/operation-routes.ts";
import { sendJson, standInServer } from "../main/cli/hearth-run.ts";
import { tempDir } from "../main/store/temp-dir.ts";

const RECORDER = fileURLToPath(new URL("../main/cli/module-recorder.mjs", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: REPO_DIR,
        env: { ...process.env, HEARTH_URL: "", HEARTH_TOKEN: "", HEARTH_PROFILE: "", ...env },
      },
      (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

/** A fake build record in `dir` over the files `inputs` under `root`, as buildCli() writes it. */
function recordBuild(dir: string, root: string, inputs: Record<string, [number, number] | null>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ENTRY_FILE), "");
  writeFileSync(
    join(dir, "build-meta.json"),
    JSON.stringify({ version: 1, entry: ENTRY_FILE, builtAt: new Date().toISOString(), inputs }),
  );
}

test("a build is current while every input keeps its time and size, and stale once one changes or goes", (t) => {
  const root = tempDir(t, "hearth-bundle-src-");
  const out = join(root, "out");
  writeFileSync(join(root, "a.ts"), "export const a = 1;\n");
  writeFileSync(join(root, "b.ts"), "export const b = 2;\n");
  const seen = (f: string): [number, number] => {
    const st = statSync(join(root, f));
    return [st.mtimeMs, st.size];
  };
  assert.equal(staleReason(out, root), "not built yet");
  recordBuild(out, root, { "a.ts": seen("a.ts"), "b.ts": seen("b.ts") });
  assert.equal(staleReason(out, root), null);

  // Touched without a change in size (an editor's save, a checkout): stale.
  utimesSync(join(root, "a.ts"), new Date(), new Date(Date.now() + 5000));
  assert.equal(staleReason(out, root), "a.ts changed");
  recordBuild(out, root, { "a.ts": seen("a.ts"), "b.ts": seen("b.ts") });
  assert.equal(staleReason(out, root), null);

  // The same time, another size.
  const { mtime } = statSync(join(root, "b.ts"));
  appendFileSync(join(root, "b.ts"), "export const c = 3;\n");
  utimesSync(join(root, "b.ts"), mtime, mtime);
  assert.equal(staleReason(out, root), "b.ts changed");

  recordBuild(out, root, { "a.ts": seen("a.ts"), "b.ts": seen("b.ts") });
  unlinkSync(join(root, "b.ts"));
  assert.equal(staleReason(out, root), "b.ts is gone");

  // An input written while the build ran is recorded as unknown: the next start builds again.
  recordBuild(out, root, { "a.ts": null });
  assert.equal(staleReason(out, root), "a.ts changed while it was built");

  recordBuild(out, root, { "a.ts": seen("a.ts") });
  rmSync(join(out, ENTRY_FILE));
  assert.equal(staleReason(out, root), `${ENTRY_FILE} is missing`);
});

test("a build runs on its own: current at once, its version read from package.json, routes as contract.ts has them", async (t) => {
  // Inside the checkout, so that the build's imports of packages find node_modules as dist/cli's do.
  const out = join(REPO_DIR, "dist", `cli-test-${process.pid}`);
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const built = await buildCli({ outDir: out });
  assert.equal(staleReason(out), null);
  assert.ok(built.inputs.includes("main/cli.ts"));
  // The frozen module was made from the contract: a change there makes the build stale.
  assert.ok(built.inputs.includes("main/contract.ts"));
  assert.ok(built.inputs.includes("bin/cli-bundle.mjs"));

  const entry = join(out, ENTRY_FILE);
  const version = (JSON.parse(readFileSync(join(REPO_DIR, "package.json"), "utf8")) as { version: string })
    .version;
  const v = await run([entry, "--version"]);
  assert.deepEqual(v, { code: 0, stdout: `${version}\n`, stderr: "" });

  // Every request the built client makes follows the routes computed from contract.ts under tsx.
  const seen: string[] = [];
  const url = await standInServer(t, (req, res, u) => {
    seen.push(`${req.method} ${u.pathname}`);
    sendJson(res, []);
  });
  const data = tempDir(t, "hearth-bundle-data-");
  const ls = await run([entry, "task", "ls", "--json", "--url", url, "--token", "hth_x"], {
    HEARTH_DATA: data,
  });
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(JSON.parse(ls.stdout), []);
  assert.deepEqual(seen, [`${ROUTES.listTasks.method} ${ROUTES.listTasks.path}`]);
  assert.equal(ROUTES.listTasks.path, "/v1/tasks");
});

/** The project's sources in the chunks of dist/cli/ that a run loaded, from each chunk's source map. */
function loadedSources(urls: string[]): {
  sources: Set<string>;
  packages: Set<string>;
  typescript: string[];
} {
  const sources = new Set<string>();
  const packages = new Set<string>();
  const typescript: string[] = [];
  for (const url of urls) {
    if (!url.startsWith("file:")) continue;
    const file = fileURLToPath(url);
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (pkg) packages.add(pkg[1]!);
    if (/\.tsx?$/.test(file)) typescript.push(relative(REPO_DIR, file));
    if (!file.startsWith(CLI_DIR)) continue;
    const map = JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] };
    for (const s of map.sources) sources.add(relative(REPO_DIR, resolve(dirname(file), s)));
  }
  return { sources, packages, typescript };
}

async function recordedRun(t: TestContext, args: string[], env: Record<string, string>) {
  const log = join(tempDir(t, "hearth-modules-"), "loaded.txt");
  writeFileSync(log, "");
  const r = await run(["--import", RECORDER, "bin/hearth.mjs", ...args], {
    ...env,
    HEARTH_TEST_MODULES_LOG: log,
  });
  return { ...r, ...loadedSources(readFileSync(log, "utf8").split("\n").filter(Boolean)) };
}

/** What only the host, the store or building images need: never loaded by a command that talks HTTP. */
const HEAVY = [
  "main/host.ts",
  "main/http/server.ts",
  "main/vm/pool.ts",
  "main/vm/libvirt-driver.ts",
  "main/store/hearth-store.ts",
  "main/contract.ts",
  "main/domain/tasks/task-config.ts",
  "main/cli/task-package.ts",
  "vm-images/builder/build-image.ts",
];

before(async () => {
  // As `npm install` would have: the runs below time and record the command, not a rebuild.
  if (staleReason() !== null) await buildCli();
});

test("`hearth --version` is answered by bin/hearth.mjs alone: no build, no package, no TypeScript", async (t) => {
  const r = await recordedRun(t, ["--version"], { HEARTH_DATA: tempDir(t, "hearth-cli-") });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync("package.json", "utf8")).version);
  assert.deepEqual([...r.packages], []);
  assert.deepEqual(r.typescript, []);
  assert.deepEqual([...r.sources], []);
});

test("commands that only talk HTTP load no package and none of the host, the store or zod", async (t) => {
  const env = { HEARTH_DATA: tempDir(t, "hearth-cli-") };
  for (const args of [
    ["task", "ls"],
    ["invoke", "echo", "--payload", "{}"],
    ["alias", "ls"],
    ["logs", "echo"],
  ]) {
    // Nothing answers there: each command loads all it needs, then exits 4.
    const r = await recordedRun(t, [...args, "--url", "http://127.0.0.1:1", "--token", "hth_x"], env);
    assert.equal(r.code, 4, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /HEARTH_UNREACHABLE/);
    assert.deepEqual([...r.packages], [], args.join(" "));
    assert.deepEqual(r.typescript, [], args.join(" "));
    assert.ok(r.sources.has("main/client/http-client.ts"), args.join(" "));
    for (const heavy of HEAVY) assert.ok(!r.sources.has(heavy), `${args.join(" ")} loaded ${heavy}`);
  }
});

test("what a command needs beyond HTTP is still loaded when it runs: the store for profiles without a server", async (t) => {
  const r = await recordedRun(t, ["profile", "ls", "--json"], { HEARTH_DATA: tempDir(t, "hearth-cli-") });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
  assert.ok(r.packages.has("lowdb"));
  assert.ok(r.sources.has("main/store/hearth-store.ts"));
});
