// Where the CLI finds Hearth and which credentials it sends, resolved against a temporary data directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProfileView } from "../../../../main/contract.ts";
import {
  connect,
  Connection,
  DEFAULT_URL,
  isAnswerTimeout,
  isConnectionFailure,
  resolveCredentials,
  resolveUrl,
  SERVE_FILE,
  type ProfileLister,
} from "../../../../main/cli/connection.ts";
import { CliError, EXIT } from "../../../../main/cli/exit-codes.ts";
import { SERVE_FILE as SERVER_SERVE_FILE } from "../../../../main/http/server.ts";
import { ensureOwnerKey } from "../../../../main/store/owner-key.ts";
import { tempDir } from "../store/temp-dir.ts";

const profile = (name: string): ProfileView => ({
  id: `prf_${name}`,
  name,
  accountId: "123456789012",
  createdAt: "2025-01-01T00:00:00.000Z",
  accessKeyIds: [],
});
const lister =
  (...names: string[]): ProfileLister =>
  async () =>
    names.map(profile);
const noLister: ProfileLister = async () => assert.fail("profiles should not be listed");

test("the CLI reads the file the server writes", () => {
  assert.equal(SERVE_FILE, SERVER_SERVE_FILE);
});

test("the URL: --url, else HEARTH_URL, else serve.json, else the default port", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  assert.deepEqual(await resolveUrl({}, {}, dir), { url: DEFAULT_URL, source: "default" });
  writeFileSync(join(dir, SERVE_FILE), JSON.stringify({ url: "http://127.0.0.1:40123", pid: 1 }));
  assert.deepEqual(await resolveUrl({}, {}, dir), { url: "http://127.0.0.1:40123", source: "serve.json" });
  assert.deepEqual(await resolveUrl({}, { HEARTH_URL: "http://10.0.0.2:7878/" }, dir), {
    url: "http://10.0.0.2:7878",
    source: "HEARTH_URL",
  });
  assert.deepEqual(await resolveUrl({ url: "http://localhost:9" }, { HEARTH_URL: "http://x:1" }, dir), {
    url: "http://localhost:9",
    source: "--url",
  });
  await assert.rejects(resolveUrl({ url: "localhost:7878x" }, {}, dir), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, EXIT.usage);
    return true;
  });
  await assert.rejects(resolveUrl({ url: "ftp://x" }, {}, dir), /http/);
});

test("a damaged serve.json is ignored", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  writeFileSync(join(dir, SERVE_FILE), "{not json");
  assert.equal((await resolveUrl({}, {}, dir)).source, "default");
  writeFileSync(join(dir, SERVE_FILE), JSON.stringify({ url: "file:///etc/passwd" }));
  assert.equal((await resolveUrl({}, {}, dir)).source, "default");
});

test("a token wins over everything, then an access key from the environment", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  await ensureOwnerKey(dir);
  const aws = { AWS_ACCESS_KEY_ID: "HKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s3cret" };
  assert.deepEqual(
    await resolveCredentials({ token: "hth_a" }, { ...aws, HEARTH_TOKEN: "hth_b" }, dir, "profile", noLister),
    {
      kind: "token",
      token: "hth_a",
    },
  );
  assert.deepEqual(
    await resolveCredentials({}, { ...aws, HEARTH_TOKEN: "hth_b" }, dir, "profile", noLister),
    {
      kind: "token",
      token: "hth_b",
    },
  );
  assert.deepEqual(await resolveCredentials({}, aws, dir, "profile", noLister), {
    kind: "access-key",
    accessKeyId: "HKIAEXAMPLE",
    secretAccessKey: "s3cret",
  });
  // Naming a profile means the owner key acting as it, even with an access key in the environment.
  const key = await ensureOwnerKey(dir);
  assert.deepEqual(await resolveCredentials({ profile: "bob" }, aws, dir, "profile", noLister), {
    kind: "owner",
    key,
    profile: "bob",
  });
  // Only half an access key is no access key.
  assert.deepEqual(
    await resolveCredentials(
      {},
      { AWS_ACCESS_KEY_ID: "HKIAEXAMPLE", HEARTH_PROFILE: "carol" },
      dir,
      "profile",
      noLister,
    ),
    { kind: "owner", key, profile: "carol" },
  );
});

