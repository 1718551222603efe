// GET /v1/doctor: its last report for whoever reaches the port; a fresh probe (which boots QEMU) only for the
// owner, never two at once, and not again within the cooldown.
import { test } from "node:test";
import assert from "node:assert/strict";
import Fastify from "fastify";
import type { DoctorReport } from "../../../../main/doctor.ts";
import { DoctorProbe, registerDoctor } from "../../../../main/http/doctor-route.ts";
import { AuthFailures } from "../../../../main/http/native/auth-failures.ts";
import { NativeAuth } from "../../../../main/http/native/native-auth.ts";
import { codeOf, servedPort } from "./served-port.ts";

/** A probe that takes until it is let go, counting its runs. */
function fakeProbe() {
  let runs = 0;
  let release: () => void = () => {};
  const run = () =>
    new Promise<DoctorReport>((resolve) => {
      runs++;
      const n = runs;
      release = () => resolve({ ok: true, run: n } as unknown as DoctorReport);
    });
  return { run, runs: () => runs, release: () => release() };
}

test("the probe runs once for readers, joins a run under way, and waits out the cooldown", async () => {
  let now = 1_000_000;
  const f = fakeProbe();
  const probe = new DoctorProbe(f.run, 60_000, () => now);
  const first = probe.report();
  const again = probe.report();
  const joined = probe.refresh();
  assert.equal(f.runs(), 1);
  f.release();
  assert.deepEqual(await first, { ok: true, run: 1 });
  assert.equal(await again, await first);
  assert.equal(await joined, await first);
  now += 59_000;
  await assert.rejects(probe.refresh(), (err: Error & { code?: string; retryAfterS?: number }) => {
    assert.equal(err.code, "TOO_MANY_REQUESTS");
    assert.equal(err.retryAfterS, 1);
    return true;
  });
  assert.equal(f.runs(), 1);
  assert.deepEqual(await probe.report(), { ok: true, run: 1 });
  now += 1_000;
  const fresh = probe.refresh();
  assert.equal(f.runs(), 2);
  f.release();
  assert.deepEqual(await fresh, { ok: true, run: 2 });
});

test("only the owner key refreshes: others are refused before any probe starts", async (t) => {
  const f = fakeProbe();
  const key = `hok_${"k".repeat(43)}`;
  const server = Fastify();
  registerDoctor(server, {
    probe: new DoctorProbe(f.run, 60_000),
    auth: new NativeAuth(key, new AuthFailures()),
    state: () => ({ profiles: [], tokens: [], aliases: [], tasks: [] }) as never,
  });
  t.after(() => server.close());
  const bare = await server.inject({ url: "/v1/doctor?refresh=1" });
  assert.equal(bare.statusCode, 401);
  const wrong = await server.inject({
    url: "/v1/doctor?refresh=1",
    headers: { authorization: `Bearer hok_${"w".repeat(43)}` },
  });
  assert.equal(wrong.statusCode, 401);
  assert.equal(f.runs(), 0);
  const owner = server.inject({ url: "/v1/doctor?refresh=1", headers: { authorization: `Bearer ${key}` } });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(f.runs(), 1);
  f.release();
  assert.equal((await owner).statusCode, 200);
  // Within the cooldown: 429 with Retry-After, and no probe.
  const soon = await server.inject({
    url: "/v1/doctor?refresh=1",
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(soon.statusCode, 429);
  assert.ok(Number(soon.headers["retry-after"]) > 0);
  assert.equal(JSON.parse(soon.body).error.code, "TOO_MANY_REQUESTS");
  // Readers get the last report.
  const read = await server.inject({ url: "/v1/doctor" });
  assert.equal(read.statusCode, 200);
  assert.deepEqual(JSON.parse(read.body), { ok: true, run: 1 });
  assert.equal(f.runs(), 1);
});

test("on the real port, a refresh without the owner key starts nothing", async (t) => {
  const p = await servedPort(t);
  const bare = await p.send({ path: "/v1/doctor?refresh=1" });
  assert.equal(bare.status, 401);
  assert.equal(codeOf(bare), "UNAUTHENTICATED");
  const profile = await p.send({ path: "/v1/doctor?refresh=1", headers: { authorization: p.basic } });
  assert.equal(profile.status, 403);
  assert.equal(codeOf(profile), "FORBIDDEN");
  const token = await p.send({
    path: "/v1/doctor?refresh=1",
    headers: { authorization: `Bearer ${p.aliasToken}` },
  });
  assert.equal(token.status, 403);
  // From a page, not even the owner's key would get through (an <img> sends none anyway).
  const page = await p.send({
    path: "/v1/doctor?refresh=1",
    headers: { authorization: `Bearer ${p.ownerKey}`, "sec-fetch-site": "cross-site" },
  });
  assert.equal(page.status, 403);
});
