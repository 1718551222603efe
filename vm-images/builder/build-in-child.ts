// The image build in a process of its own, for a host that serves the window while the image builds: the build
// runs its tools (apt, gcc, cpio, mksquashfs) synchronously, and in the host's own process that would leave the
// port unanswered for seconds at a time, so the window would see no step at all.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseStepLine, REPO_DIR } from "./build-image.ts";

export interface ChildBuildOptions {
  outDir: string;
  log: (line: string) => void;
  onStep: (n: number, of: number, message: string) => void;
  /** The command to run; `hearth image build --out <dir>` of this checkout unless a test gives another. */
  command?: { file: string; args: string[] };
}

/** Runs the build and resolves once the image is current; rejects with the build's own last words. */
export async function buildImageInChild(opts: ChildBuildOptions): Promise<void> {
  const command = opts.command ?? {
    file: process.execPath,
    args: [join(REPO_DIR, "bin", "hearth.mjs"), "image", "build", "--out", opts.outDir],
  };
  const child = spawn(command.file, command.args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: process.env,
  });
  // A host stopped while it builds takes its build with it.
  const stop = (): void => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.once("exit", stop);
  const lines: string[] = [];
  const read = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve) => {
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on("line", (line) => {
        if (!line.trim()) return;
        lines.push(line);
        if (lines.length > 20) lines.shift();
        const step = parseStepLine(line);
        if (step) opts.onStep(step.n, step.of, step.message);
        opts.log(line);
      });
      rl.on("close", resolve);
    });
  const output = Promise.all([read(child.stdout!), read(child.stderr!)]);
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code, signal) => resolve({ code, signal }));
      },
    );
    await output;
    if (exit.code === 0) return;
    const last = lines.at(-1)?.replace(/^hearth: /, "");
    const how = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
    throw new Error(last ? `the image build ${how}: ${last}` : `the image build ${how}`);
  } finally {
    process.removeListener("exit", stop);
  }
}
