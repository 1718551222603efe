// Load on the local port with autocannon: warm echo-node invocations at concurrency 1, 8 and 32, through the native
// API (Basic access key) and Lambda's Invoke (SigV4), the server in a process of its own.
// Run: npm run bench:http [-- --duration 10]
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { SignatureV4 } from "@smithy/signature-v4";
import autocannon from "autocannon";
import { NodeSha256 } from "../main/http/lambda/sigv4-verify.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "1,8,32" },
  },
});
const duration = Number(values.duration);
const levels = values.connections.split(",").map(Number);
const payload = JSON.stringify({ hello: "world", n: 42 });

const child = spawn(process.execPath, ["--import", "tsx", "bench/http-server.ts"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const exited = new Promise((r) => child.on("exit", r));
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).once("line", resolve);
  child.once("exit", (code) => reject(new Error(`the bench server exited ${code}`)));
});
const server = JSON.parse(first) as {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  accel: string;
};

/** One SigV4 signature, replayed: the server accepts a signed request for 15 minutes, as AWS does. */
async function lambdaHeaders(): Promise<Record<string, string>> {
  const u = new URL(server.url);
  const signer = new SignatureV4({
    service: "lambda",
    region: "us-east-1",
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    sha256: NodeSha256,
  });
  const signed = await signer.sign({
    method: "POST",
    protocol: "http:",
    hostname: u.hostname,
    port: Number(u.port),
    path: "/2015-03-31/functions/echo/invocations",
    headers: { host: u.host, "content-type": "application/json" },
    body: payload,
  });
  return signed.headers as Record<string, string>;
}

/** Waits until the profile's VMs have all been ready (none booting) for three seconds in a row. */
async function settled(headers: Record<string, string>): Promise<void> {
  let quiet = 0;
  for (let i = 0; i < 240 && quiet < 6; i++) {
    const pool = (await (await fetch(`${server.url}/v1/pool`, { headers })).json()) as {
      vms: { state: string }[];
    };
    quiet = pool.vms.some((v) => v.state === "booting") ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Row {
  route: string;
  connections: number;
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function run(route: string, path: string, headers: Record<string, string>, connections: number) {
  const r = await autocannon({
    url: `${server.url}${path}`,
    method: "POST",
    headers,
    body: payload,
    connections,
    duration,
  });
  const row: Row = {
    route,
    connections,
    requests: r.requests.total,
    perSecond: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  return row;
}

const rows: Row[] = [];
try {
  const basic = `Basic ${Buffer.from(`${server.accessKeyId}:${server.secretAccessKey}`).toString("base64")}`;
  const native = { authorization: basic, "content-type": "application/json" };
  // Warm up: one invocation loads the first sandbox; a round at 32 connections grows the parallel sandboxes
  // (and the VMs under them); then wait until no VM is still booting, so no row pays for the warm-up.
  const first = await fetch(`${server.url}/v1/invoke?task=echo`, {
    method: "POST",
    headers: native,
    body: payload,
  });
  if (!first.ok) throw new Error(`the first invocation failed: ${first.status} ${await first.text()}`);
  await autocannon({
    url: `${server.url}/v1/invoke?task=echo`,
    method: "POST",
    headers: native,
    body: payload,
    connections: 32,
    duration: 15,
    timeout: 60,
  });
  await settled(native);
  for (const c of levels) rows.push(await run("native /v1/invoke", "/v1/invoke?task=echo", native, c));
  const lambda = await lambdaHeaders();
  for (const c of levels) {
    rows.push(await run("Lambda Invoke", "/2015-03-31/functions/echo/invocations", lambda, c));
  }
} finally {
  child.kill("SIGTERM");
  await exited;
}

const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, accel: server.accel };
mkdirSync("bench-results", { recursive: true });
writeFileSync("bench-results/http.json", `${JSON.stringify({ machine, duration, rows }, null, 2)}\n`);
const table = [
  `Warm echo-node over HTTP with autocannon, ${duration} s per row (${machine.cores} cores, ${machine.accel}):`,
  "",
  "| route | connections | requests | req/s | p50 ms | p90 ms | p99 ms | errors | non-2xx |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.route} | ${r.connections} | ${r.requests} | ${r.perSecond.toFixed(0)} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
  ),
  "",
].join("\n");
writeFileSync("bench-results/http.md", table);
process.stdout.write(table);
