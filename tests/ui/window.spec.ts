// The window end to end in Chromium against a real `hearth serve`: profiles, import, invoke with streamed logs,
// versions, grants, a cross-profile alias, tokens, APIs and the pool; a screenshot of each main view.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps, SHOTS } from "./page-steps.ts";

/** A first invocation may wait for a VM to boot under TCG, then for its sandbox to load. */
const COLD = 240_000;

test.describe.configure({ mode: "serial" });

let page: Page;
const problems: string[] = [];
const { url, link, key } = hearthUnderTest();

const { shot, go, actAs } = pageSteps(() => page);

async function zipOf(fixture: string, name: string) {
  const { zip } = await zipFolder(fixtureDir(fixture));
  return { name, mimeType: "application/zip", buffer: zip };
}

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  // CSP violations, failed calls and uncaught errors all end up here; the flow expects none.
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
});

test.afterAll(async () => {
  await page.close();
});

test("without a key, the window says where to find one", async () => {
  await page.goto(url);
  await expect(page.getByTestId("key-screen")).toBeVisible();
  await expect(page.getByTestId("key-screen")).toContainText("owner.key");
  await shot("01-key-screen");
});

test("the printed link opens the window: the key moves into the tab's session and leaves the address", async ({
  browser,
}) => {
  // Opened in the tab already showing the key screen: only the fragment changes.
  await page.goto(link);
  await expect(page.getByTestId("view-tasks")).toBeVisible();
  await expect(page).not.toHaveURL(/key=/);
  expect(await page.evaluate(() => sessionStorage.getItem("hearth.ownerKey"))).toBe(key);
  await expect(page.getByTestId("profile-switcher").locator("option:checked")).toHaveText("alice");
  await expect(page.getByTestId("empty-tasks")).toBeVisible();
  await shot("02-tasks-empty");
  // A reload keeps working from the session, with no key in sight.
  await page.reload();
  await expect(page.getByTestId("view-tasks")).toBeVisible();
  // And in a fresh tab, on its first load.
  const other = await browser.newPage();
  await other.goto(link);
  await expect(other.getByTestId("view-tasks")).toBeVisible();
  await expect(other).not.toHaveURL(/key=/);
  await other.close();
});

test("a machine without profiles greets a new user with what to do first", async ({ browser }) => {
  // This host has profiles already; the window is shown the answer a fresh install gives.
  const fresh = await browser.newPage();
  await fresh.route("**/v1/profiles", (route) =>
    route.request().method() === "GET" ? route.fulfill({ json: [] }) : route.continue(),
  );
  await fresh.goto(link);
  await expect(fresh.getByTestId("onboarding")).toBeVisible();
  await expect(fresh.getByTestId("empty-onboarding")).toContainText("Create your first profile");
  await expect(fresh.getByTestId("profile-name-input")).toBeFocused();
  await fresh.screenshot({ path: `${SHOTS}/00-onboarding.png`, fullPage: true });
  await fresh.close();
});

test("a new profile's credentials are shown once; the switcher changes who the window acts as", async () => {
  await go("profiles");
  await page.getByTestId("profile-name-input").fill("carol");
  await page.getByTestId("profile-create").click();
  await expect(page.getByTestId("created-credentials")).toBeVisible();
  await expect(page.getByTestId("created-access-key-id")).toHaveText(/^HKIA[A-Z0-9]{16}$/);
  await expect(page.getByTestId("created-secret")).not.toBeEmpty();
  await expect(page.getByTestId("profile-switcher").locator("option:checked")).toHaveText("carol");
  await shot("03-profiles-created");
  await page.getByTestId("credentials-dismiss").click();
  await expect(page.getByTestId("created-credentials")).toHaveCount(0);
  await expect(page.getByTestId("profile-row-carol")).toBeVisible();
  await actAs("alice");
  await expect(page.getByTestId("profile-row-alice")).toContainText("acting as");
});

