// The `hearth` command line: image building, the doctor, and (later) serving and managing the host.
import { Command, Option } from "commander";
import { buildImage } from "../vm-images/builder/build-image.ts";
import { formatDoctor, runDoctor } from "./doctor.ts";
import { startServer } from "./http/server.ts";

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

const serve = (opts: { host: string; port: string }): Promise<void> =>
  startServer({ host: opts.host, port: Number(opts.port) }).then(() => {
    process.stderr.write(`hearth: serving on http://${opts.host}:${opts.port}/ (Ctrl+C to stop)\n`);
  });

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
