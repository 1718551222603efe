// The server side of `npm run bench:http`: a Hearth host and its port in a process of its own, with a profile and
// echo-node imported; prints {url, accessKeyId, secretAccessKey, accel} on stdout once warm, runs until killed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProfile } from "../main/domain/access/profiles.ts";
import { Host } from "../main/host.ts";
import { startServer } from "../main/http/server.ts";
import { systemRandom } from "../main/store/system-random.ts";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import { importFolder } from "../tests/helpers/import-fixture.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-bench-http-"));
const host = await Host.start({ dataDir });
const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
const { profile, credentials } = await host.store.documents.update((s) =>
  createProfile(s, { name: "bench" }, ctx),
);
await importFolder(host.store, profile.id, fixtureDir("echo-node"));
const server = await startServer({ host: "127.0.0.1", port: 0, app: host });
const { port } = server.server.address() as { port: number };
const stop = async (): Promise<void> => {
  await server.close();
  await host.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.stdout.write(
  `${JSON.stringify({ url: `http://127.0.0.1:${port}`, ...credentials, accel: host.accel })}\n`,
);
