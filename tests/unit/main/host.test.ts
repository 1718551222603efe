// What the host owns beyond its VMs: the connections to teammates' shared listeners and the registry of its own
// shared listener. Two hosts on a fake driver: after each one's close, no kept socket and no listener is left.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Host } from "../../../main/host.ts";
import { sharedInvocation } from "../../../main/http/native/shared-invoke.ts";
import { startSharedListener } from "../../../main/http/shared-listener.ts";
import { callRemoteApi } from "../../../main/remote/remote-api-call.ts";
import type { ImageManifest } from "../../../main/vm/image-manifest.ts";
import { FakeDriver } from "../../helpers/fake-driver.ts";

/** A manifest whose files are never read: no profile means no VM is booted, and the acceleration is forced. */
const manifest: ImageManifest = {
  schema: 1,
  inputsKey: "f".repeat(64),
  builtAt: "2026-11-23T00:00:00.000Z",
  layout: "rootfs",
  cmdline: "console=ttyS0",
  sandboxSlots: 2,
  kernel: { pkg: "linux-image-fake", version: "1", release: "fake", modules: [] },
  versions: { node: "v20", python: "3.11", busybox: "1.35" },
  files: {
    vmlinuz: { path: "vmlinuz", size: 1, sha256: "0" },
    "initrd.img": { path: "initrd.img", size: 1, sha256: "0" },
    "root.squashfs": { path: "root.squashfs", size: 1, sha256: "0" },
  },
};

async function startHost(t: TestContext, prefix: string): Promise<Host> {
  const imageDir = mkdtempSync(join(tmpdir(), "hearth-host-image-"));
  writeFileSync(join(imageDir, "manifest.json"), JSON.stringify(manifest));
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const host = await Host.start({ dataDir, imageDir, driver: new FakeDriver(), warm: 0 });
  t.after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(imageDir, { recursive: true, force: true });
  });
  return host;
}

/** Whether anything accepts a TCP connection at `url`'s host and port. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("closing a host closes its kept connections to other machines and its shared listener", async (t) => {
  const previousAccel = process.env.HEARTH_ACCEL;
  process.env.HEARTH_ACCEL = "tcg";
  t.after(() => {
    if (previousAccel === undefined) delete process.env.HEARTH_ACCEL;
    else process.env.HEARTH_ACCEL = previousAccel;
  });
  const owner = await startHost(t, "hearth-host-owner-");
  const mate = await startHost(t, "hearth-host-mate-");
  assert.equal(owner.sharing.current(), null, "sharing is off until a listener starts");

  const listener = await startSharedListener({
    app: owner,
    host: "127.0.0.1",
    port: 0,
    invoke: sharedInvocation(owner),
  });
  assert.deepEqual(
    { url: owner.sharing.current()?.url, fingerprint: owner.sharing.current()?.fingerprint },
    { url: listener.url, fingerprint: listener.fingerprint },
  );
  assert.equal(mate.sharing.current(), null, "one host's sharing is not another's");

  // The teammate's host calls the owner's listener: the answer (no such route) leaves a kept, verified socket.
  const answer = await callRemoteApi(
    mate.remoteConnections,
    { endpoint: listener.url, fingerprint: listener.fingerprint, token: `hth_${"A".repeat(43)}` },
    { method: "GET", path: "/nothing-here", headers: {} },
  );
  assert.equal(answer.status, 404);
  assert.equal(mate.remoteConnections.openSockets, 1);
  const served = (): Promise<number> =>
    new Promise((resolve, reject) =>
      listener.server.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  assert.equal(await served(), 1);

  await mate.close(0);
  assert.equal(mate.remoteConnections.openSockets, 0, "no socket of the teammate's host is left");
  await until("the owner's listener to see the connection go", async () => (await served()) === 0);

  // The owner's host closes with its listener still up (nobody closed the port first): the host closes it.
  await owner.close(0);
  assert.equal(owner.sharing.current(), null);
  assert.equal(listener.server.server.listening, false);
  assert.equal(await accepts(listener.url), false, "nothing listens where sharing was");
  // Whoever closes the listener second (the local port going down) finds it closed.
  await listener.close();
});
