// A libvirt reached over qemu+ssh:// drives VMs unchanged: here the "remote" machine is this one, through a real
// sshd on loopback, so every channel travels through an SSH forward of its unix socket.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseAccel } from "../../main/vm/accel-probe.ts";
import { bootFiles, loadManifest } from "../../main/vm/image-manifest.ts";
import { LibvirtDriver } from "../../main/vm/libvirt-driver.ts";
import { VmPool } from "../../main/vm/pool.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const manifest = loadManifest();
const SSHD = "/usr/sbin/sshd";
const why =
  process.getuid?.() !== 0
    ? "needs root to run sshd and reach qemu:///system over SSH"
    : !existsSync(SSHD)
      ? "needs openssh-server (scripts/setup-host.sh installs it)"
      : !manifest
        ? 'needs the guest image ("npm run image")'
        : null;

const dir = mkdtempSync(join(tmpdir(), "hearth-remote-"));
let sshd: ChildProcess | null = null;
let uri = "";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (why) return;
  for (const k of ["host", "id"])
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
  spawnSync("cp", [join(dir, "id.pub"), join(dir, "authorized_keys")]);
  const port = await freePort();
  writeFileSync(
    join(dir, "sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "StrictModes no",
      "UsePAM no",
      "AllowStreamLocalForwarding yes",
    ].join("\n") + "\n",
  );
  spawnSync("mkdir", ["-p", "/run/sshd"]);
  sshd = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: "ignore" });
  uri = `qemu+ssh://root@127.0.0.1:${port}/system?keyfile=${join(dir, "id")}&no_verify=1`;
  for (let i = 0; i < 50; i++) {
    if (spawnSync("virsh", ["-c", uri, "version"]).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  sshd?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test(
  "a pool on qemu+ssh:// boots VMs, reaches their agents and sandboxes through SSH, and removes them",
  { skip: why ?? false },
  async () => {
    const driver = new LibvirtDriver(uri, join(dir, "channels"));
    assert.equal(driver.local, false);
    const { accel } = await chooseAccel(bootFiles(manifest!));
    const pool = new VmPool({
      driver,
      manifest: manifest!,
      accel,
      dataDir: join(dir, "data"),
      warm: 1,
      maxPerProfile: 1,
    });
    let name: string | undefined;
    try {
      await pool.start();
      const vm = await pool.acquire("remote");
      name = vm.name;
      assert.equal(vm.origin, "boot", "a remote libvirt boots: save images are local files");
      const pings: number[] = [];
      for (let i = 0; i < 20; i++) pings.push((await vm.session!.ping()).rttUs);
      const rttUs = pings.sort((a, b) => a - b)[10]!;
      assert.ok(rttUs > 0);
      const { zip, sha256 } = await zipFolder(fixtureDir("echo-node"));
      await vm.session!.load(
        1,
        {
          runtime: "nodejs",
          handler: "index.handler",
          functionName: "echo",
          functionVersion: "1",
          memoryMb: 128,
          timeoutMs: 5000,
          env: {},
        },
        zip,
        sha256,
      );
      await vm.session!.invoke(1, "{}");
      const r = await vm.session!.invoke(1, '{"over":"ssh"}');
      assert.deepEqual(JSON.parse(r.payload!), { echo: { over: "ssh" }, version: "1" });
      console.log(
        `# over ssh: ping median ${(rttUs / 1000).toFixed(2)} ms (n=20), warm invoke round trip ${r.roundTripMs.toFixed(2)} ms`,
      );
    } finally {
      await pool.close();
      await driver.close();
    }
    const local = new LibvirtDriver("qemu:///system");
    const left = (await local.list()).map((d) => d.name);
    await local.close();
    assert.ok(name && !left.includes(name), `${name} is still defined`);
  },
);
