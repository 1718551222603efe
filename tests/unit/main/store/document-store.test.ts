// The document store: all-or-nothing updates in call order, frozen reads, refusal of bad files, crash safety.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { HearthError } from "../../../../main/domain/model/errors.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { emptyState, type HearthState } from "../../../../main/domain/model/state.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { DocumentStore } from "../../../../main/store/document-store.ts";
import { SecretBox } from "../../../../main/store/secret-box.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { tempDir } from "./temp-dir.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: SecretBox.fromKey(randomBytes(32)) });
const task = (name: string) => ({
  name,
  runtime: "nodejs" as const,
  handler: "index.handler",
  code: { sha256: "a".repeat(64), size: 1 },
});

async function withProfile(dir: string): Promise<{ store: DocumentStore; profileId: string }> {
  const store = await DocumentStore.open(dir);
  const { profile } = await store.update((s) => createProfile(s, { name: "alice" }, ctx()));
  return { store, profileId: profile.id };
}

test("a new data directory gets an empty document, readable only by its owner", async (t) => {
  const dir = tempDir(t);
  const store = await DocumentStore.open(join(dir, "nested"));
  t.after(() => store.close());
  assert.deepEqual(store.state, emptyState());
  const file = join(dir, "nested", "hearth.json");
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), emptyState());
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test("an update is written, returned, and read back after reopening", async (t) => {
  const dir = tempDir(t);
  const { store, profileId } = await withProfile(dir);
  const view = await store.update((s) => createTask(s, profileId, task("resize"), ctx()));
  assert.equal(view.name, "resize");
  assert.equal(store.state.tasks[0]?.name, "resize");
  await store.close();
  const again = await DocumentStore.open(dir);
  t.after(() => again.close());
  assert.deepEqual(again.state, store.state);
});

test("a failed update writes nothing and leaves the state as it was", async (t) => {
  const dir = tempDir(t);
  const { store, profileId } = await withProfile(dir);
  t.after(() => store.close());
  await store.update((s) => createTask(s, profileId, task("resize"), ctx()));
  const bytes = readFileSync(store.path);
  const state = store.state;
  await assert.rejects(
    store.update((s) => createTask(s, profileId, { ...task("resize2"), memoryMb: 99 }, ctx())),
    (e: HearthError) => e.code === "INVALID_INPUT" && e.field === "memoryMb",
  );
  await assert.rejects(
    store.update((s) => createTask(s, profileId, task("resize"), ctx())),
    (e: HearthError) => e.code === "TASK_EXISTS",
  );
  // fn mutated its draft before throwing: the draft was a copy, so that goes nowhere either.
  await assert.rejects(
    store.update((draft) => {
      draft.tasks.length = 0;
      throw new HearthError("FORBIDDEN", "changed my mind");
    }),
    /FORBIDDEN/,
  );
  assert.deepEqual(readFileSync(store.path), bytes);
  assert.equal(store.state, state);
  assert.equal(store.state.tasks.length, 1);
});

test("an update producing an invalid document is refused before it reaches the disk", async (t) => {
  const dir = tempDir(t);
  const { store } = await withProfile(dir);
  t.after(() => store.close());
  const bytes = readFileSync(store.path);
  await assert.rejects(
    store.update((s) => {
      (s.profiles[0] as { accountId: string }).accountId = "not-digits";
      return { state: s, result: null };
    }),
    /refusing to write an invalid document: profiles\.0\.accountId/,
  );
  assert.deepEqual(readFileSync(store.path), bytes);
  assert.equal(store.state.profiles[0]?.accountId.length, 12);
});

test("a write that fails on disk leaves memory and file unchanged, and the store keeps working", async (t) => {
  const dir = tempDir(t);
  const { store, profileId } = await withProfile(dir);
  t.after(() => store.close());
  const bytes = readFileSync(store.path);
  const state = store.state;
  // A directory where the temp file goes makes the write fail the way a full disk would.
  const temp = join(dir, ".hearth.json.tmp");
  mkdirSync(temp);
  await assert.rejects(
    store.update((s) => createTask(s, profileId, task("resize"), ctx())),
    /EISDIR/,
  );
  assert.equal(store.state, state);
  assert.deepEqual(readFileSync(store.path), bytes);
  rmdirSync(temp);
  await store.update((s) => createTask(s, profileId, task("resize"), ctx()));
  assert.equal(JSON.parse(readFileSync(store.path, "utf8")).tasks.length, 1);
});

test("updates run one at a time in call order, and a failure in the middle does not stop the rest", async (t) => {
  const dir = tempDir(t);
  const { store, profileId } = await withProfile(dir);
  t.after(() => store.close());
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      store.update((s) => {
        // Each update sees every earlier one: the count is its position.
        assert.equal(s.tasks.length, i < 10 ? i : i - 1);
        if (i === 10) throw new HearthError("FORBIDDEN", "no");
        return createTask(s, profileId, task(`t${i}`), ctx());
      }),
    ),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    Array.from({ length: 20 }, (_, i) => (i === 10 ? "rejected" : "fulfilled")),
  );
  const expected = Array.from({ length: 20 }, (_, i) => `t${i}`).filter((n) => n !== "t10");
  assert.deepEqual(
    store.state.tasks.map((x) => x.name),
    expected,
  );
  const onDisk = JSON.parse(readFileSync(store.path, "utf8")) as HearthState;
  assert.deepEqual(
    onDisk.tasks.map((x) => x.name),
    expected,
  );
});

