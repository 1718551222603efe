// The client side of `npm run bench:peers`: one AWS SDK v3 LambdaClient per target, configured the same for all,
// timing InvokeCommand sequentially (per-call latency) and in closed loops at a fixed concurrency (throughput).
import { Agent } from "node:http";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";

export interface Endpoint {
  url: string;
  functionName: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface Sequential {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Answered invocations per second. */
  perSecond: number;
  failed: number;
  /** True when the time cap ended the run before all invocations were sent. */
  capped: boolean;
}

export interface Concurrent {
  concurrency: number;
  seconds: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
}

export const PAYLOAD = { hello: "world", n: 42 };
const payloadBytes = Buffer.from(JSON.stringify(PAYLOAD));

export function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.floor((p / 100) * (sorted.length - 1))]! : NaN;
}

/** The same client settings for every target: no retries (a failure counts), keep-alive, a per-call timeout. */
export function lambdaClient(e: Endpoint, timeoutMs = 60_000): LambdaClient {
  return new LambdaClient({
    endpoint: e.url,
    region: "us-east-1",
    credentials: e.credentials,
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
    },
  });
}

/** One invocation; resolves whether it answered the echo of PAYLOAD, never rejects. */
export async function invokeOnce(client: LambdaClient, functionName: string): Promise<boolean> {
  try {
    const r = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: payloadBytes }));
    if (r.StatusCode !== 200 || r.FunctionError || !r.Payload) return false;
    const body = JSON.parse(Buffer.from(r.Payload).toString("utf8")) as { echo?: { n?: unknown } };
    return body.echo?.n === PAYLOAD.n;
  } catch {
    return false;
  }
}

/** The first invocation, with the reason when it fails, so a broken target says why instead of counting 0s. */
export async function firstInvoke(client: LambdaClient, functionName: string): Promise<unknown> {
  const r = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: payloadBytes }));
  const text = r.Payload ? Buffer.from(r.Payload).toString("utf8") : "";
  if (r.StatusCode !== 200 || r.FunctionError) {
    throw new Error(`invoke answered ${r.StatusCode} ${r.FunctionError ?? ""}: ${text.slice(0, 500)}`);
  }
  const body = JSON.parse(text) as { echo?: unknown };
  if (JSON.stringify(body.echo) !== JSON.stringify(PAYLOAD))
    throw new Error(`not an echo: ${text.slice(0, 500)}`);
  return body;
}

export async function sequential(
  client: LambdaClient,
  functionName: string,
  count: number,
  capMs: number,
): Promise<Sequential> {
  const ms: number[] = [];
  let failed = 0;
  const started = performance.now();
  for (let i = 0; i < count && performance.now() - started < capMs; i++) {
    const s = performance.now();
    const ok = await invokeOnce(client, functionName);
    ms.push(performance.now() - s);
    if (!ok) failed++;
  }
  const elapsed = performance.now() - started;
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    n: ms.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    mean: ms.reduce((a, b) => a + b, 0) / (ms.length || 1),
    perSecond: ((ms.length - failed) / elapsed) * 1000,
    failed,
    capped: ms.length < count,
  };
}

/** `concurrency` loops, each sending its next invocation when the last answers, until `seconds` have passed. */
export async function closedLoop(
  client: LambdaClient,
  functionName: string,
  concurrency: number,
  seconds: number,
): Promise<Concurrent> {
  const ms: number[] = [];
  let failed = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const s = performance.now();
      const ok = await invokeOnce(client, functionName);
      ms.push(performance.now() - s);
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = performance.now() - started;
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    concurrency,
    seconds: elapsed / 1000,
    requests: ms.length,
    perSecond: ((ms.length - failed) / elapsed) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    failed,
  };
}
