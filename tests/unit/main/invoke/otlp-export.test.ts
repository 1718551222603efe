// OTLP export: the spans a collector receives, a collector that fails, the endpoint rules, and a cheap export().
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { OtlpExporter, otlpTracesUrl } from "../../../../main/invoke/otlp-export.ts";
import type { OtlpSpan } from "../../../../main/invoke/otlp-export.ts";
import type { InvocationRecord } from "../../../../main/domain/metrics/invocation-record.ts";
import { HearthError } from "../../../../main/domain/model/errors.ts";

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
    }[];
  };
}

/** A collector on a free local port that answers every POST with `status`. */
async function receiver(status = 200) {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Received["body"],
      });
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    got,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// A fractional start (exact in a double) past 2^53 ns: a Number holding the nanoseconds would round it.
const T = 1_700_000_000_123.25;

function record(over: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    id: "req-warm",
    t: T,
    task: "tsk_0123456789abcdef",
    owner: "alice",
    caller: "alice",
    via: { kind: "token", label: "ci" },
    version: "3",
    outcome: "ok",
    cold: false,
    phases: { queue: 0.5, handler: 10, transfer: 1.25, host: 0.25 },
    total: 12,
    maxRssKb: 40_000,
    memoryMb: 128,
    concurrency: 1,
    ...over,
  };
}

const WARM = record();
const COLD = record({
  id: "req-cold",
  t: T + 5,
  cold: true,
  vm: "vm-7",
  take: "booted",
  served: "2",
  phases: { queue: 1, vm: 50, load: 20, init: 30, handler: 5, transfer: 2, host: 1 },
  total: 109,
});
// Phases whose float sum is not exactly the total (0.1 + 0.2 + 0.3 + 0.4): rounding must not leave a gap.
const FAILED = record({
  id: "req-error",
  t: T + 9,
  outcome: "error",
  errorType: "TypeError",
  phases: { queue: 0.1, handler: 0.2, transfer: 0.3, host: 0.4 },
  total: 1,
});

function attr(span: OtlpSpan, key: string) {
  return span.attributes?.find((a) => a.key === key)?.value;
}

