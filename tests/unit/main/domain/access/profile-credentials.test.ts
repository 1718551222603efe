// Access keys: a presented secret is checked against its scrypt hash; SigV4 gets the raw secret from its sealed copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  authenticateSecret,
  openSigningSecret,
} from "../../../../../main/domain/access/profile-credentials.ts";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { expectError, fakeSealer, World } from "../domain-world.ts";

test("the right pair authenticates; a wrong secret and an unknown id fail alike", () => {
  const w = new World();
  const { profile, credentials } = w.apply((s) => createProfile(s, { name: "alice" }, w.ctx));
  assert.equal(authenticateSecret(w.state, credentials.accessKeyId, credentials.secretAccessKey), profile.id);
  const wrong = expectError(
    () =>
      authenticateSecret(w.state, credentials.accessKeyId, `${credentials.secretAccessKey.slice(0, -1)}x`),
    "CREDENTIALS_INVALID",
  );
  const unknown = expectError(
    () => authenticateSecret(w.state, "HKIAAAAAAAAAAAAAAAAA", credentials.secretAccessKey),
    "CREDENTIALS_INVALID",
  );
  assert.equal(wrong.message, unknown.message);
});

test("the signing secret is recovered from its sealed copy for SigV4", () => {
  const w = new World();
  const { profile, credentials } = w.apply((s) => createProfile(s, { name: "alice" }, w.ctx));
  assert.deepEqual(openSigningSecret(w.state, credentials.accessKeyId, fakeSealer), {
    profileId: profile.id,
    secretAccessKey: credentials.secretAccessKey,
  });
  expectError(() => openSigningSecret(w.state, "HKIAZZZZZZZZZZZZZZZZ", fakeSealer), "CREDENTIALS_INVALID");
});

test("two profiles never share an access key id", () => {
  const w = new World();
  const a = w.apply((s) => createProfile(s, { name: "a" }, w.ctx)).credentials;
  const b = w.apply((s) => createProfile(s, { name: "b" }, w.ctx)).credentials;
  assert.notEqual(a.accessKeyId, b.accessKeyId);
  assert.notEqual(a.secretAccessKey, b.secretAccessKey);
});
