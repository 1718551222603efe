// What a teammate's call through a shared alias costs over a local one: two Hearth hosts on this machine, the owner
// sharing on 127.0.0.2 over TLS, warm echo-node invoked 500 times each way, sequentially, through the native API.
// Run: npm run bench:remote [-- --invokes 500]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HearthClient } from "../main/client/http-client.ts";
import { formatShareLink } from "../main/domain/sharing/share-link.ts";
import { Host } from "../main/host.ts";
import { startServer } from "../main/http/server.ts";
import { sharedInvocation } from "../main/http/native/shared-invoke.ts";
import { startSharedListener } from "../main/http/shared-listener.ts";
import { OWNER_KEY_FILE } from "../main/store/owner-key.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { zipFolder } from "../tests/helpers/zip-folder.ts";

const { values } = parseArgs({ options: { invokes: { type: "string", default: "500" } } });
const invokes = Number(values.invokes);
const pct = (sorted: number[], p: number): number => sorted[Math.floor((p / 100) * (sorted.length - 1))]!;

const ownerDir = mkdtempSync(join(tmpdir(), "hearth-bench-owner-"));
const mateDir = mkdtempSync(join(tmpdir(), "hearth-bench-mate-"));
const owner = await Host.start({ dataDir: ownerDir });
// The teammate's Hearth runs no task code for a remote call: it needs no warm VM.
const mate = await Host.start({ dataDir: mateDir, warm: 0 });
try {
  const ownerPort = await startServer({ host: "127.0.0.1", port: 0, app: owner });
  const matePort = await startServer({ host: "127.0.0.1", port: 0, app: mate });
  const shared = await startSharedListener({
    app: owner,
    host: "127.0.0.2",
    port: 0,
    invoke: sharedInvocation(owner),
  });
  const urlOf = (s: typeof ownerPort) => `http://127.0.0.1:${(s.server.address() as { port: number }).port}`;
  const ownerKey = readFileSync(join(ownerDir, OWNER_KEY_FILE), "utf8").trim();
  const mateKey = readFileSync(join(mateDir, OWNER_KEY_FILE), "utf8").trim();
  await new HearthClient(urlOf(ownerPort), { kind: "owner", key: ownerKey }).call("createProfile", {
    name: "alice",
  });
  await new HearthClient(urlOf(matePort), { kind: "owner", key: mateKey }).call("createProfile", {
    name: "bob",
  });
  const alice = new HearthClient(urlOf(ownerPort), { kind: "owner", key: ownerKey, profile: "alice" });
  const bob = new HearthClient(urlOf(matePort), { kind: "owner", key: mateKey, profile: "bob" });
  const zip = (await zipFolder(fixtureDir("echo-node"))).zip.toString("base64");
  await alice.call("importTask", { zipBase64: zip, publish: true });
  const alias = await alice.call("createAlias", { task: "echo", name: "live", version: 1 });
  // Called from the teammate's side, through the shared listener: a token for other machines.
  const { secret } = await alice.call("mintToken", { aliasId: alias.id, label: "bench", remote: true });
  const link = formatShareLink({
    endpoint: shared.url,
    token: secret,
    fingerprint: shared.fingerprint,
    name: "echo-shared",
  });
  await bob.call("addRemote", { link });

  const payload = JSON.stringify({ hello: "world", n: 42 });
  const local = () => alice.call("invoke", { task: "echo", qualifier: "live", payload });
  const remote = () => bob.call("invoke", { task: "echo-shared", payload });
  const measure = async (call: () => Promise<{ ok: boolean }>) => {
    for (let i = 0; i < 50; i++) await call();
    const ms: number[] = [];
    let failed = 0;
    for (let i = 0; i < invokes; i++) {
      const t = performance.now();
      const r = await call();
      ms.push(performance.now() - t);
      if (!r.ok) failed++;
    }
    ms.sort((a, b) => a - b);
    return { n: ms.length, p50: pct(ms, 50), p90: pct(ms, 90), p99: pct(ms, 99), failed };
  };
  const localFigures = await measure(local);
  const remoteFigures = await measure(remote);
  await shared.close();
  await ownerPort.close();
  await matePort.close();

  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, accel: owner.accel };
  const report = { machine, local: localFigures, remote: remoteFigures };
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/remote.json", `${JSON.stringify(report, null, 2)}\n`);
  const row = (name: string, f: typeof localFigures) =>
    `| ${name} | ${f.n} | ${f.p50.toFixed(2)} | ${f.p90.toFixed(2)} | ${f.p99.toFixed(2)} | ${f.failed} |`;
  const table = [
    `Warm echo-node through an alias, ${invokes} sequential invocations each (${machine.cores} cores, ${machine.accel}):`,
    "",
    "| path | n | p50 ms | p90 ms | p99 ms | failed |",
    "|---|---:|---:|---:|---:|---:|",
    row("local: the owner's port, native API", localFigures),
    row("remote: the teammate's port → pinned TLS → the owner's shared listener", remoteFigures),
    "",
    `A remote call adds p50 ${(remoteFigures.p50 - localFigures.p50).toFixed(2)} ms, p99 ${(remoteFigures.p99 - localFigures.p99).toFixed(2)} ms.`,
    "",
  ].join("\n");
  writeFileSync("bench-results/remote.md", table);
  process.stdout.write(table);
} finally {
  await mate.close();
  await owner.close();
  rmSync(ownerDir, { recursive: true, force: true });
  rmSync(mateDir, { recursive: true, force: true });
}
