// The share dialog's store (one call that mints and answers the link, shown once) and the remote aliases' store
// (a pasted link or the desktop handler's parts, both through the host's addRemote).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RemoteView, ShareAnswer, TokenView } from "../../../main/contract.ts";
import { checkPastedLink, createRemotesStore } from "../../../renderer/stores/remotes-store.ts";
import { createShareStore, parseRateLimitText } from "../../../renderer/stores/share-store.ts";
import { apiError, fakeApi } from "./fake-api.ts";

const token: TokenView = {
  id: "tok_1",
  label: "shared as echo",
  hint: "hth_abcdef…",
  scope: { kind: "alias", profileId: "p1", aliasId: "als_1" },
  createdAt: "2026-11-23T00:00:00.000Z",
  expiresAt: "2026-11-30T00:00:00.000Z",
  revokedAt: null,
  rateLimitPerMinute: 60,
  remote: true,
  usage: { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] },
};

const answer: ShareAnswer = {
  token,
  secret: `hth_${"a".repeat(43)}`,
  name: "echo",
  endpoint: "https://127.0.0.2:7443",
  fingerprint: `sha256:${"0".repeat(64)}`,
  link: "hearth://share?endpoint=…",
  curl: "curl …",
  aws: "aws …",
};

const remote: RemoteView = {
  id: "rem_1",
  name: "echo",
  kind: "alias",
  profileId: "p2",
  endpoint: "https://127.0.0.2:7443",
  fingerprint: `sha256:${"0".repeat(64)}`,
  createdAt: "2026-11-23T00:00:00.000Z",
  lastUsedAt: null,
};

test("the rate-limit box: empty is no limit, else a whole number from 1 to 10000", () => {
  assert.deepEqual(parseRateLimitText(""), { value: null });
  assert.deepEqual(parseRateLimitText(" 60 "), { value: 60 });
  for (const bad of ["0", "-5", "1.5", "10001", "lots"]) {
    const r = parseRateLimitText(bad);
    assert.ok("error" in r, bad);
    assert.equal(r.error.field, "rateLimitPerMinute");
  }
});

test("sharing sends the owner's choices in one call, keeps the answer until the dialog closes", async () => {
  let shared = 0;
  const api = fakeApi({ shareAlias: () => answer });
  const store = createShareStore(api, () => shared++);
  assert.equal(
    await store.getState().share({ name: "", label: "", expiresInS: null, rateLimitPerMinute: null }),
    null,
  );
  assert.equal(api.calls.length, 0, "nothing is shared while the dialog is closed");
  store.getState().open("als_1");
  const got = await store
    .getState()
    .share({ name: " echo ", label: "", expiresInS: 604_800, rateLimitPerMinute: 60 });
  assert.equal(got, answer);
  assert.deepEqual(api.calls[0], {
    name: "shareAlias",
    input: { aliasId: "als_1", name: "echo", expiresInS: 604_800, rateLimitPerMinute: 60 },
  });
  assert.equal(store.getState().answer, answer);
  assert.equal(shared, 1, "the tokens list is told to reload");
  store.getState().close();
  assert.equal(store.getState().answer, null, "the token is dropped with the dialog");
  assert.equal(store.getState().aliasId, null);
});

test("a token API is shared with the same choices but no name, through shareApi", async () => {
  const apiAnswer = {
    token: { ...token, scope: { kind: "api" as const, profileId: "p1", apiId: "api_1" } },
    secret: `hth_${"c".repeat(43)}`,
    endpoint: "https://127.0.0.2:7443",
    fingerprint: `sha256:${"0".repeat(64)}`,
    url: "https://127.0.0.2:7443/apis/shop",
    link: "hearth://share?endpoint=…&kind=api",
    curl: "curl …",
  };
  const api = fakeApi({ shareApi: () => apiAnswer });
  const store = createShareStore(api);
  store.getState().openApi("api_1");
  assert.equal(store.getState().aliasId, null);
  const got = await store
    .getState()
    .share({ name: "ignored", label: "", expiresInS: 3600, rateLimitPerMinute: 10 });
  assert.equal(got, apiAnswer);
  assert.deepEqual(api.calls[0], {
    name: "shareApi",
    input: { apiId: "api_1", expiresInS: 3600, rateLimitPerMinute: 10 },
  });
  assert.equal(store.getState().apiAnswer, apiAnswer);
  assert.equal(store.getState().answer, null);
  store.getState().close();
  assert.equal(store.getState().apiAnswer, null);
});

