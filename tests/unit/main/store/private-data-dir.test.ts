// The data directory is its owner's alone: made 0700, refused when others can read it, and all of it private.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { isHearthError } from "../../../../main/domain/model/errors.ts";
import type { Host } from "../../../../main/host.ts";
import { startServer } from "../../../../main/http/server.ts";
import { AsyncInvocations } from "../../../../main/invoke/async-invocations.ts";
import { DEFAULT_SETTINGS } from "../invoke/async-settings.ts";
import type { Engine } from "../../../../main/invoke/engine.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { LogFiles } from "../../../../main/store/log-files.ts";
import { ensureOwnerKey, readOwnerKey } from "../../../../main/store/owner-key.ts";
import { openDataDir } from "../../../../main/store/private-data-dir.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { ensureTlsIdentity } from "../../../../main/store/tls-identity.ts";
import { tempDir } from "./temp-dir.ts";

const insecure = (dir: string) => (err: unknown) =>
  isHearthError(err, "DATA_DIR_INSECURE") &&
  err.message.includes(dir) &&
  err.message.includes(`chmod 700 ${dir}`);

test("a missing data directory is made 0700, its missing parents too", async (t) => {
  const dir = join(tempDir(t), "a", "b", "hearth");
  await openDataDir(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, "..")).mode & 0o777, 0o700);
  // Opening it again is fine.
  await openDataDir(dir);
});

test("a data directory group or others may read, write or enter is refused, naming it and the fix", async (t) => {
  const dir = tempDir(t);
  for (const mode of [0o755, 0o750, 0o710, 0o701, 0o720, 0o702]) {
    chmodSync(dir, mode);
    await assert.rejects(openDataDir(dir), insecure(dir), mode.toString(8));
    // Everything that opens it says the same, before it reads or writes anything there.
    await assert.rejects(openHearthStore(dir), insecure(dir));
    await assert.rejects(ensureOwnerKey(dir), insecure(dir));
    await assert.rejects(readOwnerKey(dir), insecure(dir));
  }
  chmodSync(dir, 0o700);
  await openDataDir(dir);
  assert.match(await ensureOwnerKey(dir), /^hok_/);
});

test("a data directory that is a file is refused", async (t) => {
  const file = join(tempDir(t), "not-a-dir");
  writeFileSync(file, "");
  await assert.rejects(openDataDir(file), (err: unknown) => isHearthError(err, "DATA_DIR_INSECURE"));
});

/** Every folder and file under `dir`, with its mode. */
function walk(dir: string, out: { path: string; mode: number; dir: boolean }[] = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    out.push({ path, mode: info.mode & 0o777, dir: info.isDirectory() });
    if (info.isDirectory()) walk(path, out);
  }
  return out;
}

test("everything Hearth writes in the data directory is 0700 or 0600 (blobs 0400), whatever the umask", async (t) => {
  // With umask 0, only the modes Hearth asks for count: nothing relies on a careful umask.
  const umask = process.umask(0);
  t.after(() => process.umask(umask));
  const dir = tempDir(t);
  // What an older Hearth left: a document to migrate (its backup copies its mode) and a stale temp file.
  writeFileSync(join(dir, "hearth.json"), JSON.stringify({ profiles: [] }), { mode: 0o644 });
  writeFileSync(join(dir, ".hearth.json.tmp"), "", { mode: 0o666 });

  const store = await openHearthStore(dir);
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  await store.documents.update((s) => createProfile(s, { name: "alice" }, ctx()));
  await store.blobs.put(Buffer.from("code"));
  await ensureOwnerKey(dir);
  await ensureTlsIdentity(dir, { hosts: ["127.0.0.1"] });
  await new LogFiles(join(dir, "logs", "tasks")).append("tsk_1", [
    { t: new Date().toISOString(), inv: "r", caller: "prf_a", kind: "line", line: "a payload" },
  ]);
  const engine = {
    resolve: () => ({}),
    eventSettings: () => ({ ...DEFAULT_SETTINGS }),
    invoke: async () => ({ ok: true, payload: "{}", servedVersion: "$LATEST", durationMs: 1 }),
  } as unknown as Engine;
  const queue = new AsyncInvocations(engine, { dir: join(dir, "async") });
  await queue.start();
  await queue.enqueue({ callerProfileId: "prf_a", ref: { task: "t" }, payload: '{"secret":1}' });
  await queue.idle();
  queue.close();
  const server = await startServer({ host: "127.0.0.1", port: 0, app: { dataDir: dir, store } as Host });
  await server.close();
  await store.close();

  const entries = walk(dir);
  for (const name of [
    "hearth.json",
    "hearth.json.v0.bak",
    "owner.key",
    "secret.key",
    "logs",
    "async",
    "blobs",
  ])
    assert.ok(
      entries.some((e) => e.path === join(dir, name)),
      `${name} is among ${entries.map((e) => e.path).join(", ")}`,
    );
  for (const e of entries) {
    const expected = e.dir ? 0o700 : e.path.includes(`${join(dir, "blobs")}/`) ? 0o400 : 0o600;
    assert.equal(e.mode.toString(8), expected.toString(8), e.path);
  }
});

test("serve.json is written 0600, even over one an older Hearth left open", async (t) => {
  const umask = process.umask(0);
  t.after(() => process.umask(umask));
  const dir = tempDir(t);
  writeFileSync(join(dir, "serve.json"), "{}", { mode: 0o644 });
  const store = await openHearthStore(dir);
  const server = await startServer({ host: "127.0.0.1", port: 0, app: { dataDir: dir, store } as Host });
  try {
    assert.equal(statSync(join(dir, "serve.json")).mode & 0o777, 0o600);
  } finally {
    await server.close();
    await store.close();
  }
});