test("flushed records reach the collector as one root span and contiguous phase spans each", async () => {
  const r = await receiver();
  try {
    const exporter = new OtlpExporter({
      endpoint: r.endpoint,
      headers: { "X-Api-Key": "k1" },
      flushMs: 60_000,
      maxBatch: 2,
    });
    exporter.export(WARM, { task: "resize" });
    exporter.export(COLD, { task: "resize", alias: "live" });
    exporter.export(FAILED, { task: "resize" });
    await exporter.flush();

    // Two records per POST: two POSTs, both to OTLP's default path.
    assert.equal(r.got.length, 2);
    for (const req of r.got) {
      assert.equal(req.method, "POST");
      assert.equal(req.url, "/v1/traces");
      assert.match(String(req.headers["content-type"]), /^application\/json/);
      assert.equal(req.headers["x-api-key"], "k1");
      const rs = req.body.resourceSpans[0]!;
      assert.deepEqual(rs.resource.attributes, [{ key: "service.name", value: { stringValue: "hearth" } }]);
      assert.equal(rs.scopeSpans[0]!.scope.name, "hearth");
    }
    const spans = r.got.flatMap((req) => req.body.resourceSpans[0]!.scopeSpans[0]!.spans);
    const roots = spans.filter((s) => s.parentSpanId === undefined);
    assert.deepEqual(
      roots.map((s) => attr(s, "faas.invocation_id")),
      [{ stringValue: "req-warm" }, { stringValue: "req-cold" }, { stringValue: "req-error" }],
    );
    assert.equal(new Set(roots.map((s) => s.traceId)).size, 3);

    const expected: Record<string, { name: string; children: string[]; cold: boolean; total: bigint }> = {
      "req-warm": {
        name: "resize",
        children: ["queue", "handler", "transfer", "host"],
        cold: false,
        total: 12n,
      },
      "req-cold": {
        name: "resize:live",
        children: ["queue", "vm (booted)", "load", "init", "handler", "transfer", "host"],
        cold: true,
        total: 109n,
      },
      "req-error": {
        name: "resize",
        children: ["queue", "handler", "transfer", "host"],
        cold: false,
        total: 1n,
      },
    };
    for (const root of roots) {
      const id = (attr(root, "faas.invocation_id") as { stringValue: string }).stringValue;
      const want = expected[id]!;
      assert.equal(root.name, want.name);
      assert.equal(root.kind, 2);
      assert.match(root.traceId, /^[0-9a-f]{32}$/);
      assert.match(root.spanId, /^[0-9a-f]{16}$/);
      assert.deepEqual(attr(root, "faas.coldstart"), { boolValue: want.cold });
      const start = BigInt(root.startTimeUnixNano);
      const end = BigInt(root.endTimeUnixNano);
      assert.equal(end - start, want.total * 1_000_000n);

      const children = spans.filter((s) => s.parentSpanId === root.spanId);
      assert.deepEqual(
        children.map((s) => s.name),
        want.children,
      );
      let at = start;
      for (const child of children) {
        assert.equal(child.traceId, root.traceId);
        assert.equal(child.kind, 1);
        assert.match(child.spanId, /^[0-9a-f]{16}$/);
        assert.equal(
          BigInt(child.startTimeUnixNano),
          at,
          `${id} ${child.name} starts where the last phase ended`,
        );
        assert.ok(BigInt(child.endTimeUnixNano) >= at);
        at = BigInt(child.endTimeUnixNano);
      }
      assert.equal(at, end, `${id}: the last phase ends with the call`);
    }
    // Every span belongs to one of the three calls: 3 roots, 4 + 7 + 4 phases.
    assert.equal(spans.length, 3 + 4 + 7 + 4);

    const warm = roots[0]!;
    assert.equal(warm.startTimeUnixNano, "1700000000123250000");
    assert.deepEqual(warm.status, { code: 1 });
    assert.deepEqual(attr(warm, "faas.max_memory"), { intValue: String(128 * 1024 * 1024) });
    assert.deepEqual(attr(warm, "hearth.max_memory_used_mb"), { intValue: "40" });
    assert.deepEqual(attr(warm, "hearth.caller.label"), { stringValue: "ci" });
    assert.deepEqual(attr(warm, "faas.version"), { stringValue: "3" });
    assert.equal(attr(warm, "hearth.vm"), undefined);
    const cold = roots[1]!;
    assert.deepEqual(attr(cold, "faas.version"), { stringValue: "2" }, "the version that answered");
    assert.deepEqual(attr(cold, "hearth.vm_take"), { stringValue: "booted" });
    const failed = roots[2]!;
    assert.deepEqual(failed.status, { code: 2, message: "TypeError" });
    assert.deepEqual(attr(failed, "hearth.error_type"), { stringValue: "TypeError" });

    assert.deepEqual(exporter.figures, { exported: 3, dropped: 0, failedBatches: 0 });
    await exporter.close();
  } finally {
    await r.close();
  }
});

