// InvokeWithResponseStream on the local port, read by the AWS SDK, over a host whose scheduler plays a streaming
// handler: chunks as they are written, then InvokeComplete; refusals as Invoke's; plain Invoke gets them joined.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  type InvokeWithResponseStreamCommandOutput,
} from "@aws-sdk/client-lambda";
import { createProfile } from "../../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../../main/domain/tasks/tasks.ts";
import type { Execution, RunOutcome } from "../../../../../main/invoke/sandbox-scheduler.ts";
import type { InvokeOptions } from "../../../../../main/vm/guest-session.ts";
import { startServer } from "../../../../../main/http/server.ts";
import { systemRandom } from "../../../../../main/store/system-random.ts";
import { stubHost } from "../../app/stub-host.ts";

/** What the played handler does, by its event. */
interface Play {
  chunks?: string[];
  gapMs?: number;
  /** Fails after its chunks, with this error type. */
  fail?: string;
  /** Answers this JSON, not streaming. */
  answer?: unknown;
}

async function streamingPort(t: TestContext) {
  const { host } = await stubHost(t);
  const seen: InvokeOptions[] = [];
  const base = (exec: Execution, requestId: string): RunOutcome => ({
    requestId,
    ok: true,
    durationMs: 1,
    roundTripMs: 1,
    maxRssKb: 2048,
    servedVersion: exec.spec.functionVersion,
    servedConfigKey: exec.configKey,
    vm: "vm",
    coldStart: false,
    queuedMs: 0,
    concurrency: 1,
  });
  (host.scheduler as unknown as { run: unknown }).run = async (
    exec: Execution,
    payload: string,
    o: InvokeOptions,
  ): Promise<RunOutcome> => {
    seen.push(o);
    const play = JSON.parse(payload) as Play;
    o.onLog?.({ stream: "stdout", line: "handler says hi" });
    const r = base(exec, o.requestId!);
    if (play.answer !== undefined) return { ...r, payload: JSON.stringify(play.answer) };
    const parts: Buffer[] = [];
    for (const c of play.chunks ?? []) {
      await new Promise((res) => setTimeout(res, play.gapMs ?? 0));
      const data = Buffer.from(c);
      if (o.onChunk)
        await o.onChunk({ data, contentType: "text/plain", functionVersion: exec.spec.functionVersion });
      else parts.push(data);
    }
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    const streamed = { contentType: "text/plain", bytes };
    if (play.fail) {
      return {
        ...r,
        ok: false,
        error: { errorType: play.fail, errorMessage: "went wrong", trace: [] },
        streamed,
      };
    }
    if (o.onChunk) return { ...r, payload: "", streamed };
    const body = Buffer.concat(parts);
    return { ...r, payload: body.toString("utf8"), body, streamed };
  };
  const store = host.store;
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const { profile, credentials } = await store.documents.update((s) =>
    createProfile(s, { name: "sam" }, ctx()),
  );
  await store.documents.update((s) =>
    createTask(
      s,
      profile.id,
      { name: "streamer", runtime: "nodejs", handler: "i.h", code: { sha256: "5".repeat(64), size: 1 } },
      ctx(),
    ),
  );
  const server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  t.after(() => server.close());
  const port = (server.server.address() as { port: number }).port;
  const lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
  });
  t.after(() => lambda.destroy());
  return { lambda, seen };
}

const stream = (
  play: Play,
  extra: Partial<ConstructorParameters<typeof InvokeWithResponseStreamCommand>[0]> = {},
) =>
  new InvokeWithResponseStreamCommand({
    FunctionName: "streamer",
    Payload: new TextEncoder().encode(JSON.stringify(play)),
    ...extra,
  });

/** The events as the SDK decodes them, each with when it arrived (ms after `t0`). */
async function events(out: InvokeWithResponseStreamCommandOutput, t0 = performance.now()) {
  const got: { at: number; chunk?: string; complete?: Record<string, string | undefined> }[] = [];
  for await (const e of out.EventStream!) {
    const at = performance.now() - t0;
    if (e.PayloadChunk) got.push({ at, chunk: Buffer.from(e.PayloadChunk.Payload ?? []).toString("utf8") });
    if (e.InvokeComplete) got.push({ at, complete: { ...e.InvokeComplete } });
  }
  return got;
}

