// shareAlias: refused while sharing is off, checks the link's name before minting, then answers the link, curl and
// aws lines for the running shared listener, with the token's expiry and rate limit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiShareAnswer, ShareAnswer } from "../../../../main/contract.ts";
import { createApi } from "../../../../main/domain/apis/apis.ts";
import { createAlias } from "../../../../main/domain/aliases/aliases.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { parseShareLink } from "../../../../main/domain/sharing/share-link.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { publishVersion } from "../../../../main/domain/tasks/versions.ts";
import type { Host } from "../../../../main/host.ts";
import { sharedInvocation } from "../../../../main/http/native/shared-invoke.ts";
import { startSharedListener } from "../../../../main/http/shared-listener.ts";
import { SharingRegistry } from "../../../../main/remote/sharing-registry.ts";
import type { CallTransport } from "../../../../main/operations/operation-context.ts";
import { shareAlias, shareApi as shareApiOperation } from "../../../../main/operations/sharing.ts";
import { openHearthStore } from "../../../../main/store/hearth-store.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";

const transport: CallTransport = {
  accepted: () => undefined,
  openEvents: () => {
    throw new Error("not streamed");
  },
};

test("sharing an alias: SHARING_OFF without a listener, a bad name mints nothing, then the link", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-share-handler-"));
  const store = await openHearthStore(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  await store.documents.update((s) =>
    createTask(s, profile.id, { name: "resize", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  await store.documents.update((s) => publishVersion(s, profile.id, { task: "resize" }, ctx()));
  const alias = await store.documents.update((s) =>
    createAlias(s, profile.id, { task: "resize", name: "live", version: 1 }, ctx()),
  );
  const app = { dataDir: dir, store, engine: {}, sharing: new SharingRegistry() } as unknown as Host;
  const share = (input: Record<string, unknown>) =>
    shareAlias(
      {
        host: app,
        sharing: () => app.sharing.current(),
        caller: { kind: "owner", profileId: profile.id },
        profileId: profile.id,
        transport,
      },
      input,
    ) as Promise<ShareAnswer>;

  await assert.rejects(share({ aliasId: alias.id }), (e: { code?: string; message: string }) => {
    assert.equal(e.code, "SHARING_OFF");
    assert.match(e.message, /hearth serve --share/);
    return true;
  });
  const listener = await startSharedListener({
    app,
    host: "127.0.0.1",
    port: 0,
    invoke: sharedInvocation(app),
  });
  try {
    assert.equal(app.sharing.current()?.url, listener.url);
    await assert.rejects(share({ aliasId: alias.id, name: "two words" }), {
      code: "INVALID_INPUT",
      field: "name",
    });
    await assert.rejects(share({ aliasId: "als_nope" }), { code: "ALIAS_NOT_FOUND" });
    await assert.rejects(share({ aliasId: alias.id, rateLimitPerMinute: 1.5 }), {
      code: "INVALID_INPUT",
      field: "rateLimitPerMinute",
    });
    assert.equal(store.documents.state.tokens.length, 0, "nothing refused left a token behind");

    const a = await share({ aliasId: alias.id, expiresInS: 600, rateLimitPerMinute: 12 });
    assert.equal(a.name, "resize");
    assert.deepEqual(parseShareLink(a.link), {
      endpoint: listener.url,
      token: a.secret,
      fingerprint: listener.fingerprint,
      name: "resize",
    });
    assert.equal(a.token.label, "shared as resize");
    assert.equal(a.token.rateLimitPerMinute, 12);
    // A link is for another machine: its token works there, even when the request asks otherwise.
    assert.equal(a.token.remote, true);
    const asked = await share({ aliasId: alias.id, remote: false, label: "for bob" });
    assert.equal(asked.token.remote, true);
    assert.ok(store.documents.state.tokens.every((x) => x.remote));
    assert.equal(store.documents.state.tokens[0]?.rateLimitPerMinute, 12);
    assert.ok(a.curl.includes(a.secret) && a.curl.includes(`${listener.url}/v1/invoke`));
    assert.match(a.aws, /--function-name resize /);
  } finally {
    await listener.close();
  }
  assert.equal(app.sharing.current(), null);
  await assert.rejects(share({ aliasId: alias.id }), { code: "SHARING_OFF" });
});

test("sharing a token API answers its address on the shared listener; a public API is not shared", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-share-api-"));
  const store = await openHearthStore(dir);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile } = await store.documents.update((s) => createProfile(s, { name: "owner" }, ctx()));
  const code = { sha256: "1".repeat(64), size: 10 };
  await store.documents.update((s) =>
    createTask(s, profile.id, { name: "orders", runtime: "nodejs", handler: "i.h", code }, ctx()),
  );
  const api = (name: string, access: "token" | "public") =>
    store.documents.update((s) =>
      createApi(
        s,
        profile.id,
        { name, access, routes: [{ routeKey: "$default", target: { task: "orders" } }] },
        ctx(),
      ),
    );
  const shop = await api("shop", "token");
  const open = await api("open", "public");
  const app = { dataDir: dir, store, engine: {}, sharing: new SharingRegistry() } as unknown as Host;
  const shareApi = (input: Record<string, unknown>) =>
    shareApiOperation(
      {
        host: app,
        sharing: () => app.sharing.current(),
        caller: { kind: "owner", profileId: profile.id },
        profileId: profile.id,
        transport,
      },
      input,
    ) as Promise<ApiShareAnswer>;
  await assert.rejects(shareApi({ apiId: shop.id }), { code: "SHARING_OFF" });
  const listener = await startSharedListener({
    app,
    host: "127.0.0.1",
    port: 0,
    invoke: sharedInvocation(app),
  });
  try {
    await assert.rejects(shareApi({ apiId: open.id }), { code: "INVALID_INPUT", field: "apiId" });
    await assert.rejects(shareApi({ apiId: "api_nope" }), { code: "API_NOT_FOUND" });
    assert.equal(store.documents.state.tokens.length, 0);
    const a = await shareApi({ apiId: shop.id, rateLimitPerMinute: 5, expiresInS: 60 });
    assert.equal(a.url, `${listener.url}/apis/shop`);
    assert.deepEqual(a.token.scope, { kind: "api", profileId: profile.id, apiId: shop.id });
    assert.equal(a.token.rateLimitPerMinute, 5);
    assert.equal(a.token.remote, true);
    assert.match(
      a.curl,
      /--pinnedpubkey .* -H 'Authorization: Bearer hth_[A-Za-z0-9_-]{43}' https:\/\/127\.0\.0\.1:\d+\/apis\/shop\/$/,
    );
  } finally {
    await listener.close();
  }
});
