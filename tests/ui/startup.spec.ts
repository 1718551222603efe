// The start as a user sees it: `hearth serve --build-image` with no guest image yet opens the port at once, and the
// window shows the image build step by step, then the pool starting, then the app, from one link.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import type { StartupStatus } from "../../main/contract.ts";
import { SHOTS } from "./page-steps.ts";

const REPO = resolve(import.meta.dirname, "..", "..");

let child: ChildProcess | null = null;
let stderr = "";
const dirs: string[] = [];

test.afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.on("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child!.kill("SIGKILL"), 90_000);
    await exited;
    clearTimeout(timer);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a first start builds the image while the window shows each step, then opens the app", async ({
  page,
}) => {
  const data = mkdtempSync(join(tmpdir(), "hearth-ui-start-"));
  // An empty image folder: the build runs all its steps here (the kernel comes from the shared download cache).
  const images = mkdtempSync(join(tmpdir(), "hearth-ui-image-"));
  dirs.push(data, images);
  child = spawn(process.execPath, ["bin/hearth.mjs", "serve", "--port", "0", "--build-image"], {
    cwd: REPO,
    env: { ...process.env, HEARTH_DATA: data, HEARTH_IMAGE_DIR: images },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
    if (process.env.HEARTH_UI_VERBOSE) process.stderr.write(c);
  });
  // The link is printed before the build starts: the port answers from the first second.
  await expect
    .poll(() => /open the window at (\S+)/.exec(stderr)?.[1] ?? null, { timeout: 60_000 })
    .not.toBeNull();
  const link = /open the window at (\S+)/.exec(stderr)![1]!;
  const base = new URL(link).origin;

  // While it starts, the API says so plainly instead of refusing the connection.
  const early = await fetch(`${base}/v1/tasks`);
  expect(early.status).toBe(503);
  assert503(await early.json(), early.headers.get("retry-after"));

  await page.goto(link);
  await expect(page.getByTestId("startup")).toBeVisible();
  // A step of the image build with its progress bar, and the build's own lines below it.
  await expect(page.getByTestId("startup-step")).toContainText(/step \d of 8/, { timeout: 60_000 });
  await expect(page.getByTestId("startup-lines")).toContainText("[");
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/18-startup-image-build.png`, fullPage: true });

  // The image done, the pool starting: the finished phase is listed with its time.
  await expect(page.getByTestId("startup-phases")).toContainText("building the guest image", {
    timeout: 120_000,
  });
  await page.screenshot({ path: `${SHOTS}/19-startup-pool.png`, fullPage: true });
  // The pool's phase boots no VM and can end between two of the window's looks: named while it runs, or over.
  await expect(
    page
      .getByTestId("startup-current")
      .filter({ hasText: "starting the VM pool" })
      .or(page.getByTestId("onboarding")),
  ).toBeVisible({ timeout: 120_000 });

  // Then the app itself, with no reload: a fresh data directory has no profile yet.
  await expect(page.getByTestId("onboarding")).toBeVisible({ timeout: 240_000 });
  const status = (await (await fetch(`${base}/v1/startup`)).json()) as StartupStatus;
  expect(status.phase).toBe("ready");
  expect(status.phases.map((p) => p.phase)).toEqual(["image", "host"]);
  for (const p of status.phases) expect(p.ms).toBeGreaterThan(0);
  expect(stderr).toMatch(/serving on http:\/\/127\.0\.0\.1:\d+\//);
  expect(stderr).toContain("[8/8] writing the manifest");
});

function assert503(body: unknown, retryAfter: string | null): void {
  const e = (body as { error: { code: string; message: string } }).error;
  expect(e.code).toBe("STARTING");
  expect(e.message).toMatch(/Hearth is starting/);
  expect(retryAfter).toBe("1");
}
