// Commands that run on this machine rather than ask a running Hearth: the image, the doctor, VMs, serve and start.
// Their modules load only when one of them runs, so commands that only talk HTTP start quickly.
import { constants } from "node:fs";
import { access, rename, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Option, type Command } from "commander";
import type { Host } from "../host.ts";
import { dataDir } from "../paths.ts";
import { usageError } from "./exit-codes.ts";
import { json, jsonLine, note, out } from "./output.ts";
import { parseShareAddress, readSharing } from "./share-commands.ts";

interface ServeOptions {
  host: string;
  port: string;
  share?: { host: string; port: number };
  /** Build (or confirm) the guest image before the pool starts, shown in the window as it goes. */
  buildImage?: boolean;
  /** Run the doctor's checks after the image, before the pool (what `hearth start` does). */
  checks?: boolean;
  /** Written (the port's URL) once invocations can run, for scripts that wait on a file. */
  readyFile?: string;
}

/** How long a start that failed keeps showing why in the window before the process ends. */
const FAILED_START_SHOWN_MS = 5_000;

/**
 * Runs the host and its port until a signal, then drains: the server stops, every VM is destroyed. The port opens
 * first, with the window and its startup status (image, checks, pool); the full API takes its socket over once
 * the host is up, so the port never refuses a connection in between.
 */
