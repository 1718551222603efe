// The `hearth` command line: image building, the doctor, and (later) serving and managing the host.
import { Command, Option } from "commander";
import { buildImage } from "../vm-images/builder/build-image.ts";
import { formatDoctor, runDoctor } from "./doctor.ts";
import { startServer } from "./http/server.ts";
import { Host } from "./host.ts";
import { dataDir } from "./paths.ts";
import { createProfile } from "./domain/profiles.ts";
import { profileView } from "./domain/views.ts";
import { openHearthStore } from "./store/hearth-store.ts";
import { systemRandom } from "./store/system-random.ts";
import { loadManifest } from "./vm/image-manifest.ts";
import { defaultLibvirtUri, LibvirtDriver } from "./vm/libvirt-driver.ts";
import { hostIdFor } from "./vm/pool.ts";
import { probeVms } from "./vm/vm-probe.ts";

const program = new Command("hearth").description("Local function hosting on your own micro-VMs");

const image = program.command("image").description("the guest image every VM boots from");
image
  .command("build")
  .description("build (or confirm current) the kernel, initramfs and root image in vm-images/out/")
  .option("--force", "rebuild even when nothing changed")
  .addOption(
    new Option("--layout <layout>", "where the runtimes live")
      .choices(["rootfs", "initramfs"])
      .default("rootfs"),
  )
  .option("--out <dir>", "output folder (default vm-images/out)")
  .action(async (opts: { force?: boolean; layout: "rootfs" | "initramfs"; out?: string }) => {
    await buildImage({ force: opts.force, layout: opts.layout, outDir: opts.out });
  });

program
  .command("doctor")
  .description(
    "check libvirt, acceleration (by booting a guest) and the image; every failure says what to do",
  )
  .option("--json", "print the report as JSON")
  .option("--no-probe", "skip the acceleration probe (it boots two tiny guests)")
  .action(async (opts: { json?: boolean; probe: boolean }) => {
    const report = await runDoctor({ probe: opts.probe });
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
    if (!report.ok) process.exitCode = 1;
  });

const vm = program.command("vm").description("Hearth's VMs on libvirt");
vm.command("probe")
  .description("boot and restore real VMs, then print {accel, bootMs, readyMs, restoreMs, pingRttUs, rssMiB}")
  .option("--json", "print JSON only")
  .option("--runs <n>", "VMs to boot and to restore (medians are reported)", "1")
  .action(async (opts: { json?: boolean; runs: string }) => {
    const manifest = loadManifest();
    if (!manifest) throw new Error('IMAGE_NOT_BUILT: build the guest image first with "npm run image"');
    const runs = Number(opts.runs);
    if (!Number.isInteger(runs) || runs < 1 || runs > 50)
      throw new Error("INVALID_INPUT: --runs must be an integer from 1 to 50");
    const report = await probeVms({
      manifest,
      dataDir: dataDir(),
      runs,
      log: (m) => opts.json || process.stderr.write(`${m}\n`),
    });
    const { samples, ...summary } = report;
    process.stdout.write(`${JSON.stringify(opts.json ? report : summary, null, opts.json ? 2 : 0)}\n`);
    if (!opts.json) process.stderr.write(`samples: ${JSON.stringify(samples)}\n`);
  });
vm.command("ls")
  .description("list Hearth's VMs on libvirt: whose each is and which host made it")
  .option("--json", "print JSON")
  .action(async (opts: { json?: boolean }) => {
    const driver = new LibvirtDriver();
    try {
      const mine = hostIdFor(dataDir());
      const rows = (await driver.list())
        .filter((d) => d.metadata)
        .map((d) => ({
          name: d.name,
          profile: d.metadata!.profile,
          running: d.running,
          createdAt: d.metadata!.createdAt,
          thisHost: d.metadata!.host === mine,
        }));
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ uri: defaultLibvirtUri(), vms: rows }, null, 2)}\n`);
      else if (!rows.length) process.stdout.write(`no Hearth VMs on ${defaultLibvirtUri()}\n`);
      else
        for (const r of rows)
          process.stdout.write(
            `${r.name.padEnd(32)} ${r.profile.padEnd(16)} ${r.running ? "running" : "stopped"} ${r.createdAt}${r.thisHost ? "" : "  (another host)"}\n`,
          );
    } finally {
      await driver.close();
    }
  });

// Profiles are managed straight in the data directory for now, so only while no `hearth serve` holds it.
const profile = program.command("profile").description("local accounts: each has its own VMs and access key");
profile
  .command("create <name>")
  .description("create a profile; its access key and secret are shown once")
  .option("--json", "print JSON")
  .action(async (name: string, opts: { json?: boolean }) => {
    const store = await openHearthStore(dataDir());
    try {
      const ctx = { now: Date.now(), random: systemRandom, sealer: store.secrets };
      const r = await store.documents.update((s) => createProfile(s, { name }, ctx));
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        process.stdout.write(
          `profile ${r.profile.name} (account ${r.profile.accountId})\n` +
            `AWS_ACCESS_KEY_ID=${r.credentials.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${r.credentials.secretAccessKey}\n` +
            "The secret is shown this once; Hearth keeps only a hash and a sealed copy.\n",
        );
      }
    } finally {
      await store.close();
    }
  });
profile
  .command("ls")
  .description("list profiles")
  .option("--json", "print JSON")
  .action(async (opts: { json?: boolean }) => {
    const store = await openHearthStore(dataDir());
    try {
      const rows = store.documents.state.profiles.map(profileView);
      if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const p of rows) process.stdout.write(`${p.name.padEnd(24)} ${p.accountId}  ${p.id}\n`);
    } finally {
      await store.close();
    }
  });

/** Runs the host and its port until a signal, then drains: the server stops, every VM is destroyed. */
async function serve(opts: { host: string; port: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error("INVALID_INPUT: --port must be 0-65535");
  const app = await Host.start({ dataDir: dataDir() });
  if (app.removedAtStart.length)
    process.stderr.write(`hearth: removed VMs left by an earlier run: ${app.removedAtStart.join(", ")}\n`);
  const server = await startServer({ host: opts.host, port, app });
  const bound = server.server.address();
  const actualPort = typeof bound === "object" && bound ? bound.port : port;
  process.stderr.write(
    `hearth: serving on http://${opts.host}:${actualPort}/ (${app.accel}); Ctrl+C to stop\n`,
  );
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`hearth: ${signal}, shutting down\n`);
    await server.close();
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

program
  .command("serve")
  .description("run Hearth headless: the local HTTP port")
  .option(
    "--host <address>",
    "address to listen on; anything but loopback exposes Hearth to your network",
    "127.0.0.1",
  )
  .option("--port <port>", "port to listen on", "7878")
  .action(serve);

program
  .command("start")
  .description("build the guest image if needed, check the machine, then serve")
  .option("--host <address>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port to listen on", "7878")
  .action(async (opts: { host: string; port: string }) => {
    await buildImage();
    const report = await runDoctor();
    process.stderr.write(`${formatDoctor(report)}\n`);
    await serve(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`hearth: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
