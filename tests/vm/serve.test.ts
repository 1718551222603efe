// `hearth serve` as a user runs it: starts on loopback, answers, and shuts down cleanly on a signal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOwnerKey } from "../../main/store/owner-key.ts";

test("hearth serve starts on loopback, reports the pool, and exits 0 on SIGTERM", async (t) => {
  const data = mkdtempSync(join(tmpdir(), "hearth-serve-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["bin/hearth.mjs", ...args], {
      // The CLI finds the server through the data directory's serve.json, not an address from the environment.
      env: { ...process.env, HEARTH_DATA: data, HEARTH_URL: "" },
      encoding: "utf8",
    });
  const created = cli("profile", "create", "alice", "--json");
  assert.equal(created.status, 0, created.stderr);
  const { credentials } = JSON.parse(created.stdout) as {
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  assert.match(credentials.accessKeyId, /^HKIA[A-Z0-9]{16}$/);
  assert.equal(cli("profile", "create", "alice").status, 1, "a second profile of the same name is refused");
  const child = spawn(process.execPath, ["bin/hearth.mjs", "serve", "--port", "0"], {
    env: { ...process.env, HEARTH_DATA: data },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "serving" line within 60 s: ${err}`)), 60_000);
      child.stderr.on("data", () => {
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    const health = (await (await fetch(`${url}v1/health`)).json()) as { ok: boolean; accel: string };
    assert.equal(health.ok, true);
    assert.match(health.accel, /^(kvm|tcg)$/);
    // The data directory belongs to the running host: the CLI asks it (found through serve.json) instead of
    // writing beside it.
    const viaServer = cli("profile", "create", "bob", "--json");
    assert.equal(viaServer.status, 0, viaServer.stderr);
    assert.equal((JSON.parse(viaServer.stdout) as { profile: { name: string } }).profile.name, "bob");
    // Alice's profile gets a warm VM at start; the pool spans profiles, so it takes the owner key.
    const ownerKey = await readOwnerKey(data);
    assert.ok(ownerKey, "the server wrote the owner key into the data directory");
    const unauthenticated = await fetch(`${url}v1/pool`);
    assert.equal(unauthenticated.status, 401);
    const pool = (await (
      await fetch(`${url}v1/pool`, { headers: { authorization: `Bearer ${ownerKey}` } })
    ).json()) as { vms: { profile: string }[] };
    assert.ok(pool.vms.length >= 1 && pool.vms.every((v) => v.profile.startsWith("prf_")));
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, err);
  assert.match(err, /SIGTERM, shutting down/);
  const listed = JSON.parse(cli("profile", "ls", "--json").stdout) as { name: string }[];
  assert.deepEqual(
    listed.map((p) => p.name),
    ["alice", "bob"],
  );
});