test("import a zip through the file picker and a folder through the folder picker", async () => {
  await go("tasks");
  const input = page.getByTestId("import-file-input");
  await input.setInputFiles(await zipOf("echo-node", "echo-node.zip"));
  await expect(page.getByTestId("import-progress")).toHaveAttribute("data-phase", "done");
  await expect(page.getByTestId("task-row-echo")).toBeVisible();
  // The folder as the browser's folder picker gives it: files named `slow-logger/…`, sent as they are.
  await page.getByTestId("import-folder-input").setInputFiles(fixtureDir("slow-logger"));
  await expect(page.getByTestId("import-progress")).toHaveAttribute("data-phase", "done");
  await expect(page.getByTestId("import-progress")).toContainText("Imported slow-logger from slow-logger");
  await expect(page.getByTestId("task-row-slow-logger")).toContainText("nodejs");
  // Something that is not a zip is refused with a sentence, before anything is sent.
  await input.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hi") });
  await expect(page.getByTestId("import-error")).toContainText("not a .zip");
  await shot("04-tasks");
});

test("invoke echo: the payload is checked, Ctrl+Enter runs it, the result shows with its version", async () => {
  await page.getByTestId("task-invoke-echo").click();
  await expect(page.getByTestId("view-invoke")).toBeVisible();
  const editor = page.getByTestId("payload-editor");
  await editor.fill('{"hello": ');
  await expect(page.getByTestId("payload-error")).toContainText("Line 1");
  await expect(page.getByTestId("run-button")).toBeDisabled();
  await editor.fill('{"hello": "world"}');
  await expect(page.getByTestId("payload-error")).toHaveCount(0);
  await editor.press("Control+Enter");
  await expect(page.getByTestId("result-json")).toContainText('"hello": "world"', { timeout: COLD });
  await expect(page.getByTestId("result-state")).toHaveText("succeeded");
  await expect(page.getByTestId("result-version")).toContainText("$LATEST");
  await expect(page.getByTestId("result-duration")).toHaveText(/\d/);
  await shot("05-invoke-echo");
});

test("saved test events: save the payload as a name, pick it back, save over it, rename, delete", async () => {
  const editor = page.getByTestId("payload-editor");
  const select = page.getByTestId("saved-event-select");
  await expect(select).toBeDisabled();
  await expect(select.locator("option")).toHaveText(["none saved yet"]);
  await editor.fill('{"order": 7,\n "note": "kept as written"}');
  await page.getByTestId("saved-event-save-as").click();
  // A bad name is refused by the host, naming the field.
  await page.getByTestId("saved-event-name").fill("has space");
  await page.getByTestId("saved-event-ok").click();
  await expect(page.getByTestId("saved-event-error")).toContainText("name");
  await page.getByTestId("saved-event-name").fill("order-7");
  await page.getByTestId("saved-event-ok").click();
  await expect(page.getByTestId("saved-event-form")).toHaveCount(0);
  await expect(select).toHaveValue("order-7");
  await page.getByTestId("saved-event-save-as").click();
  await page.getByTestId("saved-event-name").fill("empty");
  await editor.fill("{}");
  await page.getByTestId("saved-event-ok").click();
  await expect(select.locator("option")).toHaveText(["choose (2)", "empty", "order-7"]);

  // Picking one puts its payload, exactly as saved, in the editor; running it sends that payload.
  await select.selectOption("order-7");
  await expect(editor).toHaveValue('{"order": 7,\n "note": "kept as written"}');
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-json")).toContainText('"order": 7', { timeout: COLD });
  await shot("05b-saved-events");

  // Save writes the editor over the chosen event.
  await editor.fill('{"order": 8}');
  await page.getByTestId("saved-event-save").click();
  await select.selectOption("empty");
  await expect(editor).toHaveValue("{}");
  await select.selectOption("order-7");
  await expect(editor).toHaveValue('{"order": 8}');

  await page.getByTestId("saved-event-rename").click();
  await page.getByTestId("saved-event-name").fill("empty");
  await page.getByTestId("saved-event-ok").click();
  await expect(page.getByTestId("saved-event-error")).toContainText("EVENT_EXISTS");
  await page.getByTestId("saved-event-name").fill("order-8");
  await page.getByTestId("saved-event-ok").click();
  await expect(select.locator("option")).toHaveText(["choose (2)", "empty", "order-8"]);
  await expect(select).toHaveValue("order-8");

  await page.getByTestId("saved-event-delete").click();
  await page.getByTestId("saved-event-delete-ok").click();
  await expect(select.locator("option")).toHaveText(["choose (1)", "empty"]);
  await expect(select).toHaveValue("");
});

