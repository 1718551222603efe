// The desktop window's page as Electron loads it, from file:// with no server and so no headers, in Chromium (the
// engine Electron embeds; its own binary cannot run here): the page's own script and styles run under the window's
// policy, which it carries itself, and script it did not ship does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildUi } from "../../renderer/build.ts";

const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";

test(
  "from file://, the page runs its own script and styles and refuses any other",
  { timeout: 120_000 },
  async (t) => {
    if (!existsSync(CHROMIUM)) return t.skip(`no Chromium at ${CHROMIUM} (set HEARTH_CHROMIUM)`);
    const out = join(mkdtempSync(join(tmpdir(), "hearth-window-page-")), "out");
    t.after(() => rmSync(join(out, ".."), { recursive: true, force: true }));
    await buildUi(out);
    const { chromium } = await import("@playwright/test");
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    t.after(() => browser.close());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(pathToFileURL(join(out, "index.html")).href);
    // Without Electron's preload (and no key), the window asks for the owner key: its script ran to get there.
    await page.getByTestId("key-screen").waitFor({ timeout: 30_000 });
    assert.ok(await page.evaluate(() => [...document.styleSheets].some((s) => s.href?.endsWith("/app.css"))));
    assert.deepEqual(problems, []);

    const inline = await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "document.body.dataset.injected = 'ran'";
      document.head.appendChild(s);
      return document.body.dataset.injected ?? "refused";
    });
    assert.equal(inline, "refused");
    assert.ok(
      problems.some((p) => /Content Security Policy/.test(p)),
      problems.join("\n"),
    );
  },
);
