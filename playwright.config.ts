// Playwright drives the real window in Debian's Chromium against a real `hearth serve` (real VMs, so slow under TCG).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "tests/ui",
  outputDir: "test-results/ui",
  globalSetup: "./tests/ui/global-setup.ts",
  // One host, one flow: the steps build on each other and share the VMs.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // A first invocation may wait for a VM to boot from scratch under software emulation.
  timeout: 6 * 60_000,
  expect: { timeout: 30_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1280, height: 860 },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's browser: Playwright never downloads one here.
      executablePath: process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