test("a refused share shows the host's error beside the form", async () => {
  const api = fakeApi({
    shareAlias: () => {
      throw apiError(409, "SHARING_OFF", "this Hearth is not sharing");
    },
  });
  const store = createShareStore(api);
  store.getState().open("als_1");
  assert.equal(
    await store.getState().share({ name: "", label: "", expiresInS: 3600, rateLimitPerMinute: null }),
    null,
  );
  assert.equal(store.getState().error?.code, "SHARING_OFF");
  assert.equal(store.getState().busy, false);
  assert.deepEqual(api.calls[0]!.input, { aliasId: "als_1", expiresInS: 3600 });
});

test("a pasted link is checked for the obvious first, then added by the host with an optional name", async () => {
  assert.equal(checkPastedLink("")?.field, "link");
  assert.match(checkPastedLink("https://example.com")!.message, /not a share link/);
  assert.equal(checkPastedLink(" hearth://share?endpoint=x "), null);
  const api = fakeApi({ addRemote: () => remote, listRemotes: () => [remote], removeRemote: () => remote });
  const store = createRemotesStore(api);
  assert.equal((await store.getState().add({ link: "nope" }))?.field, "link");
  assert.equal(api.calls.length, 0, "a plainly wrong link never leaves the window");
  assert.equal(await store.getState().add({ link: " hearth://share?endpoint=e ", name: "mine" }), null);
  assert.deepEqual(api.calls[0], {
    name: "addRemote",
    input: { link: "hearth://share?endpoint=e", name: "mine" },
  });
  assert.deepEqual(store.getState().items, [remote]);
  assert.equal(await store.getState().remove("echo"), null);
  assert.deepEqual(api.calls[1], { name: "removeRemote", input: { remote: "echo" } });
  assert.deepEqual(store.getState().items, []);
});

test("a link the desktop app was opened with is added by its parts, the same operation", async () => {
  const api = fakeApi({ addRemote: () => remote });
  const store = createRemotesStore(api);
  const parts = {
    endpoint: "https://127.0.0.2:7443",
    token: `hth_${"b".repeat(43)}`,
    fingerprint: `sha256:${"1".repeat(64)}`,
    name: "echo",
  };
  store.getState().setPending(parts);
  assert.equal(await store.getState().add({ parts }), null);
  assert.deepEqual(api.calls[0], { name: "addRemote", input: parts });
  assert.equal(store.getState().pending, null);
});

test("the host's refusal of a link names the part at fault", async () => {
  const api = fakeApi({
    addRemote: () => {
      throw apiError(
        400,
        "INVALID_INPUT",
        "must be sha256: and the certificate's 64 hex digits",
        "fingerprint",
      );
    },
  });
  const store = createRemotesStore(api);
  const err = await store.getState().add({ link: "hearth://share?endpoint=x" });
  assert.equal(err?.field, "fingerprint");
  assert.match(err!.message, /64 hex digits/);
});

test("a list asked for before a removal cannot bring the removed remote back when it answers late", async () => {
  let answerList: (items: RemoteView[]) => void = () => {};
  const api = fakeApi({
    listRemotes: () => new Promise<RemoteView[]>((r) => (answerList = r)),
    removeRemote: () => remote,
  });
  const store = createRemotesStore(api);
  store.setState({ items: [remote], loaded: true });
  const loading = store.getState().load();
  assert.equal(await store.getState().remove("echo"), null);
  assert.deepEqual(store.getState().items, []);
  // The list was read before the removal: its answer still holds the remote.
  answerList([remote]);
  await loading;
  assert.deepEqual(store.getState().items, []);
  assert.equal(store.getState().loading, false);
});