test("slow-logger's lines appear one by one, before its result", async () => {
  await page.getByTestId("invoke-task-select").selectOption({ label: "slow-logger" });
  await page.getByTestId("payload-editor").fill('{"lines": 5}');
  // Record, in the page, when each log line and the result reach the screen.
  await page.evaluate(() => {
    const seen: { what: string; at: number }[] = [];
    (window as unknown as { seen: typeof seen }).seen = seen;
    new MutationObserver(() => {
      const lines = document.querySelectorAll('[data-testid="log-line"]').length;
      const result = document.querySelector('[data-testid="result-json"]') !== null;
      const now = performance.now();
      if (lines > seen.filter((s) => s.what.startsWith("line")).length)
        seen.push({ what: `line${lines}`, at: now });
      if (result && !seen.some((s) => s.what === "result")) seen.push({ what: "result", at: now });
    }).observe(document.body, { childList: true, subtree: true });
  });
  await page.getByTestId("run-button").click();
  const lines = page.getByTestId("log-line");
  await expect(lines.first()).toContainText("line 1 of 5", { timeout: COLD });
  // The first line is on screen while the result is not.
  await expect(page.getByTestId("result-json")).toHaveCount(0);
  await expect(page.getByTestId("run-button")).toHaveText("Running…");
  await shot("06-invoke-streaming");
  await expect(page.getByTestId("result-json")).toContainText('"lines": 5', { timeout: 60_000 });
  await expect(lines).toHaveCount(5);
  await expect(lines.nth(4)).toContainText("line 5 of 5");
  const seen = await page.evaluate(
    () => (window as unknown as { seen: { what: string; at: number }[] }).seen,
  );
  const lineTimes = seen.filter((s) => s.what.startsWith("line")).map((s) => s.at);
  const resultAt = seen.find((s) => s.what === "result")!.at;
  // The task sleeps 200 ms between lines: they reached the screen at several moments over most of a second (a busy
  // host may deliver two together), and every one of them before the result.
  expect(lineTimes.length).toBeGreaterThanOrEqual(3);
  expect(lineTimes[lineTimes.length - 1]! - lineTimes[0]!).toBeGreaterThan(400);
  expect(resultAt).toBeGreaterThanOrEqual(lineTimes[lineTimes.length - 1]!);
  await shot("07-invoke-streamed");
});

test("publish a version of echo", async () => {
  await go("tasks");
  await page.getByTestId("task-row-echo").click();
  await expect(page.getByTestId("task-detail")).toBeVisible();
  await expect(page.getByTestId("no-versions")).toBeVisible();
  await page.getByTestId("publish-description").fill("first release");
  await page.getByTestId("publish-button").click();
  await expect(page.getByTestId("version-row-1")).toContainText("first release");
  await expect(page.getByTestId("task-versions-echo")).toContainText("1");
  await shot("08-task-detail");
});

test("share echo with bob", async () => {
  await go("grants");
  await expect(page.getByTestId("empty-grants-given")).toBeVisible();
  await page.getByTestId("grant-task-select").selectOption("echo");
  await page.getByTestId("grant-grantee").fill("bob");
  await page.getByTestId("grant-allow-env").fill("GREETING, API_KEY");
  await page.getByTestId("grant-create").click();
  await expect(page.getByTestId("grant-row-echo-bob")).toBeVisible();
  await shot("09-grants");
});

test("bob makes a cross-profile alias with a secret that is never shown again, and invokes it", async () => {
  await actAs("bob");
  await go("aliases");
  await expect(page.getByTestId("empty-aliases")).toBeVisible();
  await page.getByTestId("alias-tab-shared").click();
  await expect(page.getByTestId("shared-task-select")).toContainText("echo — from alice");
  await page.getByTestId("shared-alias-name").fill("from-alice");
  await page.getByTestId("shared-alias-version").selectOption("1");
  await page.getByTestId("shared-alias-env").fill("GREETING=hi");
  await page.getByTestId("shared-alias-secret-add").click();
  await page.getByTestId("shared-alias-secret-name-0").fill("API_KEY");
  await page.getByTestId("shared-alias-secret-value-0").fill("s3cr3t-value-never-echoed");
  await page.getByTestId("shared-alias-create").click();
  const row = page.getByTestId("alias-row-from-alice");
  await expect(row).toContainText("cross-profile");
  await expect(page.getByTestId("alias-secrets-from-alice")).toContainText("API_KEY");
  // The form dropped the value, and nothing on the page (or in any input) holds it.
  await expect(page.getByTestId("shared-alias-secret-value-0")).toHaveCount(0);
  expect(await page.content()).not.toContain("s3cr3t-value-never-echoed");
  await shot("10-aliases");
  await page.getByTestId("alias-invoke-from-alice").click();
  await expect(page.getByTestId("view-invoke")).toBeVisible();
  await page.getByTestId("payload-editor").fill('{"via": "alias"}');
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-json")).toContainText('"via": "alias"', { timeout: COLD });
  await expect(page.getByTestId("result-json")).toContainText('"version": "1"');
  await expect(page.getByTestId("result-version")).toContainText("version 1");
  await shot("11-invoke-cross-profile");
});

