// The session store: which profile the window acts as, and a new profile's credentials shown once.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CreatedProfile, ProfileView } from "../../../main/contract.ts";
import { createSessionStore } from "../../../renderer/stores/session-store.ts";
import { apiError, fakeApi } from "./fake-api.ts";

const profile = (id: string, name: string): ProfileView => ({
  id,
  name,
  accountId: "111122223333",
  createdAt: "2026-11-23T00:00:00.000Z",
  accessKeyIds: [`HKIA${id.toUpperCase()}`],
});

function setup(profiles: ProfileView[], remembered: string | null = null) {
  const acting: (string | null)[] = [];
  let kept = remembered;
  const api = fakeApi({
    listProfiles: () => profiles,
    createProfile: ({ name }): CreatedProfile => {
      if (name === "taken") throw apiError(409, "PROFILE_EXISTS", `a profile named "${name}" exists`, "name");
      return {
        profile: profile("p9", name),
        credentials: { accessKeyId: "HKIANEW", secretAccessKey: "shh" },
      };
    },
  });
  const store = createSessionStore(
    { api, setProfile: (id) => acting.push(id) },
    { get: () => kept, set: (id) => (kept = id) },
  );
  return { store, acting, api, kept: () => kept };
}

test("acts as the profile used last time, if it still exists, else the first", async () => {
  const a = setup([profile("p1", "alice"), profile("p2", "bob")], "p2");
  await a.store.getState().load();
  assert.equal(a.store.getState().activeId, "p2");
  assert.deepEqual(a.acting, ["p2"]);

  const b = setup([profile("p1", "alice")], "gone");
  await b.store.getState().load();
  assert.equal(b.store.getState().activeId, "p1");
  assert.equal(b.kept(), "p1");
});

test("with no profile at all, acts as none", async () => {
  const { store, acting } = setup([]);
  await store.getState().load();
  assert.equal(store.getState().loaded, true);
  assert.equal(store.getState().activeId, null);
  assert.deepEqual(acting, [null]);
});

test("switching tells the transport and is remembered; an unknown id is ignored", async () => {
  const s = setup([profile("p1", "alice"), profile("p2", "bob")]);
  await s.store.getState().load();
  s.store.getState().switchTo("p2");
  s.store.getState().switchTo("nope");
  assert.equal(s.store.getState().activeId, "p2");
  assert.deepEqual(s.acting, ["p1", "p2"]);
  assert.equal(s.kept(), "p2");
});

test("a created profile's secret is held until dismissed, and the window acts as the new profile", async () => {
  const s = setup([profile("p1", "alice")]);
  await s.store.getState().load();
  assert.equal(await s.store.getState().create("  carol "), true);
  assert.deepEqual(s.api.calls.at(-1), { name: "createProfile", input: { name: "carol" } });
  assert.equal(s.store.getState().created?.credentials.secretAccessKey, "shh");
  assert.equal(s.store.getState().activeId, "p9");
  assert.equal(s.store.getState().active()?.name, "carol");
  s.store.getState().dismissCreated();
  assert.equal(s.store.getState().created, null);
  assert.ok(!JSON.stringify(s.store.getState()).includes("shh"));
});

test("a refused or empty name is an error beside the form, not a thrown one", async () => {
  const s = setup([profile("p1", "alice")]);
  await s.store.getState().load();
  assert.equal(await s.store.getState().create("   "), false);
  assert.equal(s.store.getState().createError?.field, "name");
  assert.equal(await s.store.getState().create("taken"), false);
  assert.deepEqual(s.store.getState().createError, {
    code: "PROFILE_EXISTS",
    message: 'a profile named "taken" exists',
    field: "name",
    status: 409,
  });
  assert.equal(s.store.getState().activeId, "p1");
});

test("a refused key shows as an auth error", async () => {
  const api = fakeApi({
    listProfiles: () => {
      throw apiError(401, "CREDENTIALS_INVALID", "the owner key is not valid", "Authorization");
    },
  });
  const store = createSessionStore({ api, setProfile: () => {} }, { get: () => null, set: () => {} });
  await store.getState().load();
  assert.equal(store.getState().error?.code, "CREDENTIALS_INVALID");
});