test("the committed state is frozen: only update() changes it", async (t) => {
  const dir = tempDir(t);
  const { store } = await withProfile(dir);
  t.after(() => store.close());
  assert.throws(() => {
    (store.state.profiles[0] as { name: string }).name = "mallory";
  }, TypeError);
  assert.throws(() => store.state.tasks.push(store.state.tasks[0]!), TypeError);
  assert.equal(
    store.read((s) => s.profiles[0]?.name),
    "alice",
  );
});

test("a document that is not JSON, or not a Hearth document, is refused and left untouched", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  writeFileSync(file, "{ this is not json");
  await assert.rejects(DocumentStore.open(dir), (e: HearthError) => e.code === "STORE_CORRUPT");
  assert.equal(readFileSync(file, "utf8"), "{ this is not json");
  const bad = { ...emptyState(), tasks: [{ name: "half a task" }] };
  writeFileSync(file, JSON.stringify(bad));
  await assert.rejects(
    DocumentStore.open(dir),
    (e: HearthError) => e.code === "STORE_CORRUPT" && /tasks\.0\./.test(e.message),
  );
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), bad);
  writeFileSync(file, "[]");
  await assert.rejects(DocumentStore.open(dir), (e: HearthError) => e.code === "STORE_CORRUPT");
  // The failed opens released the lock.
  writeFileSync(file, JSON.stringify(emptyState()));
  const store = await DocumentStore.open(dir);
  await store.close();
});

test("a partial temp file from a crash is ignored: the last committed state opens", async (t) => {
  const dir = tempDir(t);
  const { store, profileId } = await withProfile(dir);
  await store.update((s) => createTask(s, profileId, task("committed"), ctx()));
  await store.close();
  const committed = readFileSync(join(dir, "hearth.json"));
  writeFileSync(join(dir, ".hearth.json.tmp"), committed.subarray(0, committed.length / 2));
  const again = await DocumentStore.open(dir);
  t.after(() => again.close());
  assert.deepEqual(
    again.state.tasks.map((x) => x.name),
    ["committed"],
  );
  await again.update((s) => createTask(s, profileId, task("after"), ctx()));
  assert.equal(JSON.parse(readFileSync(join(dir, "hearth.json"), "utf8")).tasks.length, 2);
});

/** Runs a child that commits ~1.5 MB updates in a loop, and SIGKILLs it `killAfterMs` after its third commit. */
function crashWriter(dir: string, killAfterMs: number): Promise<number> {
  const script = `
    const { DocumentStore } = await import(${JSON.stringify(join(REPO, "main/store/document-store.ts"))});
    const store = await DocumentStore.open(${JSON.stringify(dir)});
    const pad = "x".repeat(1_500_000);
    for (let i = 1; ; i++) {
      await store.update((s) => {
        s.profiles = [{ id: "prf_crash", name: i + ":" + pad, accountId: "000000000000", createdAt: "", credentials: [] }];
        return { state: s, result: i };
      });
      process.stdout.write("committed " + i + "\\n");
    }`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let last = 0;
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      for (const m of text.matchAll(/committed (\d+)/g)) last = Number(m[1]);
      if (last >= 3 && timer === undefined) timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited ${code} before being killed: ${stderr}`));
      else resolvePromise(last);
    });
  });
}

test("a writer killed mid-write leaves the last committed document (or the next), never a broken one", async (t) => {
  const dir = tempDir(t);
  for (const killAfterMs of [0, 3, 7, 13, 21]) {
    const lastSeen = await crashWriter(dir, killAfterMs);
    // The killed writer's lock is stale; opening takes it over.
    const store = await DocumentStore.open(dir);
    const n = Number(store.state.profiles[0]?.name.split(":")[0]);
    await store.close();
    assert.ok(
      n === lastSeen || n === lastSeen + 1,
      `kill after ${killAfterMs} ms: saw ${lastSeen}, reopened ${n}`,
    );
    assert.ok(!existsSync(join(dir, "hearth.lock")));
  }
});

test("a second opener of the same directory is refused until the first closes", async (t) => {
  const dir = tempDir(t);
  const first = await DocumentStore.open(dir);
  await assert.rejects(
    DocumentStore.open(dir),
    (e: HearthError) => e.code === "STORE_LOCKED" && /already has it open/.test(e.message),
  );
  await first.close();
  const second = await DocumentStore.open(dir);
  await second.close();
  await assert.rejects(
    second.update((s) => ({ state: s, result: 1 })),
    /closed/,
  );
});
