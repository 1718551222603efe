// API authorizers in the window, in Chromium against the real `hearth serve` of the global setup: a JWT authorizer
// added to an API, attached to a route with a scope, and listed with its issuer, audience and keys; what the window
// shows is what the host answers.
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

const PROFILE = "authz";
const API = "orders-api";
const ISSUER = "https://issuer.example";
const JWKS = "https://issuer.example/.well-known/jwks.json";
const HANDLER = "export const handler = async (event) => ({ statusCode: 200, body: event.rawPath });\n";

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
    name: "orders",
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
  await client.call("createApi", {
    name: API,
    access: "public",
    routes: [
      { routeKey: "GET /orders", target: { task: "orders" } },
      { routeKey: "GET /health", target: { task: "orders" } },
    ],
  });
  page = await browser.newPage();
  page.on("console", (m) => {
    // The Try panel's own refused calls (401, 500) are what it is asked for here, not the page going wrong.
    const tried = m.location().url.includes(`/apis/${API}/`);
    if (m.type() === "error" && !tried) problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(link);
  await expect(page.getByTestId("view-tasks")).toBeVisible();
  await actAs(PROFILE);
  await go("apis");
});

test.afterAll(async () => {
  await page?.close();
  await new HearthClient(url, { kind: "owner", key })
    .call("deleteProfile", { profile: PROFILE, force: "true" })
    .catch(() => {});
});

test("a JWT authorizer added in the window is listed with its issuer, audience and keys", async () => {
  await expect(page.getByTestId(`api-authorizers-${API}`)).toHaveText("—");
  await page.getByTestId(`api-row-${API}`).click();
  const panel = page.getByTestId("api-authorizers");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("no-authorizers")).toBeVisible();
  await page.getByTestId("authorizer-name").fill("issuer");
  await page.getByTestId("authorizer-type").selectOption("JWT");
  // A public API reads the token where API Gateway does unless told.
  await expect(page.getByTestId("authorizer-identity")).toHaveValue("$request.header.Authorization");
  await page.getByTestId("authorizer-issuer").fill(ISSUER);
  await page.getByTestId("authorizer-audience").fill("shop-client, admin-client");
  await page.getByTestId("authorizer-keys-from").selectOption("uri");
  await page.getByTestId("authorizer-keys").fill(JWKS);
  await page.getByTestId("authorizer-add").click();

  const row = page.getByTestId("authorizer-row-issuer");
  await expect(row).toContainText("JWT");
  await expect(row).toContainText(`issuer ${ISSUER}, audience shop-client, admin-client, keys ${JWKS}`);
  await expect(row).toContainText("$request.header.Authorization");
  await expect(page.getByTestId("authorizer-routes-issuer")).toHaveText("none");
  await expect(page.getByTestId(`api-authorizers-${API}`)).toContainText("issuer");
  const [api] = await client.call("listApis", {});
  expect(api!.authorizers).toEqual([
    {
      id: expect.stringMatching(/^aut_[0-9a-f]{16}$/) as unknown as string,
      name: "issuer",
      type: "JWT",
      identitySource: ["$request.header.Authorization"],
      jwt: { issuer: ISSUER, audience: ["shop-client", "admin-client"], jwksUri: JWKS },
    },
  ]);
});

test("attached to a route with a scope, the route shows it in the list and the host keeps it", async () => {
  await page.getByTestId("attach-route").selectOption("GET /orders");
  await page.getByTestId("attach-authorizer").selectOption({ label: "issuer (JWT)" });
  await page.getByTestId("attach-scopes").fill("orders:read");
  await page.getByTestId("attach-save").click();
  await expect(page.getByTestId(`api-route-${API}-GET /orders`)).toContainText(
    "checked by issuer (orders:read)",
  );
  await expect(page.getByTestId(`api-route-${API}-GET /health`)).not.toContainText("checked by");
  await expect(page.getByTestId("authorizer-routes-issuer")).toHaveText("GET /orders");
  // A used authorizer offers no Remove: the route would lose its check.
  await expect(page.getByTestId("authorizer-remove-issuer")).toHaveCount(0);
  await shot("28-api-authorizers");
  const [api] = await client.call("listApis", {});
  const orders = api!.routes.find((r) => r.routeKey === "GET /orders");
  expect(orders).toEqual({
    routeKey: "GET /orders",
    target: { task: "orders" },
    authorizerId: api!.authorizers[0]!.id,
    authorizationScopes: ["orders:read"],
  });
  expect(api!.routes.find((r) => r.routeKey === "GET /health")!.authorizerId).toBeUndefined();
});

test("the Try panel asks for what the route's authorizer reads and sends it", async () => {
  const tryPanel = page.getByTestId("try-route");
  await tryPanel.getByTestId("try-route-select").selectOption("GET /orders");
  const header = tryPanel.getByTestId("try-identity-header-Authorization");
  await expect(header).toBeVisible();
  // Without the header the authorizer refuses at once; the route's task never runs.
  await tryPanel.getByTestId("try-send").click();
  await expect(tryPanel.getByTestId("try-status")).toHaveText("401");
  // A well-formed token makes the authorizer fetch the issuer's keys, which cannot be had here: a 500 that
  // says the header reached it.
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const jwt = `${part({ alg: "RS256", kid: "k1" })}.${part({ iss: ISSUER, aud: "shop-client" })}.c2ln`;
  await header.fill(`Bearer ${jwt}`);
  await expect(tryPanel.getByTestId("try-curl")).toContainText(`authorization: Bearer ${jwt}`);
  await tryPanel.getByTestId("try-send").click();
  await expect(tryPanel.getByTestId("try-status")).toHaveText("500", { timeout: 15_000 });
  // The route without an authorizer asks for nothing.
  await tryPanel.getByTestId("try-route-select").selectOption("GET /health");
  await expect(tryPanel.getByTestId("try-identity")).toHaveCount(0);
});

test("detached, the authorizer can be removed", async () => {
  await page.getByTestId("attach-route").selectOption("GET /orders");
  await page.getByTestId("attach-authorizer").selectOption("");
  await page.getByTestId("attach-save").click();
  await expect(page.getByTestId(`api-route-${API}-GET /orders`)).not.toContainText("checked by");
  await expect(page.getByTestId("authorizer-routes-issuer")).toHaveText("none");
  page.once("dialog", (d) => void d.accept());
  await page.getByTestId("authorizer-remove-issuer").click();
  await expect(page.getByTestId("no-authorizers")).toBeVisible();
  const [api] = await client.call("listApis", {});
  expect(api!.authorizers).toEqual([]);
});

test("nothing went wrong in the page", () => {
  expect(problems).toEqual([]);
});
