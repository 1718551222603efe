// Migrations: an older document is brought up step by step on open, with a backup; a newer one is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { CURRENT_SCHEMA_VERSION, emptyState } from "../../../../main/domain/model/state.ts";
import { DocumentStore } from "../../../../main/store/document-store.ts";
import { MIGRATIONS, migrateDocument, type Migration } from "../../../../main/store/migrations.ts";
import { tempDir } from "./temp-dir.ts";

test("the shipped list covers every version up to the current one", () => {
  for (let v = 0; v < CURRENT_SCHEMA_VERSION; v++)
    assert.ok(
      MIGRATIONS.some((m) => m.from === v),
      `missing ${v}`,
    );
});

test("steps run in order from the document's version, each setting the next schemaVersion", () => {
  const seen: number[] = [];
  const fake: Migration[] = [
    { from: 2, description: "second", up: (d) => (seen.push(d.schemaVersion as number), { ...d, b: true }) },
    { from: 1, description: "first", up: (d) => (seen.push(d.schemaVersion as number), { ...d, a: true }) },
  ];
  const { doc, from, applied } = migrateDocument({ schemaVersion: 1 }, fake, 3);
  assert.deepEqual(doc, { schemaVersion: 3, a: true, b: true });
  assert.equal(from, 1);
  assert.deepEqual(applied, [1, 2]);
  assert.deepEqual(seen, [1, 2]);
  // Already current: nothing runs.
  assert.deepEqual(migrateDocument({ schemaVersion: 3 }, fake, 3).applied, []);
});

test("a gap in the list and a document from the future are both refused", () => {
  const gap: Migration[] = [{ from: 0, description: "only", up: (d) => d }];
  assert.throws(
    () => migrateDocument({}, gap, 2),
    (e: HearthError) => e.code === "STORE_CORRUPT" && /from schema version 1/.test(e.message),
  );
  assert.throws(
    () => migrateDocument({ schemaVersion: 9 }, gap, 2),
    (e: HearthError) => e.code === "STORE_TOO_NEW",
  );
});

test("opening a version-0 document migrates it, keeps the original as a backup, and writes the result", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  const old = JSON.stringify({ profiles: [] });
  writeFileSync(file, old);
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.deepEqual(store.state, emptyState());
  assert.equal(readFileSync(join(dir, "hearth.json.v0.bak"), "utf8"), old);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), emptyState());
});

test("the store runs injected migrations on a fake older document", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  // A made-up old layout: profiles called "accounts", no other collections.
  writeFileSync(file, JSON.stringify({ accounts: [] }));
  const fake: Migration[] = [
    {
      from: 0,
      description: "accounts → profiles, add the rest",
      up: ({ accounts, ...rest }) => ({
        ...rest,
        profiles: accounts,
        tasks: [],
        aliases: [],
        grants: [],
        tokens: [],
      }),
    },
    // The shipped steps after the first still run: the target stays CURRENT_SCHEMA_VERSION.
    ...MIGRATIONS.filter((m) => m.from >= 1),
  ];
  const store = await DocumentStore.open(dir, { migrations: fake });
  t.after(() => store.close());
  assert.deepEqual(store.state, emptyState());
  assert.ok(!("accounts" in JSON.parse(readFileSync(file, "utf8"))));
});

