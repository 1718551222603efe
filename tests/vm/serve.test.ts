// `hearth serve` as a user runs it: starts on loopback, answers, and shuts down cleanly on a signal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("hearth serve starts on loopback, reports the pool, and exits 0 on SIGTERM", async () => {
  const data = mkdtempSync(join(tmpdir(), "hearth-serve-"));
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
    const pool = (await (await fetch(`${url}v1/pool`)).json()) as { vms: unknown[] };
    assert.deepEqual(pool.vms, []);
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, err);
  assert.match(err, /SIGTERM, shutting down/);
});
