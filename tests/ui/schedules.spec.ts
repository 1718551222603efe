// The Schedules view in Chromium against the real `hearth serve` of the global setup: a rate schedule made in the
// window fires on time through the async queue, shows its last run (opened in Logs), and is paused, resumed and
// removed; what the window shows is what the host answers.
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

const PROFILE = "sched";
const TASK = "ticker";
const HANDLER = "export const handler = async (event) => ({ got: event['detail-type'] ?? null });\n";

test.describe.configure({ mode: "serial" });

let page: Page;
let client: HearthClient;
const problems: string[] = [];
const { url, link, key } = hearthUnderTest();
const { shot, go, actAs } = pageSteps(() => page);
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

test.beforeAll(async ({ browser }) => {
  await new HearthClient(url, { kind: "owner", key }).call("createProfile", { name: PROFILE });
  client = new HearthClient(url, { kind: "owner", key, profile: PROFILE });
  const manifest = {
    name: TASK,
    runtime: "nodejs22.x",
    handler: "index.handler",
    memoryMb: 128,
    timeoutS: 10,
  };
  await client.call("importTaskFiles", {
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
  await actAs(PROFILE);
  await go("schedules");
});

test.afterAll(async () => {
  await page?.close();
  await new HearthClient(url, { kind: "owner", key })
    .call("deleteProfile", { profile: PROFILE, force: "true" })
    .catch(() => {});
});

test("a rate schedule made in the window fires on time, and its run opens in Logs", async () => {
  test.setTimeout(300_000);
  await expect(page.getByTestId("empty-schedules")).toBeVisible();
  await page.getByTestId("schedule-name").fill("every-minute");
  await page.getByTestId("schedule-kind").selectOption("rate");
  await page.getByTestId("schedule-expression").fill("1 minute");
  await page.getByTestId("schedule-task").selectOption(TASK);
  await page.getByTestId("schedule-create").click();
  const row = page.getByTestId("schedule-row-every-minute");
  await expect(row).toContainText("rate(1 minute)");
  await expect(page.getByTestId("schedule-state-every-minute")).toHaveText("running");
  await expect(page.getByTestId("schedule-last-every-minute")).toHaveText("never");
  const [made] = await client.call("listSchedules", {});
  const due = Date.parse(made!.nextRunAt!);
  expect(due - Date.parse(made!.createdAt)).toBe(60_000);
  await shot("27-schedules");

  // The run, seen by the window's own refresh.
  await expect(page.getByTestId("schedule-last-open-every-minute")).toBeVisible({ timeout: 120_000 });
  const [ran] = await client.call("listSchedules", {});
  expect(Date.parse(ran!.lastRunAt!)).toBe(due);
  const status = await client.call("getInvocation", { requestId: ran!.lastRequestId! });
  expect(status.attempts).toBeGreaterThanOrEqual(0);
  await expect
    .poll(async () => (await client.call("getInvocation", { requestId: ran!.lastRequestId! })).state, {
      timeout: 120_000,
    })
    .toBe("succeeded");
  const outcome = (await client.call("getInvocation", { requestId: ran!.lastRequestId! })).outcome as {
    payload: string;
  };
  expect(JSON.parse(outcome.payload)).toEqual({ got: "Scheduled Event" });
  await page.getByTestId("schedule-last-open-every-minute").click();
  await expect(page.getByTestId("view-logs")).toBeVisible();
  await expect(page.getByTestId("logs-request-id")).toHaveValue(ran!.lastRequestId!);
  await expect(page.getByTestId(`logs-group-${ran!.lastRequestId!}`)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("timeline-dialog")).toContainText(ran!.lastRequestId!);
  await page.getByTestId("timeline-close").click();
  await expect(page.getByTestId("timeline-dialog")).toHaveCount(0);
  await go("schedules");
});

test("pause, resume and remove", async () => {
  await page.getByTestId("schedule-toggle-every-minute").click();
  await expect(page.getByTestId("schedule-state-every-minute")).toHaveText("paused");
  await expect(page.getByTestId("schedule-next-every-minute")).toHaveText("—");
  expect((await client.call("listSchedules", {}))[0]!.state).toBe("disabled");
  await page.getByTestId("schedule-toggle-every-minute").click();
  await expect(page.getByTestId("schedule-state-every-minute")).toHaveText("running");
  await page.getByTestId("schedule-remove-every-minute").click();
  await expect(page.getByTestId("empty-schedules")).toBeVisible();
  expect(await client.call("listSchedules", {})).toEqual([]);
});

test("nothing went wrong in the page", () => {
  expect(problems).toEqual([]);
});