async function serve(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError("--port must be 0-65535");
  // Refused before anything is built or opened: a data directory others can read is said at once.
  const { openDataDir } = await import("../store/private-data-dir.ts");
  await openDataDir(dataDir());
  const readyFile = opts.readyFile ? resolve(opts.readyFile) : null;
  if (readyFile) {
    // Said now, not once the server is up and the file cannot be written.
    await access(dirname(readyFile), constants.W_OK).catch(() => {
      throw usageError(`--ready-file: ${dirname(readyFile)} is not a folder this user can write to`);
    });
    // One a run before this one left says nothing about this run: it goes before the port opens.
    await rm(readyFile, { force: true });
  }
  const { StartupProgress } = await import("../startup-progress.ts");
  const { ensureOwnerKey } = await import("../store/owner-key.ts");
  const progress = new StartupProgress();
  const say = (line: string): void => {
    note(line);
    progress.line(line);
  };
  // The window is served from renderer/out: (re)build it when its sources changed, but serve the API regardless.
  // Before the port opens, so that no half-written window is served.
  const { ensureUi } = await import("../../renderer/build.ts");
  await ensureUi(note).catch((err: Error) => note(`hearth: the window could not be built: ${err.message}`));
  const data = dataDir();
  const key = await ensureOwnerKey(data);
  // Only what the startup answers need is loaded before the port opens; the host and the full API after.
  const { openStartupPort } = await import("../http/startup-server.ts");
  const listener = await openStartupPort({ host: opts.host, port, progress });
  const actualPort = listener.port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${host}:${actualPort}`;
  note(`hearth: open the window at ${url}/#key=${key}`);
  const { startServer } = await import("../http/server.ts");
  let app: Host;
  try {
    const { Host } = await import("../host.ts");
    if (opts.buildImage) {
      progress.begin("image", "building the guest image");
      // In a process of its own, so that the port keeps answering the window while the build's tools run.
      const { buildImageInChild } = await import("../../vm-images/builder/build-in-child.ts");
      const { imageDir } = await import("../vm/image-manifest.ts");
      await buildImageInChild({
        outDir: imageDir(),
        log: say,
        onStep: (n, of, message) => progress.stepTo(n, of, message),
      });
    }
    if (opts.checks) {
      progress.begin("checks", "checking libvirt, acceleration and the image");
      const { formatDoctor, runDoctor } = await import("../doctor.ts");
      say(formatDoctor(await runDoctor()));
    }
    progress.begin("host", "starting the VM pool");
    app = await Host.start({ dataDir: data });
  } catch (err) {
    progress.fail(err);
    note(`hearth: could not start: ${(err as Error).message}`);
    // The window polls the status: let it show why before the port goes.
    await new Promise((r) => setTimeout(r, FAILED_START_SHOWN_MS));
    await listener.close();
    throw err;
  }
  app.startup = progress;
  // What goes wrong on the host's side is said where the server's output goes, once per cause in a while: the pool
  // keeps retrying, an API's callers keep calling, and a line per retry or call would bury everything else.
  const said = new Map<string, number>();
  const sayOnce = (cause: string, line: string, everyMs: number): void => {
    const last = said.get(cause);
    if (last !== undefined && Date.now() - last < everyMs) return;
    said.delete(cause);
    said.set(cause, Date.now());
    if (said.size > 500) said.delete(said.keys().next().value!);
    note(line);
  };
  // A VM problem (a start refused, a VM that died): once per cause every ten minutes.
  app.pool.on("problem", (p) => {
    const cause = `${p.profile ?? ""} ${p.message.replace(/\bhearth-[A-Za-z0-9_.-]+/g, "VM")}`;
    sayOnce(
      cause,
      `hearth: ${p.profile ? `VMs of profile ${p.profile}` : "VM pool"}: ${p.message}`,
      10 * 60_000,
    );
  });
  if (app.removedAtStart.length)
    say(`hearth: removed VMs left by an earlier run: ${app.removedAtStart.join(", ")}`);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      host: opts.host,
      port: actualPort,
      app,
      listener,
      ...(opts.share ? { share: opts.share } : {}),
      // An API's authorizer that fails: once a minute per cause, so that the next try after a fix is heard.
      problem: (cause, line) => sayOnce(cause, line, 60_000),
    });
  } catch (err) {
    // Without a port there is nothing to serve: the VMs go, and whatever half-started (a socket) must not keep
    // the process alive once the error is printed.
    await listener.close();
    await app.close();
    setTimeout(() => process.exit(), 1000).unref();
    throw err;
  }
  progress.ready();
  if (readyFile) await writeAtomically(readyFile, `${url}\n`);
  note(`hearth: serving on ${url}/ (${app.accel}); Ctrl+C to stop`);
  const sharing = opts.share ? await readSharing(app.dataDir) : null;
  if (sharing) note(`hearth: sharing on ${sharing.url} over TLS only (certificate ${sharing.fingerprint})`);
  note(`hearth: open the window at ${url}/#key=${key}`);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    note(`hearth: ${signal}, shutting down`);
    // Before the server stops taking invocations: a script that sees the file finds a server that answers.
    if (readyFile) await rm(readyFile, { force: true });
    await server.close();
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/** Written whole or not at all: a script polling for the file never reads half of it. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export function registerHostCommands(program: Command): void {
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
      const { buildImage } = await import("../../vm-images/builder/build-image.ts");
      await buildImage({ force: opts.force, layout: opts.layout, outDir: opts.out });
    });

  program
    .command("doctor")
    .description(
      "check libvirt, acceleration (by booting a guest) and the image; every failure says what to do",
    )
    .option("--json", "print the report as JSON")
    .option("--no-probe", "skip the acceleration probe (it boots two tiny guests)")
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ json?: boolean; probe: boolean }>();
      const { formatDoctor, runDoctor } = await import("../doctor.ts");
      const report = await runDoctor({ probe: opts.probe });
      out(opts.json ? json(report) : formatDoctor(report));
      if (!report.ok) process.exitCode = 1;
    });

  const vm = program.command("vm").description("Hearth's VMs on libvirt");
  vm.command("probe")
    .description(
      "boot and restore real VMs, then print {accel, bootMs, readyMs, restoreMs, pingRttUs, rssMiB}",
    )
    .option("--json", "print JSON only")
    .option("--runs <n>", "VMs to boot and to restore (medians are reported)", "1")
    .action(async (opts: { json?: boolean; runs: string }) => {
      const { loadManifest } = await import("../vm/image-manifest.ts");
      const { probeVms } = await import("../vm/vm-probe.ts");
      const manifest = loadManifest();
      if (!manifest) throw new Error('IMAGE_NOT_BUILT: build the guest image first with "npm run image"');
      const runs = Number(opts.runs);
      if (!Number.isInteger(runs) || runs < 1 || runs > 50)
        throw usageError("--runs must be an integer from 1 to 50");
      // The probe's VMs keep their console logs in the data directory.
      const { openDataDir } = await import("../store/private-data-dir.ts");
      await openDataDir(dataDir());
      const report = await probeVms({
        manifest,
        dataDir: dataDir(),
        runs,
        log: (m) => opts.json || note(m),
      });
      const { samples, ...summary } = report;
      out(opts.json ? json(report) : jsonLine(summary));
      if (!opts.json) note(`samples: ${jsonLine(samples)}`);
    });
  vm.command("ls")
    .description("list Hearth's VMs on libvirt: whose each is and which host made it")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const { defaultLibvirtUri, LibvirtDriver } = await import("../vm/libvirt-driver.ts");
      const { hostIdFor } = await import("../vm/pool.ts");
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
        if (opts.json) out(json({ uri: defaultLibvirtUri(), vms: rows }));
        else if (!rows.length) out(`no Hearth VMs on ${defaultLibvirtUri()}`);
        else
          for (const r of rows)
            out(
              `${r.name.padEnd(32)} ${r.profile.padEnd(16)} ${r.running ? "running" : "stopped"} ${r.createdAt}${r.thisHost ? "" : "  (another host)"}`,
            );
      } finally {
        await driver.close();
      }
    });

  program
    .command("serve")
    .description("run Hearth headless: the local HTTP port")
    .option(
      "--host <address>",
      "address to listen on; anything but loopback exposes Hearth to your network",
      "127.0.0.1",
    )
    .option(
      "--port <port>",
      "port to listen on (default: HEARTH_PORT, else 7878)",
      process.env.HEARTH_PORT ?? "7878",
    )
    .option(
      "--share <address[:port]>",
      "also share, over TLS only, with teammates on another machine (default port 7443)",
      parseShareAddress,
    )
    .option(
      "--build-image",
      "build the guest image first if it is missing or out of date (progress in the window)",
    )
    .option(
      "--ready-file <file>",
      "write the port's URL to this file once invocations can run (removed on shutdown); or use `hearth wait`",
    )
    .action(serve);

  program
    .command("start")
    .description(
      "build the guest image if needed, check the machine, then open the desktop app (or serve, in browser mode)",
    )
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option(
      "--port <port>",
      "port to listen on (default: HEARTH_PORT, else 7878)",
      process.env.HEARTH_PORT ?? "7878",
    )
    .option("--browser", "serve for a browser even where the desktop app could open")
    .action(async (opts: { host: string; port: string; browser?: boolean }) => {
      // Said before the image build and the checks, not minutes later by the desktop app's host.
      const { openDataDir } = await import("../store/private-data-dir.ts");
      await openDataDir(dataDir());
      const { buildImage } = await import("../../vm-images/builder/build-image.ts");
      const { formatDoctor, runDoctor } = await import("../doctor.ts");
      // Without an Electron binary or a display the same host and window are served to a browser instead.
      const { desktopCheck } = await import("../app/desktop-check.ts");
      const desktop = opts.browser
        ? { ok: false as const, reason: "asked for with --browser" }
        : desktopCheck();
      if (!desktop.ok) {
        note(`hearth: ${desktop.reason}; starting browser mode instead`);
        // Browser mode opens the port first: the window shows the image build and the checks as they go.
        await serve({ ...opts, buildImage: true, checks: true });
        return;
      }
      await buildImage();
      note(formatDoctor(await runDoctor()));
      const { launchDesktop } = await import("../app/desktop-launch.ts");
      process.exitCode = await launchDesktop(desktop.electron, { host: opts.host, port: opts.port, note });
    });
}