test("a version-1 document gets an empty list of APIs and keeps everything else", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  const profile = {
    id: "prf_0123456789abcdef",
    name: "alice",
    accountId: "123456789012",
    createdAt: "2025-03-01T10:00:00.000Z",
    credentials: [],
  };
  const v1 = { schemaVersion: 1, profiles: [profile], tasks: [], aliases: [], grants: [], tokens: [] };
  writeFileSync(file, JSON.stringify(v1));
  // The step itself, then the whole way up.
  assert.deepEqual(migrateDocument(v1, MIGRATIONS, 2).doc, { ...v1, schemaVersion: 2, apis: [] });
  const { doc, applied } = migrateDocument(v1);
  assert.deepEqual(applied, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(doc, {
    ...v1,
    schemaVersion: 7,
    apis: [],
    remotes: [],
    testEvents: [],
    permissions: [],
    eventInvokeConfigs: [],
    schedules: [],
    functionUrls: [],
  });
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.deepEqual(store.state.apis, []);
  assert.deepEqual(store.state.profiles, [profile]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v1.bak"), "utf8")), v1);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).apis, []);
});

test("a version-2 document gets an empty list of remote aliases and keeps everything else", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  const profile = {
    id: "prf_0123456789abcdef",
    name: "alice",
    accountId: "123456789012",
    createdAt: "2025-03-01T10:00:00.000Z",
    credentials: [],
  };
  const api = {
    id: "api_0123456789abcdef",
    profileId: profile.id,
    name: "orders",
    description: "",
    access: "token",
    routes: [{ routeKey: "GET /orders/{id}", target: { task: "orders" } }],
    createdAt: "2025-03-01T10:00:00.000Z",
    updatedAt: "2025-03-01T10:00:00.000Z",
  };
  const v2 = {
    schemaVersion: 2,
    profiles: [profile],
    tasks: [],
    aliases: [],
    grants: [],
    tokens: [],
    apis: [api],
  };
  writeFileSync(file, JSON.stringify(v2));
  assert.deepEqual(migrateDocument(v2, MIGRATIONS, 3).doc, { ...v2, schemaVersion: 3, remotes: [] });
  const { doc, applied } = migrateDocument(v2);
  assert.deepEqual(applied, [2, 3, 4, 5, 6]);
  assert.deepEqual(doc, {
    ...v2,
    schemaVersion: 7,
    remotes: [],
    testEvents: [],
    permissions: [],
    eventInvokeConfigs: [],
    schedules: [],
    functionUrls: [],
  });
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.deepEqual(store.state.remotes, []);
  assert.deepEqual(store.state.apis, [api]);
  assert.deepEqual(store.state.profiles, [profile]);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v2.bak"), "utf8")), v2);
  assert.deepEqual(JSON.parse(readFileSync(file, "utf8")).remotes, []);
});

test("a version-3 document's tokens say where they work: those a share labelled are remote, others local-only", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  const token = (id: string, label: string, kind: "alias" | "api" = "alias") => ({
    id,
    lookup: id.slice(4, 14),
    sha256: "0".repeat(64),
    scope:
      kind === "alias"
        ? { kind, profileId: "prf_0123456789abcdef", aliasId: "als_0123456789abcdef" }
        : { kind, profileId: "prf_0123456789abcdef", apiId: "api_0123456789abcdef" },
    label,
    createdAt: "2025-03-01T10:00:00.000Z",
    expiresAt: null,
    revokedAt: null,
  });
  const tokens = [
    token("tok_share00001", "shared as resize"),
    token("tok_share00002", "shared API orders", "api"),
    token("tok_local00001", "ci"),
    token("tok_local00002", ""),
    // A share given a label of the owner's choosing is not told apart: local-only, shared again to work.
    token("tok_local00003", "for bob"),
    token("tok_local00004", "not shared as such"),
  ];
  const {
    testEvents: _none,
    permissions: _no,
    eventInvokeConfigs: _nor,
    schedules: _nos,
    functionUrls: _nou,
    ...current
  } = emptyState();
  const v3 = { ...current, schemaVersion: 3, tokens };
  writeFileSync(file, JSON.stringify(v3));
  const { doc, applied } = migrateDocument(v3);
  assert.deepEqual(applied, [3, 4, 5, 6]);
  assert.deepEqual(
    (doc.tokens as { id: string; remote: boolean }[]).map((t) => [t.id, t.remote]),
    [
      ["tok_share00001", true],
      ["tok_share00002", true],
      ["tok_local00001", false],
      ["tok_local00002", false],
      ["tok_local00003", false],
      ["tok_local00004", false],
    ],
  );
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, CURRENT_SCHEMA_VERSION);
  assert.deepEqual(
    store.state.tokens.map((t) => t.remote),
    [true, true, false, false, false, false],
  );
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v3.bak"), "utf8")), v3);
});

test("a token without its reach in a current document is refused as corrupt", async (t) => {
  const dir = tempDir(t);
  const store = await DocumentStore.open(dir);
  await store.close();
  const doc = JSON.parse(readFileSync(join(dir, "hearth.json"), "utf8")) as { tokens: unknown[] };
  doc.tokens.push({
    id: "tok_0123456789abcdef",
    lookup: "0123456789",
    sha256: "0".repeat(64),
    scope: { kind: "alias", profileId: "prf_0123456789abcdef", aliasId: "als_0123456789abcdef" },
    label: "",
    createdAt: "2025-03-01T10:00:00.000Z",
    expiresAt: null,
    revokedAt: null,
  });
  writeFileSync(join(dir, "hearth.json"), JSON.stringify(doc));
  await assert.rejects(
    DocumentStore.open(dir),
    (e: HearthError) => e.code === "STORE_CORRUPT" && /tokens\.0\.remote/.test(e.message),
  );
});

