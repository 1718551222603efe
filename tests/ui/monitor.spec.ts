// The Monitor and Logs views in Chromium against the real `hearth serve` of the global setup: a task called through
// the API in a known pattern (a cold call, fast ones, slow ones, failing ones), then the totals the window shows
// checked against those answers and against the host's own stats; a failing call's and the cold call's groups in
// Logs, the cold call's timeline; and a call made in Invoke opened in Logs from its request id.
import { createServer } from "node:http";
import { expect, test, type Page } from "@playwright/test";
import { HearthClient } from "../../main/client/http-client.ts";
import type { InvocationResult } from "../../main/contract.ts";
import { hearthUnderTest } from "./hearth-env.ts";
import { pageSteps } from "./page-steps.ts";

/** A first invocation may wait for a VM to boot under TCG, then for its sandbox to load. */
const COLD = 240_000;
/** A profile of this spec alone: the window spec expects alice's tasks as it left them. */
const PROFILE = "monica";
const TASK = "monitored";
const MEMORY_MB = 256;

const HANDLER = `// Fails, sleeps or prints as its event asks.
export const handler = async (event) => {
  if (event.mode === "fail") throw new TypeError("asked to fail");
  if (event.mode === "slow") {
    await new Promise((resolve) => setTimeout(resolve, event.ms));
    return { slept: event.ms };
  }
  console.log("monitored says hello");
  return { ok: true };
};
`;

test.describe.configure({ mode: "serial" });

let page: Page;
let client: HearthClient;
const problems: string[] = [];
/** Every answer of the pattern, in the order the calls were made. */
const answers: InvocationResult[] = [];
/** The pattern's throttle: a token allowed one call a minute, called twice. */
const THROTTLES = 1;
let token: { id: string; lastCall?: string } = { id: "" };
const { url, link, key } = hearthUnderTest();

const { shot, go, actAs } = pageSteps(() => page);

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const round2 = (n: number) => Math.round(n * 100) / 100;
const msText = (n: number) => `${round2(n).toFixed(2)} ms`;

