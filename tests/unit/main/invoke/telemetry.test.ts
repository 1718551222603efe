// The trace export's setting: OpenTelemetry's environment variables, a setting that wins over them and survives a
// restart, records exported with their task's name, header values never shown back, a bad address refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvocationRecord } from "../../../../main/domain/metrics/invocation-record.ts";
import { InvocationMetrics } from "../../../../main/invoke/invocation-metrics.ts";
import { parseOtelHeaders, Telemetry, telemetryFromEnv } from "../../../../main/invoke/telemetry.ts";
import type { HearthStore } from "../../../../main/store/hearth-store.ts";

const store = {
  documents: {
    state: { tasks: [{ id: "tsk_1", name: "resize" }], aliases: [{ id: "als_1", name: "prod" }] },
  },
} as unknown as HearthStore;

const rec = (id: string): InvocationRecord => ({
  id,
  t: Date.now(),
  task: "tsk_1",
  owner: "prf_1",
  alias: "als_1",
  caller: "prf_1",
  via: { kind: "profile" },
  version: "1",
  outcome: "ok",
  cold: false,
  phases: { queue: 1, handler: 2, transfer: 0.5, host: 0.1 },
  total: 3.6,
  maxRssKb: 1000,
  memoryMb: 128,
  concurrency: 1,
});

test("OpenTelemetry's environment variables name the collector and its headers", () => {
  assert.equal(telemetryFromEnv({}), null);
  assert.deepEqual(telemetryFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }), {
    otlpEndpoint: "http://c:4318/v1/traces",
    otlpHeaders: {},
  });
  assert.equal(
    telemetryFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t/x",
    })?.otlpEndpoint,
    "http://t/x",
  );
  assert.deepEqual(parseOtelHeaders("api-key=a%3Db, x-tenant = 7,broken"), {
    "api-key": "a=b",
    "x-tenant": "7",
  });
});

test("a setting exports each record with its names, survives a restart and hides header values", async () => {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      bodies.push({ url: req.url, key: req.headers["api-key"], json: JSON.parse(body) as unknown });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "hearth-telemetry-"));
  const metrics = new InvocationMetrics({ dir: join(dir, "m"), maxBytes: 1024 * 1024 });
  await metrics.open();
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:1" };
  const t = new Telemetry(dir, metrics, store, env);
  await t.start();
  assert.equal(t.view().source, "environment");
  await assert.rejects(
    t.configure({ otlpEndpoint: "file:///etc/passwd", otlpHeaders: {} }),
    (e: Error & { field?: string }) => e.field === "otlpEndpoint",
  );
  assert.equal(t.view().source, "environment", "a refused setting changes nothing");
  const v = await t.configure({
    otlpEndpoint: `http://127.0.0.1:${port}`,
    otlpHeaders: { "api-key": "s3cret" },
  });
  assert.equal(v.tracesUrl, `http://127.0.0.1:${port}/v1/traces`);
  assert.deepEqual(v.otlpHeaderNames, ["api-key"]);
  assert.ok(!JSON.stringify(v).includes("s3cret"));
  metrics.record(rec("r1"));
  metrics.record(rec("r2"));
  await t.flush();
  assert.equal(bodies.length, 1);
  const b = bodies[0] as {
    url: string;
    key: string;
    json: { resourceSpans: { scopeSpans: { spans: { name: string; parentSpanId?: string }[] }[] }[] };
  };
  assert.equal(b.url, "/v1/traces");
  assert.equal(b.key, "s3cret");
  const spans = b.json.resourceSpans[0]!.scopeSpans[0]!.spans;
  assert.deepEqual(
    spans.filter((s) => !s.parentSpanId).map((s) => s.name),
    ["resize:prod", "resize:prod"],
  );
  assert.equal(spans.length, 2 * 5);
  await t.close();

  // A restart follows the setting, not the environment.
  const again = new Telemetry(dir, metrics, store, env);
  await again.start();
  assert.equal(again.view().source, "setting");
  assert.equal(again.view().otlpEndpoint, `http://127.0.0.1:${port}`);
  const off = await again.configure({ otlpEndpoint: null, otlpHeaders: {} });
  assert.equal(off.figures, null);
  metrics.record(rec("r3"));
  await again.flush();
  assert.equal(bodies.length, 1, "nothing is sent once the export is off");
  await again.close();
  server.close();
});