test("mint a token with ready commands, use it, revoke it", async () => {
  await go("tokens");
  await expect(page.getByTestId("empty-tokens")).toBeVisible();
  await page.getByTestId("token-label").fill("teammate");
  await page.getByTestId("token-mint").click();
  const secret = (await page.getByTestId("minted-token").textContent())!.trim();
  expect(secret).toMatch(/^hth_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId("minted-curl")).toContainText(`Authorization: Bearer ${secret}`);
  await expect(page.getByTestId("minted-aws")).toContainText("lambda invoke --function-name");
  await expect(page.getByTestId("minted-aws")).toContainText(":function:echo:from-alice");
  await shot("12-tokens-minted");
  const invoke = () =>
    fetch(`${url}v1/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: '{"token":true}',
    });
  const ok = await invoke();
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { result: { echo: unknown } }).result.echo).toEqual({ token: true });
  const id = (await page.getByTestId("minted-panel").getAttribute("data-token-id"))!;
  await page.getByTestId(`token-revoke-${id}`).click();
  await expect(page.getByTestId(`token-state-${id}`)).toHaveText("revoked");
  await expect(page.getByTestId("minted-panel")).toHaveCount(0);
  expect((await invoke()).status).toBe(401);
  await shot("13-tokens-revoked");
});

test("build an API from the alias and try its route", async () => {
  await go("apis");
  await expect(page.getByTestId("empty-apis")).toBeVisible();
  await page.getByTestId("api-name").fill("shop");
  await page.getByTestId("api-access").selectOption("public");
  await page.getByTestId("api-route-path-0").fill("/orders/{id}");
  await page.getByTestId("api-route-target-0").selectOption({ label: "echo:from-alice (cross-profile)" });
  await page.getByTestId("api-create").click();
  await expect(page.getByTestId("api-row-shop")).toContainText("GET /orders/{id}");
  await expect(page.getByTestId("try-route")).toBeVisible();
  await page.getByTestId("try-param-id").fill("42");
  await page.getByTestId("try-send").click();
  await expect(page.getByTestId("try-status")).toHaveText("200", { timeout: COLD });
  // The task received API Gateway's event: the route, and the path variable read from the URL.
  await expect(page.getByTestId("try-response")).toContainText('"rawPath": "/orders/42"');
  await expect(page.getByTestId("try-response")).toContainText('"id": "42"');
  await shot("14-apis");
});

test("the pool lists VMs with their state and refreshes on its own", async () => {
  await go("pool");
  await expect(page.getByTestId("vm-row").first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("pool-summary")).toContainText("acceleration");
  // Two more requests arrive without anyone clicking.
  for (let i = 0; i < 2; i++)
    await page.waitForRequest((r) => r.url().includes("/v1/pool"), { timeout: 15_000 });
  await page.getByTestId("pool-all-profiles").check();
  await expect(page.getByTestId("pool-table")).toContainText("alice");
  // The views follow the pool's event stream (a slow refresh still tops up the counts).
  await expect(page.getByTestId("view-pool")).toContainText("Updates live as VMs change.");
  // The invocations above left a sandbox on a VM: its row counts it, names the task and shows what it served.
  const holding = page
    .getByTestId("vm-row")
    .filter({ has: page.locator('[data-testid="vm-sandboxes"]:not([data-count="0"])') });
  await expect(holding.first()).toBeVisible({ timeout: 30_000 });
  expect(Number(await holding.first().getByTestId("vm-sandbox-count").textContent())).toBeGreaterThanOrEqual(
    1,
  );
  expect(Number(await holding.first().getByTestId("vm-invocations").textContent())).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId("pool-table")).toContainText("echo:");
  await expect(page.getByTestId("latency-chart")).toBeVisible();
  await shot("15-pool");
});

test("open a SAM project: its function and route, a save reloaded, a syntax error shown with its line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-ui-project-"));
  const code = (word: string) =>
    `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(word)} });\n`;
  writeFileSync(
    join(dir, "template.yaml"),
    `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs20.x
    Timeout: 10
