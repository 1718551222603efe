// Starts a real `hearth serve` on a free port with a fresh data directory, with two profiles, for the UI tests.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HearthClient } from "../../main/client/http-client.ts";
import { readOwnerKey } from "../../main/store/owner-key.ts";
import { ensureUi } from "../../renderer/build.ts";
import { PROFILES, UI_ENV } from "./hearth-env.ts";

const REPO = resolve(import.meta.dirname, "..", "..");

export default async function globalSetup(): Promise<() => Promise<void>> {
  await ensureUi((line) => process.stderr.write(`${line}\n`));
  const data = mkdtempSync(join(tmpdir(), "hearth-ui-"));
  // Sharing on, on a second loopback address: the sharing spec imports a share link as another profile's remote alias.
  const serve = ["bin/hearth.mjs", "serve", "--port", "0", "--share", "127.0.0.2:0"];
  const child = spawn(process.execPath, serve, {
    cwd: REPO,
    env: {
      ...process.env,
      HEARTH_DATA: data,
      // Room for every profile of the window's tests and their spares: the window shows the pool, the host-wide
      // budget has tests of its own (tests/vm/host-budget.test.ts).
      HEARTH_MAX_VMS: "8",
      // The Pool's history samples every 2 s here (10 s by default), so its charts fill within a test.
      HEARTH_POOL_SAMPLE_SECONDS: "2",
      HEARTH_URL: "",
      HEARTH_TOKEN: "",
      HEARTH_PROFILE: "",
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const teardown = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      // Shutting down destroys the VMs; give it time, then insist.
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(data, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`hearth serve printed no "serving" line in 120 s:\n${stderr}`)),
        120_000,
      );
      child.stderr!.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (process.env.HEARTH_UI_VERBOSE) process.stderr.write(c);
        // The link to open comes right after the address: wait for both.
        const m = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr);
        if (m && /open the window at \S+\n/.test(stderr)) {
          clearTimeout(timer);
          res(m[1]!);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`hearth serve exited ${code}:\n${stderr}`));
      });
    });
    const key = await readOwnerKey(data);
    if (!key) throw new Error(`no owner key in ${data}`);
    const owner = new HearthClient(url, { kind: "owner", key });
    for (const name of PROFILES) await owner.call("createProfile", { name });
    // What a user copies from the terminal: the address with the owner key in its fragment.
    const link = /open the window at (\S+)/.exec(stderr)![1]!;
    if (link !== `${url}#key=${key}`)
      throw new Error(`hearth serve printed ${link}, not ${url}#key=<owner key>`);
    process.env[UI_ENV.url] = url;
    process.env[UI_ENV.link] = link;
    process.env[UI_ENV.key] = key;
    process.env[UI_ENV.data] = data;
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