/** The nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

async function call(event: object): Promise<InvocationResult> {
  const answer = await client.call("invoke", { task: TASK, payload: JSON.stringify(event) });
  answers.push(answer);
  return answer;
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(COLD + 180_000);
  await new HearthClient(url, { kind: "owner", key }).call("createProfile", { name: PROFILE });
  // The owner key acting as the profile: Authorization: Bearer <key>, X-Hearth-Profile: monica.
  client = new HearthClient(url, { kind: "owner", key, profile: PROFILE });
  const manifest = {
    name: TASK,
    runtime: "nodejs22.x",
    handler: "index.handler",
    memoryMb: MEMORY_MB,
    timeoutS: 30,
  };
  await client.call("importTaskFiles", {
    files: [
      { path: "index.mjs", base64: b64(HANDLER) },
      { path: "task.json", base64: b64(JSON.stringify(manifest)) },
    ],
  });
  // The pattern, one call after another: the first starts the sandbox, the rest find it warm.
  await call({});
  for (let i = 0; i < 4; i++) await call({});
  await call({ mode: "slow", ms: 300 });
  await call({ mode: "slow", ms: 700 });
  await call({ mode: "fail" });
  await call({ mode: "fail" });
  // A token allowed one call a minute, through an alias: its first call runs, its second is a throttle.
  await client.call("createAlias", { task: TASK, name: "live", version: "$LATEST" });
  const alias = (await client.call("listAliases", {})).find((a) => a.name === "live")!;
  const minted = await client.call("mintToken", {
    aliasId: alias.id,
    label: "ci-bot",
    rateLimitPerMinute: 1,
  });
  token = { id: minted.token.id };
  const holder = new HearthClient(url, { kind: "token", token: minted.secret });
  const viaToken = await holder.call("invoke", { payload: "{}" });
  answers.push(viaToken);
  token.lastCall = viaToken.requestId;
  await expect(holder.call("invoke", { payload: "{}" })).rejects.toThrow(/TOKEN_RATE_LIMITED/);

  page = await browser.newPage();
  // CSP violations, failed calls and uncaught errors all end up here; the flow expects none.
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.goto(link);
  await expect(page.getByTestId("view-tasks")).toBeVisible();
  await actAs(PROFILE);
});

test.afterAll(async () => {
  await page?.close();
  // Its VMs go back to the host's budget for the specs after this one.
  await new HearthClient(url, { kind: "owner", key })
    .call("deleteProfile", { profile: PROFILE, force: "true" })
    .catch(() => {});
});

test("the pattern's answers: one cold start first, two slow calls, two TypeErrors", () => {
  expect(answers).toHaveLength(10);
  expect(answers[0]!.coldStart).toBe(true);
  expect(answers[0]!.initDurationMs).toBeGreaterThan(0);
  expect(answers.filter((a) => !a.ok).map((a) => a.error?.errorType)).toEqual(["TypeError", "TypeError"]);
  expect(answers[5]!.durationMs).toBeGreaterThanOrEqual(300);
  expect(answers[6]!.durationMs).toBeGreaterThanOrEqual(700);
});

test("Monitor: the totals are the answers' numbers and the host's stats; the charts are drawn", async () => {
  const durations = answers.map((a) => a.durationMs);
  const expected = {
    invocations: String(answers.length),
    errors: "2",
    throttles: String(THROTTLES),
    coldStarts: String(answers.filter((a) => a.coldStart).length),
    p50: msText(nearestRank(durations, 50)),
    p95: msText(nearestRank(durations, 95)),
    p99: msText(nearestRank(durations, 99)),
    peakMemory: `${Math.max(...answers.map((a) => a.maxMemoryUsedMb))} / ${MEMORY_MB} MB`,
  };

  // The host's own stats over HTTP tell the same.
  const stats = await client.call("invocationStats", { task: TASK, since: "15m" });
  const t = stats.totals;
  expect({
    invocations: String(t.invocations),
    errors: String(t.errors),
    throttles: String(t.throttles),
    coldStarts: String(t.coldStarts),
    p50: msText(t.duration!.p50),
    p95: msText(t.duration!.p95),
    p99: msText(t.duration!.p99),
    peakMemory: `${t.maxMemoryUsedMb} / ${t.memoryMb} MB`,
  }).toEqual(expected);
  expect(t.concurrency).toBe(1);

  await go("monitor");
  await page.getByTestId("monitor-task").selectOption({ label: TASK });
  await page.getByTestId("monitor-range-15m").click();
  await expect(page.getByTestId("monitor-range-15m")).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("monitor-invocations")).toHaveText(expected.invocations);
  await expect(page.getByTestId("monitor-errors")).toHaveText(expected.errors);
  await expect(page.getByTestId("monitor-throttles")).toHaveText(expected.throttles);
  await expect(page.getByTestId("monitor-cold-starts")).toHaveText(expected.coldStarts);
  await expect(page.getByTestId("monitor-p50")).toHaveText(expected.p50);
  await expect(page.getByTestId("monitor-p95")).toHaveText(expected.p95);
  await expect(page.getByTestId("monitor-p99")).toHaveText(expected.p99);
  await expect(page.getByTestId("monitor-peak-memory")).toHaveText(expected.peakMemory);
  await expect(page.getByTestId("monitor-concurrency")).toHaveText(String(t.concurrency));

  // Each chart is a uPlot drawn on a canvas the width of its panel.
  for (const chart of ["calls", "duration", "cold", "memory", "concurrency"]) {
    const canvas = page.getByTestId(`monitor-chart-${chart}`).locator(".uplot canvas");
    await expect(canvas).toHaveCount(1);
    expect((await canvas.boundingBox())!.width).toBeGreaterThan(200);
  }
  // The view keeps itself current: another stats request comes without a click.
  await page.waitForRequest((r) => r.url().includes("/v1/stats"), { timeout: 15_000 });
  await shot("20-monitor");

  // The dark theme: the charts read their colours from the stylesheet, which changes with it.
  const axisColor = () =>
    page
      .getByTestId("monitor-chart-calls")
      .evaluate((el) => getComputedStyle(el).getPropertyValue("--chart-axis").trim());
  const light = await axisColor();
  await page.getByTestId("theme-toggle").click(); // system → light
  await page.getByTestId("theme-toggle").click(); // light → dark
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await axisColor()).not.toBe(light);
  await expect(page.getByTestId("monitor-chart-calls").locator(".uplot canvas")).toHaveCount(1);
  await shot("20b-monitor-dark");
  await page.getByTestId("theme-toggle").click(); // dark → system
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /./);
});

test("Logs: a failing call says TypeError; the cold call shows its init, its lines and its timeline", async () => {
  await go("logs");
  await page.getByTestId("logs-task").selectOption({ label: TASK });
  await page.getByTestId("logs-range-15m").click();

  const failing = answers.find((a) => !a.ok)!;
  const failed = page.getByTestId(`logs-group-${failing.requestId}`);
  await expect(failed.getByTestId("logs-outcome")).toHaveText("error TypeError");
  await expect(failed.getByTestId("logs-lines")).toContainText("TypeError: asked to fail");

  const cold = answers[0]!;
  const group = page.getByTestId(`logs-group-${cold.requestId}`);
  await expect(group.getByTestId("logs-init")).toContainText(msText(cold.initDurationMs!));
  await expect(group.getByTestId("logs-duration")).toHaveText(msText(cold.durationMs));
  await expect(group.getByTestId("logs-memory")).toHaveText(`${cold.maxMemoryUsedMb} / ${MEMORY_MB} MB`);
  await expect(group.getByTestId("logs-caller")).toContainText(PROFILE);
  await expect(group.getByTestId("logs-outcome")).toHaveText("ok");
  const lines = group.getByTestId("logs-lines");
  await expect(lines).toContainText(`START RequestId: ${cold.requestId}`);
  await expect(lines).toContainText("monitored says hello");
  await expect(lines).toContainText(`END RequestId: ${cold.requestId}`);
  await expect(lines).toContainText(`REPORT RequestId: ${cold.requestId}`);
  await expect(lines).toContainText(`Init Duration: ${round2(cold.initDurationMs!).toFixed(2)} ms`);
  // A warm call has no init.
  await expect(page.getByTestId(`logs-group-${answers[1]!.requestId}`).getByTestId("logs-init")).toHaveCount(
    0,
  );
  // Every call is a group, the throttled one too.
  await expect(page.locator('[data-testid^="logs-group-"]')).toHaveCount(answers.length + THROTTLES);
  await shot("21-logs");

  const [view] = await client.call("listInvocations", { task: TASK, invocation: cold.requestId });
  expect(view!.coldStart).toBe(true);
  await group.getByTestId("logs-open-timeline").click();
  const timeline = page.getByTestId("timeline");
  await expect(timeline).toBeVisible();
  for (const phase of ["vm", "load", "init", "handler"] as const) {
    await expect(timeline.getByTestId(`timeline-${phase}`)).toContainText(msText(view!.phases[phase]!));
  }
  await expect(timeline.getByTestId("timeline-vm")).toContainText(`VM (${view!.vmTake})`);
  await expect(timeline.getByTestId("timeline-total")).toContainText(msText(view!.totalMs));
  // The dialog stays on screen as the page scrolls; the picture is taken from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("22-timeline");
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("timeline-dialog")).toHaveCount(0);
});

test("Live: a call made elsewhere shows up in Logs without a reload", async () => {
  await page.getByTestId("logs-live").check();
  await expect(page.getByTestId("logs-status")).toContainText("live");
  const answer = await call({ from: "elsewhere" });
  await expect(page.getByTestId(`logs-group-${answer.requestId}`)).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId(`logs-group-${answer.requestId}`).getByTestId("logs-lines")).toContainText(
    "monitored says hello",
  );
  await page.getByTestId("logs-live").uncheck();
});

test("Invoke: a result's request id opens Logs on that call, its timeline open", async () => {
  await go("invoke");
  await page.getByTestId("invoke-task-select").selectOption({ label: TASK });
  await page.getByTestId("payload-editor").fill('{"mode": "slow", "ms": 50}');
  await page.getByTestId("run-button").click();
  await expect(page.getByTestId("result-state")).toHaveText("succeeded", { timeout: COLD });
  const requestId = (await page.getByTestId("result-request-id").textContent())!.trim();
  expect(requestId).not.toBe("");
  await page.getByTestId("result-request-id").click();
  await expect(page.getByTestId("view-logs")).toBeVisible();
  await expect(page.getByTestId("logs-request-id")).toHaveValue(requestId);
  await expect(page.getByTestId(`logs-group-${requestId}`)).toBeVisible();
  await expect(page.locator('[data-testid^="logs-group-"]')).toHaveCount(1);
  await expect(page.getByTestId("timeline-dialog")).toContainText(requestId);
  await expect(page.getByTestId("timeline").getByTestId("timeline-handler")).toBeVisible();
  await page.getByTestId("timeline-close").click();
  await expect(page.getByTestId("timeline-dialog")).toHaveCount(0);
});

test("Pool: the VM that served the pattern over time (memory, CPU, calls), and its last call opened in Logs", async () => {
  await go("pool");
  const history = page.getByTestId("pool-history");
  await expect(history).toBeVisible();
  // The VM that served the pattern, by the host's own answer (the profile's spare has served nothing).
  let vm = "";
  await expect(async () => {
    const host = await client.call("poolHistory", { since: "15m" });
    const served = host.vms.find((v) => v.points.some((p) => p.calls >= answers.length));
    expect(served).toBeDefined();
    vm = served!.vm;
  }).toPass({ timeout: 30_000 });
  const row = history.locator(`[data-testid="pool-history-row"][data-vm="${vm}"]`);
  await expect(async () => {
    const pss = Number((await row.getByTestId("pool-history-pss").textContent())!.replace(" MB", ""));
    const guest = Number((await row.getByTestId("pool-history-guest").textContent())!.replace(" MB", ""));
    const calls = Number(await row.getByTestId("pool-history-calls").textContent());
    expect(pss).toBeGreaterThan(10);
    expect(guest).toBeGreaterThan(10);
    expect(calls).toBeGreaterThanOrEqual(answers.length);
  }).toPass({ timeout: 30_000 });
  for (const chart of ["memory", "cpu", "load", "starts"]) {
    await expect(history.getByTestId(`pool-chart-${chart}`).locator("canvas")).toHaveCount(1);
  }
  await expect(history.getByTestId("pool-history-starts")).toContainText(/[1-9]\d* VM starts?/);
  await shot("23-pool-history");

  const pool = await client.call("pool", {});
  const last = pool.vms.find((v) => v.name === vm)?.lastRequestId;
  expect(typeof last).toBe("string");
  await page.getByTestId("vm-row").filter({ hasText: vm }).getByTestId("vm-last-call").click();
  await expect(page.getByTestId("view-logs")).toBeVisible();
  await expect(page.getByTestId("logs-request-id")).toHaveValue(last as string);
  await expect(page.getByTestId(`logs-group-${last as string}`)).toBeVisible();
  await page.getByTestId("timeline-close").click();
});

test("Tokens: a token's last call opens in Logs, its caller the token's label", async () => {
  await go("tokens");
  await expect(page.getByTestId(`token-calls-${token.id}`)).toContainText("(+1 refused)");
  await page.getByTestId(`token-last-call-${token.id}`).click();
  await expect(page.getByTestId("view-logs")).toBeVisible();
  await expect(page.getByTestId("logs-request-id")).toHaveValue(token.lastCall!);
  const group = page.getByTestId(`logs-group-${token.lastCall!}`);
  await expect(group.getByTestId("logs-caller")).toContainText("ci-bot");
  await page.getByTestId("timeline-close").click();
});

test("Export: set a collector in Monitor; a call arrives there as a span with its phases; turned off again", async () => {
  const spans: {
    name: string;
    spanId: string;
    parentSpanId?: string;
    attributes: { key: string; value: Record<string, unknown> }[];
  }[] = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: typeof spans }[] }[] };
      for (const r of doc.resourceSpans) for (const ss of r.scopeSpans) spans.push(...ss.spans);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const port = (receiver.address() as { port: number }).port;
  try {
    await go("monitor");
    await page.getByTestId("telemetry-panel").locator("summary").click();
    await expect(page.getByTestId("telemetry-status")).toHaveText("off");
    await page.getByTestId("telemetry-endpoint").fill(`http://127.0.0.1:${port}`);
    await page.getByTestId("telemetry-headers").fill("x-tenant=hearth-tests");
    await page.getByTestId("telemetry-save").click();
    await expect(page.getByTestId("telemetry-status")).toHaveText(`http://127.0.0.1:${port}/v1/traces`);
    await expect(page.getByTestId("telemetry-panel")).toContainText("Headers sent: x-tenant");
    const answer = await call({});
    await expect(async () => {
      const root = spans.find((s) =>
        s.attributes?.some((a) => a.key === "faas.invocation_id" && a.value.stringValue === answer.requestId),
      );
      expect(root?.name).toBe(TASK);
      const children = spans.filter((s) => s.parentSpanId === root!.spanId).map((s) => s.name);
      expect(children).toEqual(["queue", "handler", "transfer", "host"]);
    }).toPass({ timeout: 20_000 });
    await expect(page.getByTestId("telemetry-figures")).toContainText(/[1-9]\d* exported/, {
      timeout: 20_000,
    });
    await shot("24-telemetry");
    await page.getByTestId("telemetry-off").click();
    await expect(page.getByTestId("telemetry-status")).toHaveText("off");
  } finally {
    receiver.close();
  }
});

test("nothing went wrong in the page along the way", async () => {
  expect(problems).toEqual([]);
});