test("the timer sends queued records without a flush", async () => {
  const r = await receiver();
  try {
    const exporter = new OtlpExporter({ endpoint: r.endpoint, flushMs: 20 });
    exporter.export(WARM, { task: "resize" });
    for (let i = 0; i < 100 && r.got.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(r.got.length, 1);
    await exporter.close();
    assert.equal(exporter.figures.exported, 1);
  } finally {
    await r.close();
  }
});

test("a collector answering 500 costs the batch, is logged once, and never reaches the caller", async () => {
  const r = await receiver(500);
  try {
    const said: string[] = [];
    const exporter = new OtlpExporter({
      endpoint: r.endpoint,
      flushMs: 60_000,
      log: (m) => void said.push(m),
    });
    exporter.export(WARM, { task: "resize" });
    exporter.export(COLD, { task: "resize" });
    await exporter.flush();
    assert.equal(r.got.length, 1);
    assert.equal(exporter.figures.failedBatches, 1);
    assert.equal(exporter.figures.exported, 0);
    assert.equal(exporter.figures.dropped, 2);
    assert.equal(exporter.figures.lastError, "HTTP 500");
    assert.equal(said.length, 1);
    assert.match(said[0]!, /OTLP export .* failed: HTTP 500/);
    // A second failure within the minute is counted but not logged again.
    exporter.export(FAILED, { task: "resize" });
    await exporter.close();
    assert.equal(exporter.figures.failedBatches, 2);
    assert.equal(said.length, 1);
  } finally {
    await r.close();
  }
});

test("a network error is counted like a failed answer", async () => {
  const said: string[] = [];
  const exporter = new OtlpExporter({
    endpoint: "http://127.0.0.1:4318",
    flushMs: 60_000,
    fetch: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:4318")),
    log: (m) => void said.push(m),
  });
  exporter.export(WARM, { task: "resize" });
  await exporter.flush();
  assert.equal(exporter.figures.failedBatches, 1);
  assert.match(exporter.figures.lastError ?? "", /ECONNREFUSED/);
  assert.equal(said.length, 1);
});

test("the endpoint gets OTLP's default path, keeps a path it names, and refuses other schemes and credentials", () => {
  assert.equal(otlpTracesUrl("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/traces");
  assert.equal(otlpTracesUrl("https://otel.example.com/"), "https://otel.example.com/v1/traces");
  assert.equal(
    otlpTracesUrl("https://otel.example.com/ingest/traces"),
    "https://otel.example.com/ingest/traces",
  );
  const refused = (endpoint: string) =>
    assert.throws(
      () => otlpTracesUrl(endpoint),
      (err: unknown) =>
        err instanceof HearthError && err.code === "INVALID_INPUT" && err.field === "otlpEndpoint",
    );
  refused("ftp://127.0.0.1:4318");
  refused("http://user:pass@127.0.0.1:4318");
  refused("http://token@127.0.0.1:4318");
  refused("not a url");
  // The constructor applies the same rules, and refuses headers that could split a request.
  assert.throws(() => new OtlpExporter({ endpoint: "ftp://x" }), { field: "otlpEndpoint" });
  assert.throws(() => new OtlpExporter({ endpoint: "http://x", headers: { "bad name": "v" } }), {
    field: "otlpHeaders",
  });
  assert.throws(() => new OtlpExporter({ endpoint: "http://x", headers: { "x-key": "v\r\nHost: y" } }), {
    field: "otlpHeaders",
  });
});

test("a full queue drops its oldest records and counts them", async () => {
  const r = await receiver();
  try {
    const exporter = new OtlpExporter({ endpoint: r.endpoint, flushMs: 60_000, maxQueue: 5 });
    for (let i = 0; i < 8; i++) exporter.export(record({ id: `req-${i}` }), { task: "resize" });
    assert.equal(exporter.figures.dropped, 3);
    await exporter.flush();
    const roots = r.got
      .flatMap((req) => req.body.resourceSpans[0]!.scopeSpans[0]!.spans)
      .filter((s) => s.parentSpanId === undefined);
    assert.deepEqual(
      roots.map((s) => attr(s, "faas.invocation_id")),
      [3, 4, 5, 6, 7].map((i) => ({ stringValue: `req-${i}` })),
    );
    assert.deepEqual(exporter.figures, { exported: 5, dropped: 3, failedBatches: 0 });
    await exporter.close();
  } finally {
    await r.close();
  }
});

test("export() only queues: 10,000 records take well under the time encoding them takes, and nothing is sent on the spot", async () => {
  let posts = 0;
  const exporter = new OtlpExporter({
    endpoint: "http://127.0.0.1:4318",
    flushMs: 60_000,
    maxQueue: 20_000,
    fetch: () => {
      posts++;
      return Promise.resolve(new Response(null, { status: 200 }));
    },
  });
  const records = Array.from({ length: 10_000 }, (_, i) => record({ id: `req-${i}` }));
  // A warm-up on another exporter, so the figure is the queueing and not the first compilation of export().
  const warmUp = new OtlpExporter({
    endpoint: "http://127.0.0.1:4318",
    flushMs: 60_000,
    maxQueue: 100,
    fetch: () => Promise.resolve(new Response(null, { status: 200 })),
  });
  for (const rec of records.slice(0, 1000)) warmUp.export(rec, { task: "resize" });
  await warmUp.close();
  const started = performance.now();
  for (const rec of records) exporter.export(rec, { task: "resize" });
  const took = performance.now() - started;
  // Encoding them into spans took about 650 ms here; queueing takes a few. The bound leaves room for a busy machine.
  assert.ok(took < 200, `export() of 10,000 records took ${took.toFixed(1)} ms`);
  assert.equal(posts, 0);
  await exporter.close();
  // 10,000 records in batches of 512.
  assert.equal(posts, Math.ceil(10_000 / 512));
  assert.equal(exporter.figures.exported, 10_000);
});
