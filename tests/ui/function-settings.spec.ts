// A task's Lambda settings in its panel, in Chromium against the real `hearth serve` of the global setup: a policy
// statement added for a teammate's account lets it invoke the task, and removing it takes that away again; the
// asynchronous-invocation configuration and the dead-letter target are set and reset; the host's own answers say
// the same as the window.
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

const OWNER = "fiona";
const MATE = "felix";
const TASK = "greeter";
const SINK = "sink";
const HANDLER = "export const handler = async (event) => ({ hello: event.name ?? 'you' });\n";

test.describe.configure({ mode: "serial" });

let page: Page;
let owner: HearthClient;
let mate: HearthClient;
let ownerAccount = "";
let mateAccount = "";
const problems: string[] = [];
const { url, link, key } = hearthUnderTest();
const { shot, go, actAs } = pageSteps(() => page);
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

async function importTask(name: string): Promise<void> {
  const manifest = { name, runtime: "nodejs22.x", handler: "index.handler", memoryMb: 128, timeoutS: 10 };
  await owner.call("importTaskFiles", {
    files: [
      { path: "index.mjs", base64: b64(HANDLER) },
      { path: "task.json", base64: b64(JSON.stringify(manifest)) },
    ],
  });
}

test.beforeAll(async ({ browser }) => {
  const admin = new HearthClient(url, { kind: "owner", key });
  ownerAccount = (await admin.call("createProfile", { name: OWNER })).profile.accountId;
  mateAccount = (await admin.call("createProfile", { name: MATE })).profile.accountId;
  owner = new HearthClient(url, { kind: "owner", key, profile: OWNER });
  mate = new HearthClient(url, { kind: "owner", key, profile: MATE });
  await importTask(TASK);
  await importTask(SINK);
  await owner.call("publishVersion", { task: TASK });

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
  for (const p of [MATE, OWNER])
    await admin.call("deleteProfile", { profile: p, force: "true" }).catch(() => {});
});

test("a statement for the teammate's account lets it invoke the function; removing it takes that away", async () => {
  test.setTimeout(360_000);
  await expect(page.getByTestId("policy-empty")).toBeVisible();
  // Before: the teammate is refused, alike whether or not the task exists.
  await expect(
    mate.call("invoke", { task: TASK, ownerAccountId: ownerAccount, payload: "{}" }),
  ).rejects.toThrow(/FORBIDDEN/);

  await page.getByTestId("policy-sid").fill("felix-invoke");
  await page.getByTestId("policy-principal").selectOption(mateAccount);
  await page.getByTestId("policy-add").click();
  const row = page.getByTestId("policy-row-felix-invoke");
  await expect(row).toContainText(MATE);
  await expect(row).toContainText(mateAccount);
  await expect(row).toContainText(`arn:aws:lambda:REGION:${ownerAccount}:function:${TASK}`);

  // A second statement for the same account, on version 1, stands beside the first.
  await page.getByTestId("policy-sid").fill("felix-v1");
  await page.getByTestId("policy-principal").selectOption(mateAccount);
  await page.getByTestId("policy-qualifier").selectOption("1");
  await page.getByTestId("policy-add").click();
  await expect(page.getByTestId("policy-row-felix-v1")).toContainText(`function:${TASK}:1`);
  await shot("25-function-policy");

  const settings = await owner.call("getFunctionSettings", { task: TASK });
  expect(settings.policy.map((p) => [p.statementId, p.qualifier, p.principalAccountId])).toEqual([
    ["felix-invoke", null, mateAccount],
    ["felix-v1", "1", mateAccount],
  ]);
  const answer = await mate.call("invoke", {
    task: TASK,
    ownerAccountId: ownerAccount,
    payload: JSON.stringify({ name: "felix" }),
  });
  expect(answer.ok).toBe(true);
  expect(answer.result).toEqual({ hello: "felix" });
  const v1 = await mate.call("invoke", {
    task: TASK,
    qualifier: "1",
    ownerAccountId: ownerAccount,
    payload: "{}",
  });
  expect(v1.version).toBe("1");

  await page.getByTestId("policy-remove-felix-invoke").click();
  await expect(page.getByTestId("policy-row-felix-invoke")).toHaveCount(0);
  await expect(
    mate.call("invoke", { task: TASK, ownerAccountId: ownerAccount, payload: "{}" }),
  ).rejects.toThrow(/FORBIDDEN/);
  await page.getByTestId("policy-remove-felix-v1").click();
  await expect(page.getByTestId("policy-empty")).toBeVisible();
});

test("the asynchronous-invocation settings and dead-letter target are saved, shown and reset", async () => {
  const sinkArn = `arn:aws:lambda:us-east-1:${ownerAccount}:function:${SINK}`;
  await expect(page.getByTestId("event-config-status")).toContainText("defaults");
  await page.getByTestId("event-retries").selectOption("1");
  await page.getByTestId("event-max-age").fill("600");
  await page.getByTestId("event-on-failure").fill(sinkArn);
  await page.getByTestId("event-config-save").click();
  await expect(page.getByTestId("event-config-status")).toContainText("set");
  await page.getByTestId("dead-letter-arn").fill(sinkArn);
  await page.getByTestId("dead-letter-save").click();
  await expect
    .poll(async () => (await owner.call("getFunctionSettings", { task: TASK })).deadLetterArn)
    .toBe(sinkArn);
  const saved = await owner.call("getFunctionSettings", { task: TASK });
  expect(saved.eventInvokeConfigs).toEqual([
    expect.objectContaining({
      qualifier: null,
      maximumRetryAttempts: 1,
      maximumEventAgeSeconds: 600,
      onSuccess: null,
      onFailure: sinkArn,
    }),
  ]);
  // What the window shows after a reload is what the host kept.
  await page.reload();
  await actAs(OWNER);
  await go("tasks");
  await page.getByTestId(`task-row-${TASK}`).click();
  await expect(page.getByTestId("event-retries")).toHaveValue("1");
  await expect(page.getByTestId("event-max-age")).toHaveValue("600");
  await expect(page.getByTestId("event-on-failure")).toHaveValue(sinkArn);
  await expect(page.getByTestId("dead-letter-arn")).toHaveValue(sinkArn);
  await shot("26-function-async");

  await page.getByTestId("event-config-reset").click();
  await expect(page.getByTestId("event-config-status")).toContainText("defaults");
  await page.getByTestId("dead-letter-arn").fill("");
  await page.getByTestId("dead-letter-save").click();
  await expect
    .poll(async () => (await owner.call("getFunctionSettings", { task: TASK })).deadLetterArn)
    .toBeNull();
  expect((await owner.call("getFunctionSettings", { task: TASK })).eventInvokeConfigs).toEqual([]);
});

test("nothing went wrong in the page", () => {
  expect(problems).toEqual([]);
});
