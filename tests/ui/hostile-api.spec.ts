// An API built from a task answers on the window's port: here a hostile one, whose page registers a service worker
// for "/" to take the window over and read its key. In Chromium, against the real `hearth serve` of the global
// setup, the window's origin stays uncontrolled and the key unread.
import { expect, test } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";
import { hearthUnderTest } from "./hearth-env.ts";

/** A first invocation may wait for a VM to boot under TCG, then for its sandbox to load. */
const COLD = 240_000;
/** A profile of this spec alone. */
const PROFILE = "mallory";

const { url, link, key } = hearthUnderTest();

test.beforeAll(async () => {
  const owner = new HearthClient(url, { kind: "owner", key });
  await owner.call("createProfile", { name: PROFILE });
  const mallory = new HearthClient(url, { kind: "owner", key, profile: PROFILE });
  const zip = (await zipFolder(fixtureDir("hostile-page"))).zip.toString("base64");
  await mallory.call("importTask", { zipBase64: zip });
  await mallory.call("createApi", {
    name: "hostile",
    access: "public",
    routes: [{ routeKey: "$default", target: { task: "hostile-page" } }],
  });
});

test("a public API's page cannot register a service worker over the window or read its key", async ({
  browser,
}) => {
  test.setTimeout(COLD + 120_000);
  const context = await browser.newContext();
  const stolen: string[] = [];
  context.on("request", (r) => {
    if (r.url().includes("/steal")) stolen.push(r.url());
  });
  try {
    const hostile = await context.newPage();
    const answer = await hostile.goto(`${url}apis/hostile/`, { timeout: COLD });
    expect(answer?.status()).toBe(200);
    // The task's page is shown, but nothing it holds runs as the window's origin.
    expect(answer?.headers()["content-security-policy"]).toMatch(/(^|;)\s*sandbox\s*(;|$)/);
    // Given the time a registration takes, the page's script has not run.
    await hostile
      .waitForFunction(() => document.title !== "hostile", null, { timeout: 5_000 })
      .catch(() => {});
    expect(await hostile.title()).toBe("hostile");

    // The worker's script itself, as a registration fetches it, is refused: no page of the origin could install it.
    const script = await context.request.get(`${url}apis/hostile/sw.js`, {
      headers: { "service-worker": "script" },
    });
    expect(script.status()).toBe(403);
    expect(script.headers()["service-worker-allowed"]).toBeUndefined();

    // The owner opens the printed link: the real window loads, uncontrolled, and keeps its key.
    const win = await context.newPage();
    await win.goto(link);
    await expect(win.getByTestId("view-tasks")).toBeVisible();
    expect(await win.evaluate(() => navigator.serviceWorker.controller === null)).toBe(true);
    expect(await win.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
    // Even script running as the window could not install the API's worker.
    const registered = await win.evaluate(() =>
      navigator.serviceWorker.register("/apis/hostile/sw.js", { scope: "/" }).then(
        () => "registered",
        (err: Error) => `refused: ${err.message}`,
      ),
    );
    expect(registered).toMatch(/^refused/);
    await win.reload();
    await expect(win.getByTestId("view-tasks")).toBeVisible();
    expect(stolen).toEqual([]);
  } finally {
    await context.close();
  }
});
