// Remote aliases: imported from a share link, named without clashing, sealed, never read back, gone with the profile.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deleteProfile } from "../../../../../main/domain/access/profiles.ts";
import {
  addRemote,
  getRemote,
  markRemoteUsed,
  remoteCallTarget,
  removeRemote,
} from "../../../../../main/domain/sharing/remotes.ts";
import { formatShareLink } from "../../../../../main/domain/sharing/share-link.ts";
import { listRemoteViews } from "../../../../../main/domain/model/views.ts";
import { expectError, fakeSealer, World } from "../domain-world.ts";

const TOKEN = `hth_${"Ab3_-".repeat(8)}xyz`;
const FINGERPRINT = `sha256:${"ab".repeat(32)}`;
const parts = { endpoint: "https://127.0.0.2:7443", token: TOKEN, fingerprint: FINGERPRINT, name: "resize" };
const LINK = formatShareLink(parts);

function world() {
  const w = new World();
  const alice = w.profile("alice");
  const bob = w.profile("bob");
  w.task(alice, { name: "thumbs" });
  return { w, alice, bob };
}

test("a link becomes a remote alias with its token sealed, and the view never shows the token", () => {
  const { w, alice } = world();
  const view = w.apply((s) => addRemote(s, alice, { link: LINK }, w.ctx));
  assert.match(view.id, /^rmt_[0-9a-f]{16}$/);
  assert.deepEqual(view, {
    id: view.id,
    name: "resize",
    kind: "alias",
    profileId: alice,
    endpoint: parts.endpoint,
    fingerprint: FINGERPRINT,
    createdAt: new Date(w.now - 1000).toISOString(),
    lastUsedAt: null,
  });
  assert.ok(!JSON.stringify(w.state).includes(TOKEN), "the token is stored sealed only");
  assert.ok(!JSON.stringify(listRemoteViews(w.state, alice)).includes("sealed"));
  assert.deepEqual(listRemoteViews(w.state, alice), [view]);
  // Opening it is the invoker's business, by local name or id.
  assert.deepEqual(remoteCallTarget(w.state, alice, "resize", fakeSealer), {
    remoteId: view.id,
    name: "resize",
    endpoint: parts.endpoint,
    fingerprint: FINGERPRINT,
    token: TOKEN,
  });
  assert.equal(remoteCallTarget(w.state, alice, view.id, fakeSealer).token, TOKEN);
});

test("an API's link becomes a remote API: kept apart from aliases, the same name rules", () => {
  const { w, alice } = world();
  const apiLink = formatShareLink({
    ...parts,
    endpoint: "https://127.0.0.2:7443/apis/shop",
    name: "shop",
    kind: "api",
  });
  const view = w.apply((s) => addRemote(s, alice, { link: apiLink }, w.ctx));
  assert.equal(view.kind, "api");
  assert.equal(view.endpoint, "https://127.0.0.2:7443/apis/shop");
  assert.equal(w.state.remotes.find((r) => r.id === view.id)?.kind, "api");
  // An alias's link stores no kind at all: documents written before APIs could be shared read the same.
  const alias = w.apply((s) => addRemote(s, alice, { link: LINK }, w.ctx));
  assert.equal(w.state.remotes.find((r) => r.id === alias.id)?.kind, undefined);
  expectError(() => addRemote(w.state, alice, { link: apiLink }, w.ctx), "REMOTE_EXISTS", "name");
});