test("the owner key acts as the only profile, or asks which one when there are several", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  const key = await ensureOwnerKey(dir);
  assert.deepEqual(await resolveCredentials({}, {}, dir, "profile", lister("alice")), {
    kind: "owner",
    key,
    profile: "alice",
  });
  await assert.rejects(resolveCredentials({}, {}, dir, "profile", lister("alice", "bob")), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, EXIT.usage);
    assert.match(e.message, /name the profile with --profile or HEARTH_PROFILE \(profiles: alice, bob\)/);
    return true;
  });
  await assert.rejects(resolveCredentials({}, {}, dir, "profile", lister()), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.code, "PROFILE_NOT_FOUND");
    assert.match(e.options.hint ?? "", /hearth profile create/);
    return true;
  });
  // Listing and the pool span every profile with the owner key: no profile is picked.
  assert.deepEqual(await resolveCredentials({}, {}, dir, "any", noLister), { kind: "owner", key });
  // Owner operations use the owner key whatever else is around.
  assert.deepEqual(
    await resolveCredentials(
      { token: "hth_x", profile: "a" },
      { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" },
      dir,
      "owner",
      noLister,
    ),
    { kind: "owner", key },
  );
});

test("without an owner key the error says where it was looked for and what else works", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  for (const need of ["owner", "profile"] as const) {
    await assert.rejects(resolveCredentials({}, {}, dir, need, noLister), (e: unknown) => {
      assert.ok(e instanceof CliError);
      assert.equal(e.code, "NO_CREDENTIALS");
      assert.ok(e.message.includes(join(dir, "owner.key")));
      assert.match(e.options.hint ?? "", /HEARTH_DATA/);
      return true;
    });
  }
});

test("a refused connection is HEARTH_UNREACHABLE, exit 4, naming the URL and how to start Hearth", async (t) => {
  const dir = tempDir(t, "hearth-cli-");
  // No owner key and nothing listening: the missing server is reported, not the missing key.
  await assert.rejects(connect({ url: "http://127.0.0.1:1" }, "profile", {}, dir), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.exitCode, EXIT.unreachable);
    assert.equal(
      e.detail,
      "no Hearth is running at http://127.0.0.1:1: start it with `hearth serve` (or npm start)",
    );
    return true;
  });
  await ensureOwnerKey(dir);
  writeFileSync(join(dir, SERVE_FILE), JSON.stringify({ url: "http://127.0.0.1:1" }));
  const conn = await connect({ profile: "alice" }, "profile", {}, dir);
  await assert.rejects(conn.call("listTasks", {}), (e: unknown) => {
    assert.ok(e instanceof CliError);
    assert.equal(e.code, "HEARTH_UNREACHABLE");
    assert.match(e.options.hint ?? "", /serve\.json, left by a Hearth that is no longer running/);
    return true;
  });
  assert.equal(
    await new Connection({ url: "http://127.0.0.1:1", source: "--url" }, null, dir).answers(),
    false,
  );
});

test("connection failures are told apart from other errors", () => {
  const refused = new TypeError("fetch failed", {
    cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
  });
  assert.equal(isConnectionFailure(refused), true);
  assert.equal(isConnectionFailure(new TypeError("fetch failed")), true);
  assert.equal(isConnectionFailure(new Error("TASK_NOT_FOUND: no task")), false);
  assert.equal(isConnectionFailure(new TypeError("x is not a function")), false);
  assert.equal(isConnectionFailure("ECONNREFUSED"), false);
  const silent = new TypeError("terminated", {
    cause: Object.assign(new Error("x"), { code: "UND_ERR_BODY_TIMEOUT" }),
  });
  assert.equal(isConnectionFailure(silent), false, "a server that is there but silent is not absent");
  assert.equal(isAnswerTimeout(silent), true);
  assert.equal(isAnswerTimeout(refused), false);
});
