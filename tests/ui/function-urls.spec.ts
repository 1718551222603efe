// A task's function URL made in its panel, in Chromium against the real `hearth serve` of the global setup: the
// address the window shows answers plain HTTP with the task's response while its auth is NONE, refuses an unsigned
// request once it is AWS_IAM, and is gone (404) once removed.
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

const OWNER = "ursula";
const TASK = "webby";
const HANDLER =
  "export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, " +
  "body: `path ${event.rawPath} by ${event.requestContext.accountId}` });\n";

test.describe.configure({ mode: "serial" });

let page: Page;
let owner: HearthClient;
const problems: string[] = [];
const { url, link, key } = hearthUnderTest();
const { shot, go, actAs } = pageSteps(() => page);
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

test.beforeAll(async ({ browser }) => {
  const admin = new HearthClient(url, { kind: "owner", key });
  await admin.call("createProfile", { name: OWNER });
  owner = new HearthClient(url, { kind: "owner", key, profile: OWNER });
  const manifest = {
    name: TASK,
    runtime: "nodejs22.x",
    handler: "index.handler",
    memoryMb: 128,
    timeoutS: 10,
  };
  await owner.call("importTaskFiles", {
    files: [
      { path: "index.mjs", base64: b64(HANDLER) },
      { path: "task.json", base64: b64(JSON.stringify(manifest)) },
    ],
  });
  page = await browser.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(link);
  await expect(page.getByTestId("view-tasks")).toBeVisible();
  await actAs(OWNER);
  await go("tasks");
  await page.getByTestId(`task-row-${TASK}`).click();
  await expect(page.getByTestId("function-settings")).toBeVisible();
});

test.afterAll(async () => {
  await page?.close();
  const admin = new HearthClient(url, { kind: "owner", key });
  await admin.call("deleteProfile", { profile: OWNER, force: "true" }).catch(() => {});
});

test("a URL made in the window answers at the address it shows; AWS_IAM refuses the unsigned; removed, it is gone", async () => {
  test.setTimeout(360_000);
  await expect(page.getByTestId("url-empty")).toBeVisible();
  await page.getByTestId("url-auth-type").selectOption("NONE");
  await page.getByTestId("url-save").click();
  const row = page.getByTestId("url-row-$LATEST");
  await expect(row.getByTestId("url-auth")).toHaveText("NONE");
  const address = (await row.getByTestId("url-address").textContent()) ?? "";
  expect(address).toMatch(/\/lambda-url\/[a-z0-9]{32}\/$/);
  expect(address.startsWith(url.replace(/\/$/, "")) || address.startsWith("http://")).toBe(true);
  await shot("28-function-url");

  // The test calls the URL from outside the window, as curl would: the window's origin never calls a task.
  const called = await fetch(`${address}hello`);
  expect(called.status).toBe(200);
  expect(await called.text()).toBe("path /hello by anonymous");
  // The host's own answer says the same as the window.
  const view = await owner.call("getFunctionSettings", { task: TASK });
  expect(view.urls.map((u) => u.authType)).toEqual(["NONE"]);

  await page.getByTestId("url-auth-type").selectOption("AWS_IAM");
  await page.getByTestId("url-save").click();
  await expect(row.getByTestId("url-auth")).toHaveText("AWS_IAM");
  expect((await fetch(`${address}hello`)).status).toBe(403);

  await page.getByTestId("url-remove-$LATEST").click();
  await expect(page.getByTestId("url-empty")).toBeVisible();
  expect((await fetch(`${address}hello`)).status).toBe(404);
  expect(problems).toEqual([]);
});