test("the name may be chosen over the link's, and is required when the link has none", () => {
  const { w, alice } = world();
  assert.equal(
    w.apply((s) => addRemote(s, alice, { link: LINK, name: "their-resize" }, w.ctx)).name,
    "their-resize",
  );
  const { name: _n, ...unnamed } = parts;
  expectError(
    () => addRemote(w.state, alice, { link: formatShareLink(unnamed) }, w.ctx),
    "INVALID_INPUT",
    "name",
  );
  // The parts a window already read are taken too, under the same rules.
  assert.equal(w.apply((s) => addRemote(s, alice, { ...unnamed, name: "again" }, w.ctx)).name, "again");
  expectError(
    () => addRemote(w.state, alice, { ...unnamed, fingerprint: "sha256:00", name: "x" }, w.ctx),
    "INVALID_INPUT",
    "fingerprint",
  );
  expectError(() => addRemote(w.state, alice, { link: LINK, token: TOKEN }, w.ctx), "INVALID_INPUT", "token");
  expectError(() => addRemote(w.state, alice, {}, w.ctx), "INVALID_INPUT", "link");
  expectError(() => addRemote(w.state, alice, { link: "hearth://nope" }, w.ctx), "INVALID_INPUT", "link");
  expectError(() => addRemote(w.state, alice, { link: LINK, name: "../x" }, w.ctx), "INVALID_INPUT", "name");
  expectError(
    () => addRemote(w.state, alice, { link: LINK, other: 1 } as never, w.ctx),
    "INVALID_INPUT",
    "other",
  );
});

test("a local name is unique among the profile's remotes and its own tasks, in both directions", () => {
  const { w, alice, bob } = world();
  w.apply((s) => addRemote(s, alice, { link: LINK }, w.ctx));
  expectError(() => addRemote(w.state, alice, { link: LINK }, w.ctx), "REMOTE_EXISTS", "name");
  const clash = expectError(
    () => addRemote(w.state, alice, { link: LINK, name: "thumbs" }, w.ctx),
    "TASK_EXISTS",
    "name",
  );
  assert.match(clash.message, /invoked by its name/);
  // Another profile has its own names.
  assert.equal(w.apply((s) => addRemote(s, bob, { link: LINK }, w.ctx)).name, "resize");
  // And a task may not take a remote's name later.
  expectError(() => w.task(alice, { name: "resize" }), "REMOTE_EXISTS", "name");
  expectError(() => addRemote(w.state, "prf_missing", { link: LINK }, w.ctx), "PROFILE_NOT_FOUND");
});

test("removing by name or id, last use recorded, and nobody else's remote is reachable", () => {
  const { w, alice, bob } = world();
  const a = w.apply((s) => addRemote(s, alice, { link: LINK }, w.ctx));
  const b = w.apply((s) => addRemote(s, bob, { link: LINK, name: "bobs" }, w.ctx));
  expectError(() => getRemote(w.state, alice, b.id), "REMOTE_NOT_FOUND", "remote");
  expectError(() => removeRemote(w.state, alice, { remote: "bobs" }), "REMOTE_NOT_FOUND", "remote");
  expectError(() => remoteCallTarget(w.state, alice, "bobs", fakeSealer), "REMOTE_NOT_FOUND");

  const used = w.apply((s) => markRemoteUsed(s, alice, a.id, w.ctx));
  assert.equal(used.lastUsedAt, new Date(w.now - 1000).toISOString());
  assert.equal(listRemoteViews(w.state, alice)[0]?.lastUsedAt, used.lastUsedAt);

  assert.equal(w.apply((s) => removeRemote(s, alice, { remote: "resize" })).id, a.id);
  assert.deepEqual(listRemoteViews(w.state, alice), []);
  assert.equal(w.apply((s) => removeRemote(s, bob, { remote: b.id })).name, "bobs");
  assert.deepEqual(w.state.remotes, []);
  expectError(() => removeRemote(w.state, alice, { remote: "" }), "INVALID_INPUT", "remote");
});

test("deleting a profile takes its remote aliases with it, and only its own", () => {
  const { w, alice, bob } = world();
  w.apply((s) => addRemote(s, alice, { link: LINK }, w.ctx));
  w.apply((s) => addRemote(s, bob, { link: LINK }, w.ctx));
  w.apply((s) => deleteProfile(s, alice));
  assert.deepEqual(
    w.state.remotes.map((r) => r.profileId),
    [bob],
  );
});
