// Running the `hearth` command in VM tests as a user does: an environment that names only a temporary data
// directory, a command run to its end or followed while it runs, and a `hearth serve` waited for until it serves.
import { spawn, type ChildProcess } from "node:child_process";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<Run>;
  stdout(): string;
  stderr(): string;
}

/** Only the data directory says where Hearth is and who we are: nothing from the caller's environment. */
export function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HEARTH_DATA: dataDir,
    HEARTH_URL: "",
    HEARTH_TOKEN: "",
    HEARTH_PROFILE: "",
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
  };
}

/** Starts `hearth ARGS`; its output is gathered as it comes. `input` (if any) goes on stdin. */
export function startHearth(env: NodeJS.ProcessEnv, args: string[], input?: string): Running {
  const child = spawn(process.execPath, ["bin/hearth.mjs", ...args], {
    env,
    stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  if (input !== undefined) child.stdin!.end(input);
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Runs `hearth ARGS` to its end. */
export function hearth(env: NodeJS.ProcessEnv, args: string[], input?: string): Promise<Run> {
  return startHearth(env, args, input).done;
}

/** Starts `hearth serve --port 0` and waits until it says where it serves (a first start may build and boot). */
export async function serveHearth(env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Running> {
  const server = startHearth(env, ["serve", "--port", "0"]);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`no "serving" line within ${timeoutMs / 1000} s: ${server.stderr()}`)),
      timeoutMs,
    );
    const look = (): void => {
      if (/serving on http:\/\/127\.0\.0\.1:\d+\//.test(server.stderr())) {
        clearTimeout(t);
        server.child.stderr!.off("data", look);
        resolve();
      }
    };
    server.child.stderr!.on("data", look);
  });
  return server;
}

/** Stops a `hearth serve` (SIGTERM: it drains, then stops its VMs) and waits for it to exit. */
export async function stopHearth(server: Running | null): Promise<void> {
  if (!server || server.child.exitCode !== null) return;
  server.child.kill("SIGTERM");
  await server.done;
}