test("each chunk arrives as a PayloadChunk while the handler still writes, then InvokeComplete", async (t) => {
  const { lambda } = await streamingPort(t);
  const t0 = performance.now();
  const out = await lambda.send(stream({ chunks: ["a", "bb", "ccc"], gapMs: 150 }));
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, "$LATEST");
  assert.equal(out.ResponseStreamContentType, "application/vnd.amazon.eventstream");
  const got = await events(out, t0);
  assert.deepEqual(
    got.map((e) => e.chunk ?? "complete"),
    ["a", "bb", "ccc", "complete"],
  );
  assert.deepEqual(got.at(-1)!.complete, {});
  // The chunks were 150 ms apart at the handler, and so they are at the client: the first long before the end.
  const times = got.map((e) => e.at.toFixed(0)).join(", ");
  assert.ok(got[3]!.at - got[0]!.at > 250, `events arrived at ${times} ms`);
  assert.ok(got[2]!.at - got[1]!.at > 100, `events arrived at ${times} ms`);
});

test("a handler that fails after writing ends with InvokeComplete naming the error; Tail adds the log", async (t) => {
  const { lambda } = await streamingPort(t);
  const got = await events(
    await lambda.send(stream({ chunks: ["part"], fail: "Error" }, { LogType: "Tail" })),
  );
  assert.equal(got[0]!.chunk, "part");
  const c = got[1]!.complete!;
  assert.equal(c.ErrorCode, "Error");
  assert.equal(c.ErrorDetails, "went wrong");
  const log = Buffer.from(c.LogResult ?? "", "base64").toString("utf8");
  assert.match(log, /^START RequestId: \S+ Version: \$LATEST\nhandler says hi\nEND RequestId: /);
  assert.match(log, /REPORT RequestId: /);
});

test("a handler that does not stream arrives as one chunk holding its JSON", async (t) => {
  const { lambda } = await streamingPort(t);
  const got = await events(await lambda.send(stream({ answer: { ok: 1 } })));
  assert.deepEqual(
    got.map((e) => e.chunk ?? "complete"),
    ['{"ok":1}', "complete"],
  );
});

test("plain Invoke of a streaming handler gets the chunks joined into its payload", async (t) => {
  const { lambda, seen } = await streamingPort(t);
  const r = await lambda.send(
    new InvokeCommand({
      FunctionName: "streamer",
      Payload: new TextEncoder().encode(JSON.stringify({ chunks: ["x", "y", "z"] })),
    }),
  );
  assert.equal(Buffer.from(r.Payload ?? []).toString(), "xyz");
  assert.equal(seen[0]!.onChunk, undefined);
});

test("refusals before the stream are Invoke's errors; the client context reaches the handler, checked", async (t) => {
  const { lambda, seen } = await streamingPort(t);
  await assert.rejects(
    lambda.send(stream({}, { FunctionName: "nope" })),
    (e: Error) => e.name === "ResourceNotFoundException",
  );
  await assert.rejects(
    lambda.send(stream({}, { InvocationType: "Event" as never })),
    (e: Error) => e.name === "InvalidParameterValueException" && /RequestResponse or DryRun/.test(e.message),
  );
  const dry = await lambda.send(stream({}, { InvocationType: "DryRun" }));
  assert.equal(dry.StatusCode, 204);
  assert.equal(seen.length, 0);
  const context = Buffer.from(JSON.stringify({ custom: { k: "v" } })).toString("base64");
  await events(await lambda.send(stream({ chunks: ["c"] }, { ClientContext: context })));
  assert.equal(seen[0]!.clientContext, '{"custom":{"k":"v"}}');
  await assert.rejects(
    lambda.send(stream({}, { ClientContext: Buffer.from("[1]").toString("base64") })),
    (e: Error) => e.name === "InvalidParameterValueException" && /X-Amz-Client-Context/.test(e.message),
  );
});
