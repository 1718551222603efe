// The whole data directory together: import → blob → task → sandbox config, with secrets only ever sealed on disk.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CommandContext } from "../../../../main/domain/model/command-context.ts";
import { createCrossProfileAlias } from "../../../../main/domain/aliases/cross-profile-aliases.ts";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { createGrant } from "../../../../main/domain/aliases/grants.ts";
import { openSigningSecret } from "../../../../main/domain/access/profile-credentials.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { sandboxConfig } from "../../../../main/domain/tasks/sandbox-config.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import { openHearthStore, type HearthStore } from "../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { importTaskFolder } from "../../../../main/store/task-import.ts";
import { fixtureDir } from "../../../helpers/fixtures.ts";
import { tempDir } from "./temp-dir.ts";

const ctxOf = (store: HearthStore): CommandContext => ({
  now: Date.now(),
  random: systemRandom,
  sealer: store.secrets,
});

async function populate(store: HearthStore) {
  const ctx = ctxOf(store);
  const owner = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx));
  const caller = await store.documents.update((s) => createProfile(s, { name: "caller" }, ctx));
  const imported = await importTaskFolder(fixtureDir("hello-env"));
  const sha256 = await store.blobs.put(imported.code);
  const task = await store.documents.update((s) =>
    createTask(s, owner.profile.id, { ...imported.manifest, code: { sha256, size: imported.size } }, ctx),
  );
  await store.documents.update((s) => publishVersion(s, owner.profile.id, { task: task.name }, ctx));
  await store.documents.update((s) =>
    createGrant(
      s,
      owner.profile.id,
      { task: task.name, granteeProfileId: caller.profile.id, allowedEnvironment: ["PAYMENT_KEY"] },
      ctx,
    ),
  );
  const alias = await store.documents.update((s) =>
    createCrossProfileAlias(
      s,
      caller.profile.id,
      {
        ownerAccountId: owner.profile.accountId,
        task: task.name,
        name: "prod",
        version: 1,
        secrets: { PAYMENT_KEY: "sk_live_51Hx-do-not-leak" },
      },
      ctx,
    ),
  );
  return { owner, caller, imported, task, alias };
}

test("secrets and credentials are on disk only sealed, and open again after a restart", async (t) => {
  const dir = tempDir(t);
  const store = await openHearthStore(dir);
  const { owner, task, alias } = await populate(store);
  await store.close();

  const text = readFileSync(join(dir, "hearth.json"), "utf8");
  assert.ok(!text.includes("sk_live_51Hx-do-not-leak"), "alias secret in clear");
  assert.ok(!text.includes(owner.credentials.secretAccessKey), "profile secret in clear");
  assert.ok(text.includes(owner.credentials.accessKeyId));

  const again = await openHearthStore(dir);
  t.after(() => again.close());
  const s = again.documents.state;
  assert.equal(
    openSigningSecret(s, owner.credentials.accessKeyId, again.secrets).secretAccessKey,
    owner.credentials.secretAccessKey,
  );
  const cfg = sandboxConfig(s, { taskId: task.id, version: 1, aliasId: alias.id }, again.secrets);
  assert.equal(cfg.spec.env.PAYMENT_KEY, "sk_live_51Hx-do-not-leak");
  assert.equal(cfg.spec.env.GREETING, "hello");
  assert.ok(!JSON.stringify(cfg).includes("sk_live_51Hx-do-not-leak"));
});

test("the code a sandbox config names is the blob the import produced", async (t) => {
  const dir = tempDir(t);
  const store = await openHearthStore(dir);
  t.after(() => store.close());
  const { imported, task } = await populate(store);
  const cfg = sandboxConfig(store.documents.state, { taskId: task.id, version: "$LATEST" }, store.secrets);
  assert.equal(cfg.code.sha256, imported.sha256);
  assert.deepEqual(await store.blobs.get(cfg.code.sha256), imported.code);
});

test("a lost secret.key is an error, not a silent fresh start, once the data holds sealed values", async (t) => {
  const dir = tempDir(t);
  const store = await openHearthStore(dir);
  await populate(store);
  await store.close();
  rmSync(join(dir, "secret.key"));
  await assert.rejects(
    openHearthStore(dir),
    (e: HearthError) => e.code === "SECRET_KEY_INVALID" && /restore/.test(e.message),
  );
  // The failed open let go of the directory.
  rmSync(join(dir, "hearth.json"));
  const fresh = await openHearthStore(dir);
  await fresh.close();
});
