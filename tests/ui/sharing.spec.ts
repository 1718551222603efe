// Sharing in the window, in Chromium against the real `hearth serve --share 127.0.0.2:0` of the global setup: the
// owner shares an alias from the share dialog (link, curl and aws lines), the teammate (another profile, reaching the
// owner over the shared TLS listener as another machine would) adds the link, invokes the remote alias with its live
// logs, and the owner sees the token's use and revokes it in one click.
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { parseShareLink } from "../../main/domain/sharing/share-link.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

/** A first invocation may wait for a VM to boot under TCG, then for its sandbox to load. */
const COLD = 240_000;
/** Profiles of this spec alone, so the other specs' flows find theirs as they left them. */
const OWNER = "dana";
const MATE = "eli";

test.describe.configure({ mode: "serial" });

let page: Page;
const problems: string[] = [];
const { url, link, key } = hearthUnderTest();
let shareLink = "";

const { shot, go, actAs } = pageSteps(() => page);

test.beforeAll(async ({ browser }) => {
  // The owner's task and alias are set up through the API: importing and aliasing in the window is window.spec's.
  const owner = new HearthClient(url, { kind: "owner", key });
  await owner.call("createProfile", { name: OWNER });
  await owner.call("createProfile", { name: MATE });
  const dana = new HearthClient(url, { kind: "owner", key, profile: OWNER });
  const zip = (await zipFolder(fixtureDir("slow-logger"))).zip.toString("base64");
  await dana.call("importTask", { zipBase64: zip, publish: true });
  await dana.call("createAlias", { task: "slow-logger", name: "prod", version: 1 });
  await dana.call("createApi", {
    name: "dana-logs",
    access: "token",
    routes: [{ routeKey: "$default", target: { task: "slow-logger", qualifier: "prod" } }],
  });

  page = await browser.newPage();
  page.on("console", (m) => {
    // The refusals this flow provokes on purpose (a bad link, a revoked token) are the only failed calls expected.
    if (m.type() === "error" && !/status of (400|401|409|429)/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(link);
  await expect(page.getByTestId("view-tasks")).toBeVisible();
});

test.afterAll(async () => {
  await page.close();
});

test("the owner shares an alias: the dialog shows the link, the pinned curl line and the aws line once", async () => {
  await actAs(OWNER);
  await go("aliases");
  await page.getByTestId("alias-share-prod").click();
  const dialog = page.getByTestId("share-dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("slow-logger:prod");
  await expect(page.getByTestId("share-name")).toHaveValue("slow-logger");
  // A rate limit that is not a number is named before anything is minted.
  await page.getByTestId("share-rate").fill("lots");
  await page.getByTestId("share-submit").click();
  await expect(page.getByTestId("share-error")).toContainText("calls per minute");
  await page.getByTestId("share-name").fill("logger");
  await page.getByTestId("share-label").fill("for eli");
  await page.getByTestId("share-expiry").selectOption({ label: "7 days" });
  await page.getByTestId("share-rate").fill("30");
  await page.getByTestId("share-submit").click();
  const answer = page.getByTestId("share-answer");
  await expect(answer).toBeVisible();
  await expect(answer).toContainText("30 calls/min");

  shareLink = (await page.getByTestId("share-link").textContent()) ?? "";
  const parts = parseShareLink(shareLink);
  expect(parts.endpoint).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
  expect(parts.name).toBe("logger");
  expect(parts.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  const curl = (await page.getByTestId("share-curl").textContent()) ?? "";
  expect(curl).toMatch(/^curl -sS --insecure --pinnedpubkey '?sha256\/\/[A-Za-z0-9+/=]{44}'? -X POST /);
  expect(curl).toContain(`${parts.endpoint}/v1/invoke`);
  expect(curl).toContain(`Authorization: Bearer ${parts.token}`);
  const aws = (await page.getByTestId("share-aws").textContent()) ?? "";
  expect(aws).toMatch(/^aws --endpoint-url \S+ lambda invoke --function-name logger /);
  for (const id of ["share-link", "share-curl", "share-aws"]) {
    await expect(page.getByTestId(`${id}-copy`)).toBeVisible();
  }
  await shot("20-share-dialog");

  await page.getByTestId("share-done").click();
  await expect(dialog).toHaveCount(0);
  // Shown once: the tokens list has it by its hint only.
  await go("tokens");
  await expect(page.getByTestId("tokens-table")).toContainText("for eli");
  await expect(page.getByTestId("view-tokens")).not.toContainText(parts.token);
});

test("a token API is shared from the APIs view: its address on the shared listener and a pinned curl line", async () => {
  await go("apis");
  await page.getByTestId("api-share-dana-logs").click();
  await expect(page.getByTestId("share-dialog")).toContainText("API dana-logs");
  await expect(page.getByTestId("share-name")).toHaveCount(0);
  await page.getByTestId("share-rate").fill("");
  await page.getByTestId("share-submit").click();
  await expect(page.getByTestId("share-answer")).toContainText("no rate limit");
  await expect(page.getByTestId("share-api-url")).toHaveText(/^https:\/\/127\.0\.0\.2:\d+\/apis\/dana-logs$/);
  await expect(page.getByTestId("share-curl")).toContainText("--pinnedpubkey");
  await page.getByTestId("share-done").click();
  await expect(page.getByTestId("share-dialog")).toHaveCount(0);
});

test("the teammate adds the link as a remote alias; a link that is not one is refused with a clear error", async () => {
  await actAs(MATE);
  await go("remotes");
  await expect(page.getByTestId("empty-remotes")).toBeVisible();
  await page.getByTestId("remote-link").fill("https://example.com/not-a-share-link");
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText("not a share link");
  // The host's own check (the same addRemote as `hearth remote add` and the hearth:// handler) names the part.
  await page
    .getByTestId("remote-link")
    .fill(shareLink.replace(/fingerprint=sha256%3A[0-9a-f]{8}/, "fingerprint=sha256%3Azz"));
  await page.getByTestId("remote-add").click();
  await expect(page.getByTestId("remote-error")).toContainText("fingerprint");
  await page.getByTestId("remote-link").fill(shareLink);
  await page.getByTestId("remote-add").click();
  const row = page.getByTestId("remote-row-logger");
  await expect(row).toBeVisible();
  await expect(row).toContainText(parseShareLink(shareLink).endpoint);
  await expect(page.getByTestId("remote-error")).toHaveCount(0);
  await shot("22-remote-aliases");
  // Listed beside the profile's own tasks as well.
  await go("tasks");
  await expect(page.getByTestId("tasks-remote-logger")).toContainText("127.0.0.2");
  await go("remotes");
});

test("the teammate invokes the remote alias from the Invoke view and sees the owner's logs stream", async () => {
  await page.getByTestId("remote-invoke-logger").click();
  await expect(page.getByTestId("view-invoke")).toBeVisible();
  await expect(page.getByTestId("invoke-task-select")).toHaveValue("remote:logger");
  await expect(page.getByTestId("invoke-remote-note")).toContainText("127.0.0.2");
  await page.getByTestId("payload-editor").fill('{"lines": 4}');
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-state")).toHaveText("succeeded", { timeout: COLD });
  const lines = page.getByTestId("log-line");
  await expect(lines).toHaveCount(4);
  await expect(lines.first()).toContainText("line 1 of 4");
  await expect(page.getByTestId("result-json")).toContainText('"lines": 4');
  await shot("23-remote-invoke");
});

test("the owner sees the token's calls, last use and address, and revokes it in one click", async () => {
  await actAs(OWNER);
  await go("tokens");
  const row = page.locator("[data-testid^=token-row-]", { hasText: "for eli" });
  await expect(row).toBeVisible();
  const id = ((await row.getAttribute("data-testid")) ?? "").replace("token-row-", "");
  await expect(page.getByTestId(`token-calls-${id}`)).toHaveText("1");
  await expect(page.getByTestId(`token-last-use-${id}`)).not.toHaveText("never");
  await expect(page.getByTestId(`token-addresses-${id}`)).toContainText(/127\.\d+\.\d+\.\d+/);
  await expect(row).toContainText("30/min");
  // A share mints a token that works from other machines; the table says so.
  await expect(page.getByTestId(`token-reach-${id}`)).toHaveText("other machines too");
  await shot("21-token-usage");
  await page.getByTestId(`token-revoke-${id}`).click();
  await expect(page.getByTestId(`token-state-${id}`)).toHaveText("revoked");
});

test("after the revocation the teammate's call is refused with a clear error, and the remote can be removed", async () => {
  await actAs(MATE);
  await go("remotes");
  await page.getByTestId("remote-invoke-logger").click();
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("invoke-error")).toContainText("TOKEN_INVALID", { timeout: 60_000 });
  await go("remotes");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("remote-remove-logger").click();
  await expect(page.getByTestId("remote-row-logger")).toHaveCount(0);
  await expect(page.getByTestId("empty-remotes")).toBeVisible();
  expect(problems).toEqual([]);
});