test("a version-3 document with a malformed remote alias is refused as corrupt", async (t) => {
  const dir = tempDir(t);
  const remote = {
    id: "rmt_0123456789abcdef",
    profileId: "prf_0123456789abcdef",
    name: "resize",
    endpoint: "https://127.0.0.2:7443",
    fingerprint: "sha256:not-hex",
    sealedToken: "gcm1.a.b.c",
    createdAt: "2025-03-01T10:00:00.000Z",
  };
  writeFileSync(join(dir, "hearth.json"), JSON.stringify({ ...emptyState(), remotes: [remote] }));
  await assert.rejects(
    DocumentStore.open(dir),
    (e: HearthError) => e.code === "STORE_CORRUPT" && /remotes\.0\.fingerprint/.test(e.message),
  );
});

test("a document from a newer Hearth is refused and left as it is", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "hearth.json");
  const future = JSON.stringify({ ...emptyState(), schemaVersion: CURRENT_SCHEMA_VERSION + 1 });
  writeFileSync(file, future);
  await assert.rejects(
    DocumentStore.open(dir),
    (e: HearthError) => e.code === "STORE_TOO_NEW" && /upgrade Hearth/.test(e.message),
  );
  assert.equal(readFileSync(file, "utf8"), future);
  assert.ok(!existsSync(join(dir, `hearth.json.v${CURRENT_SCHEMA_VERSION + 1}.bak`)));
});

test("a version-4 document gets an empty list of saved test events and keeps everything else", async (t) => {
  const dir = tempDir(t);
  const {
    testEvents: _none,
    permissions: _no,
    eventInvokeConfigs: _nor,
    schedules: _nos,
    functionUrls: _nou,
    ...current
  } = emptyState();
  const v4 = { ...current, schemaVersion: 4 };
  writeFileSync(join(dir, "hearth.json"), JSON.stringify(v4));
  const { doc, applied } = migrateDocument(v4);
  assert.deepEqual(applied, [4, 5, 6]);
  assert.deepEqual(doc, {
    ...v4,
    schemaVersion: 7,
    testEvents: [],
    permissions: [],
    eventInvokeConfigs: [],
    schedules: [],
    functionUrls: [],
  });
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, 7);
  assert.deepEqual(store.state.testEvents, []);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v4.bak"), "utf8")), v4);
});

test("a version-5 document gets empty lists of policy statements and event-invoke configurations", async (t) => {
  const dir = tempDir(t);
  const {
    permissions: _none,
    eventInvokeConfigs: _nor,
    schedules: _nos,
    functionUrls: _nou,
    ...current
  } = emptyState();
  const v5 = { ...current, schemaVersion: 5 };
  writeFileSync(join(dir, "hearth.json"), JSON.stringify(v5));
  const { doc, applied } = migrateDocument(v5);
  assert.deepEqual(applied, [5, 6]);
  assert.deepEqual(doc, {
    ...v5,
    schemaVersion: 7,
    permissions: [],
    eventInvokeConfigs: [],
    schedules: [],
    functionUrls: [],
  });
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, 7);
  assert.deepEqual(store.state.permissions, []);
  assert.deepEqual(store.state.eventInvokeConfigs, []);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v5.bak"), "utf8")), v5);
});

test("a version-6 document gets an empty list of function URLs and keeps everything else", async (t) => {
  const dir = tempDir(t);
  const { functionUrls: _none, ...current } = emptyState();
  const v6 = { ...current, schemaVersion: 6 };
  writeFileSync(join(dir, "hearth.json"), JSON.stringify(v6));
  const { doc, applied } = migrateDocument(v6);
  assert.deepEqual(applied, [6]);
  assert.deepEqual(doc, { ...v6, schemaVersion: 7, functionUrls: [] });
  const store = await DocumentStore.open(dir);
  t.after(() => store.close());
  assert.equal(store.state.schemaVersion, 7);
  assert.deepEqual(store.state.functionUrls, []);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "hearth.json.v6.bak"), "utf8")), v6);
});