Resources:
  Greeter:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
`,
  );
  writeFileSync(join(dir, "app.mjs"), code("first"));
  try {
    await actAs("alice");
    await go("projects");
    await expect(page.getByTestId("empty-projects")).toBeVisible();
    // No folder named: said before anything is asked of the host.
    await page.getByTestId("project-open").click();
    await expect(page.getByTestId("project-open-error")).toContainText("name the project's folder");
    await page.getByTestId("project-dir").fill(dir);
    await page.getByTestId("project-api-name").fill("greeter");
    await page.getByTestId("project-open").click();
    const card = page.getByTestId("project-greeter");
    await expect(card).toBeVisible({ timeout: 60_000 });
    await expect(card.getByTestId("project-watching")).toBeVisible();
    await expect(card.getByTestId("project-fn-Greeter")).toContainText("ok");
    await expect(card.getByTestId("project-routes")).toContainText("/apis/greeter/hello");
    await expect(card.getByTestId("project-notes")).toContainText("template.yaml:11");
    const route = `${url}apis/greeter/hello`.replace(/([^:])\/\//, "$1/");
    await expect.poll(async () => (await page.request.get(route)).text(), { timeout: COLD }).toBe("first");

    // A save: the window shows the reload, and the route answers with the new code.
    writeFileSync(join(dir, "app.mjs"), code("second"));
    await expect(card.getByTestId("project-last-reload")).toContainText("app.mjs", { timeout: 30_000 });
    await expect(card.getByTestId("project-last-reload")).toContainText("reloaded");
    await expect.poll(async () => (await page.request.get(route)).text(), { timeout: COLD }).toBe("second");

    // A syntax error: shown with its file and line; the code already running keeps answering.
    writeFileSync(
      join(dir, "app.mjs"),
      "export const handler = async () => {\n  return { statusCode: 200,, };\n};\n",
    );
    await expect(card.getByTestId("project-last-reload")).toContainText("failed", { timeout: 30_000 });
    await expect(card.getByTestId("project-fn-error-Greeter")).toContainText("app.mjs:2");
    await expect(card.getByTestId("project-last-reload")).toContainText("keeps serving");
    expect(await (await page.request.get(route)).text()).toBe("second");
    await shot("16-project");

    page.once("dialog", (d) => void d.accept());
    await card.getByTestId("project-close-greeter").click();
    await expect(page.getByTestId("empty-projects")).toBeVisible();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("search with /, and the dark theme (toggle and the system's preference)", async () => {
  await actAs("alice");
  await go("tasks");
  // The list says when each task last ran, from its log.
  await expect(page.getByTestId("task-last-run-echo")).toContainText("ok");
  await expect(page.getByTestId("task-last-run-slow-logger")).toContainText("ok");
  await page.locator("body").press("/");
  await expect(page.getByTestId("search")).toBeFocused();
  await page.keyboard.type("slow");
  await expect(page.getByTestId("task-row-slow-logger")).toBeVisible();
  await expect(page.getByTestId("task-row-echo")).toHaveCount(0);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("task-row-echo")).toBeVisible();
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await bg();
  await page.getByTestId("theme-toggle").click(); // system → light
  await page.getByTestId("theme-toggle").click(); // light → dark
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await bg()).not.toBe(light);
  await shot("16-tasks-dark");
  await page.getByTestId("theme-toggle").click(); // dark → system
  await page.emulateMedia({ colorScheme: "dark" });
  await go("invoke");
  expect(await bg()).not.toBe(light);
  await shot("17-invoke-dark-system");
  await page.emulateMedia({ colorScheme: "light" });
});

test("nothing went wrong in the page along the way", async () => {
  expect(problems).toEqual([]);
});
