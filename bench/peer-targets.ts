// The servers `npm run bench:peers` compares, each started in a process of its own and stopped with its process
// group: the floor (bench/floor-server.ts), serverless-offline (serverless v3 CLI in a generated service dir) and
// Hearth (bench/http-server.ts).
import { spawn, type ChildProcess } from "node:child_process";
import {
  copyFileSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { fixtureDir } from "../tests/helpers/fixtures.ts";
import type { Endpoint } from "./sdk-load.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LOGS = join(ROOT, "bench-results", "peers-logs");

export type TargetName = "floor" | "peer" | "hearth";
export type PeerMode = "worker-threads" | "in-process";

export interface Started extends Endpoint {
  /** What exactly ran, for the table. */
  label: string;
  accel?: string;
  /** Waits until the target has finished growing after the warm-up (Hearth: no VM booting). */
  settle?: () => Promise<void>;
  stop: () => Promise<void>;
}

const DUMMY = { accessKeyId: "BENCHBENCHBENCH", secretAccessKey: "bench-secret-ignored-by-this-server" };
const live = new Set<ChildProcess>();

export function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** A child in its own process group, its output teed to bench-results/peers-logs/<name>.log and kept in a tail. */
function launch(
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  graceMs = 10_000,
) {
  mkdirSync(LOGS, { recursive: true });
  const log = createWriteStream(join(LOGS, `${name}.log`));
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  const tail: string[] = [];
  const keep = (line: string): void => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 30) tail.shift();
  };
  const stdout = createInterface({ input: child.stdout! });
  createInterface({ input: child.stderr! }).on("line", keep);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  void exited.then(() => {
    live.delete(child);
    log.end();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, "SIGTERM");
    const t = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(t);
    signalGroup(child, "SIGKILL"); // anything the leader left behind in its group
  };
  const why = (what: string): Error =>
    new Error(`${name}: ${what}; last output (bench-results/peers-logs/${name}.log):\n${tail.join("\n")}`);
  return { child, stdout, keep, exited, stop, why };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Ends every server this process started (a watchdog or a signal calls it). */
export function killAll(): void {
  for (const c of live) signalGroup(c, "SIGKILL");
}

/** The first stdout line that parses as a JSON object, within `ms`. */
async function firstJson<T>(l: ReturnType<typeof launch>, ms: number): Promise<T> {
  return new Promise<T>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(l.why(`printed nothing within ${ms / 1000} s`)), ms);
    l.stdout.on("line", (line) => {
      l.keep(line.replace(/("secretAccessKey":")[^"]*/, "$1(redacted)"));
      if (!line.startsWith("{")) return;
      clearTimeout(timer);
      try {
        resolveLine(JSON.parse(line) as T);
      } catch (e) {
        reject(l.why(`printed bad JSON: ${String(e)}`));
      }
    });
    void l.exited.then((code) => {
      clearTimeout(timer);
      reject(l.why(`exited with ${code} before it was ready`));
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      r(true);
    });
    socket.once("error", () => r(false));
  });
}

const tsx = (script: string): string[] => ["--import", "tsx", join(ROOT, script)];

export async function startFloor(): Promise<Started> {
  const l = launch("floor", process.execPath, tsx("bench/floor-server.ts"), ROOT, process.env);
  try {
    const { url } = await firstJson<{ url: string }>(l, 30_000);
    return {
      label: `floor (node:http ${process.version}, handler in-process)`,
      url,
      functionName: "echo",
      credentials: DUMMY,
      stop: l.stop,
    };
  } catch (e) {
    await l.stop();
    throw e;
  }
}

/**
 * serverless-offline as a developer runs it: `serverless offline start` in a service dir holding serverless.yml
 * and the handler. No Docker; worker-threads is serverless-offline's default mode for Node handlers.
 */
export async function startPeer(mode: PeerMode): Promise<Started> {
  const service = "hearth-peers";
  const stage = "bench";
  const handlerFile = join(fixtureDir("echo-node"), "index.mjs");
  const [lambdaPort, httpPort, websocketPort] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-sls-"));
  const yml = [
    `service: ${service}`,
    `frameworkVersion: "3"`,
    `provider:`,
    `  name: aws`,
    `  runtime: nodejs20.x`,
    `  stage: ${stage}`,
    `  region: us-east-1`,
    `  memorySize: 128`,
    `  timeout: 5`,
    `functions:`,
    `  echo:`,
    `    handler: index.handler`,
    `plugins:`,
    `  - serverless-offline`,
    ``,
  ].join("\n");
  try {
    copyFileSync(handlerFile, join(dir, "index.mjs"));
    // The plugin is resolved from the service dir, as in a developer's project: give it the repository's modules.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    writeFileSync(join(dir, "serverless.yml"), yml);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const args = [
    join(ROOT, "node_modules", "serverless", "bin", "serverless.js"),
    "offline",
    "start",
    "--noTimeout",
    "--host",
    "127.0.0.1",
    "--lambdaPort",
    String(lambdaPort),
    "--httpPort",
    String(httpPort),
    "--websocketPort",
    String(websocketPort),
    ...(mode === "in-process" ? ["--useInProcess"] : []),
  ];
  const env = {
    ...process.env,
    SLS_TELEMETRY_DISABLED: "1",
    SLS_TRACKING_DISABLED: "1",
    SLS_NOTIFICATIONS_MODE: "off",
    SLS_DEPRECATION_DISABLE: "*",
    SLS_INTERACTIVE_SETUP_DISABLE: "1",
  };
  const l = launch("serverless-offline", process.execPath, args, dir, env);
  l.stdout.on("line", l.keep);
  const cleanup = async (): Promise<void> => {
    await l.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    for (;;) {
      if (l.child.exitCode !== null || l.child.signalCode !== null) {
        throw l.why(`exited with ${l.child.exitCode ?? l.child.signalCode} before its port opened`);
      }
      if (await portOpen(lambdaPort)) break;
      if (Date.now() - started > 90_000) throw l.why(`port ${lambdaPort} not open after 90 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      label:
        `serverless-offline ${packageVersion("serverless-offline")} ` +
        `(serverless ${packageVersion("serverless")}, ${mode})`,
      url: `http://127.0.0.1:${lambdaPort}`,
      functionName: `${service}-${stage}-echo`,
      credentials: DUMMY,
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function startHearth(): Promise<Started> {
  // A minute to stop: Hearth destroys its VMs on SIGTERM, which a SIGKILL would leave behind.
  const l = launch("hearth", process.execPath, tsx("bench/http-server.ts"), ROOT, process.env, 60_000);
  try {
    const s = await firstJson<{ url: string; accessKeyId: string; secretAccessKey: string; accel: string }>(
      l,
      300_000,
    );
    const basic = `Basic ${Buffer.from(`${s.accessKeyId}:${s.secretAccessKey}`).toString("base64")}`;
    return {
      label: `hearth (${s.accel})`,
      url: s.url,
      functionName: "echo",
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      accel: s.accel,
      settle: () => settled(s.url, basic),
      stop: l.stop,
    };
  } catch (e) {
    await l.stop();
    throw e;
  }
}

/** Waits until the profile's VMs have all been ready (none booting) for three seconds in a row, two minutes at most. */
async function settled(url: string, authorization: string): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 240 && quiet < 6; i++) {
    const res = await fetch(`${url}/v1/pool`, { headers: { authorization } });
    if (!res.ok) throw new Error(`GET /v1/pool answered ${res.status}: ${await res.text()}`);
    const pool = (await res.json()) as { vms: { state: string }[] };
    quiet = pool.vms.some((v) => v.state === "booting") ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 500));
  }
}
