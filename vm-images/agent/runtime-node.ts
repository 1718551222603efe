// The Node.js runtime of a sandbox: loads one handler, then serves invocations from the host on its own port.
import { existsSync, writeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { finished } from "node:stream/promises";
import {
  MAX_RESULT_BYTES,
  responseTooLargeError,
  streamTooLargeError,
  type InvokeFrame,
  type LambdaError,
} from "../../main/vm/protocol.ts";
import { PortIO } from "./port-io.ts";
import { installAwsLambdaGlobal, ResponseStream, streamingOf, type ChunkSink } from "./response-stream.ts";
import { serveBootstrap } from "./runtime-provided.ts";

type Handler = (event: unknown, context: Record<string, unknown>, callback?: unknown) => unknown;

/**
 * The runtime starts with a clean environment (a prewarmed one even before its task existed): it waits here for
 * one line on stdin, the task's whole environment and the folder its code is in, then goes on as a runtime
 * started for that task. So nothing in a task's environment can steer how Node.js itself started.
 */
async function awaitTask(): Promise<void> {
  if (process.env._HEARTH_TASK_ON_STDIN !== "1") return;
  let text = "";
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    text += chunk.toString("utf8");
    if (text.includes("\n")) break;
  }
  process.stdin.destroy();
  const task = JSON.parse(text.slice(0, text.indexOf("\n"))) as { env: Record<string, string>; cwd: string };
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, task.env);
  process.chdir(task.cwd);
}
// ---- the guest's own timeout: a watchdog thread that still runs when a handler blocks the event loop ----
// The host enforces timeouts too; this one holds when the host is gone. An odd counter means "an invocation is
// running". The thread looks every WATCHDOG_TICK_MS instead of being woken, so an invocation costs two atomic
// adds and no system call (a wake-up per invocation cost a context switch on the VM's one vCPU). The grace lets
// the host's kill win normally.
const WATCHDOG_GRACE_MS = 250;
const WATCHDOG_TICK_MS = 250;
const watchdogMemory = new SharedArrayBuffer(16);
const inFlight = new Int32Array(watchdogMemory, 0, 1);
const deadlineAt = new Float64Array(watchdogMemory, 8, 1);
/**
 * Started before the task is known (a prewarmed runtime starts it while it waits for one): a new thread's start is
 * a V8 isolate's, seconds under TCG on a busy vCPU, and started after the handler reported up it competed with the
 * sandbox's first call, which then overran a 3 s timeout during deploys under load.
 */
function startWatchdog(): void {
  const watchdog = new Worker(
    `const { workerData } = require("node:worker_threads");
     const { writeSync } = require("node:fs");
     const running = new Int32Array(workerData.memory, 0, 1);
     const deadlineAt = new Float64Array(workerData.memory, 8, 1);
     const sleep = new Int32Array(new SharedArrayBuffer(4));
     for (;;) {
       Atomics.wait(sleep, 0, 0, workerData.tick);
       const seq = Atomics.load(running, 0);
       if (seq % 2 === 0 || Date.now() < deadlineAt[0]) continue;
       if (Atomics.load(running, 0) !== seq) continue;
       try { writeSync(3, '{"timeout":true}\\n'); } catch {}
       process.kill(process.pid, "SIGKILL");
     }`,
    { eval: true, workerData: { memory: watchdogMemory, tick: WATCHDOG_TICK_MS } },
  );
  watchdog.unref();
}

// Under a debugger, time stands still while it is paused: the host keeps the timeout then, and stops its clock
// while the inspector says paused; this thread could not tell a breakpoint from a loop.
if (!process.execArgv.some((a) => a.startsWith("--inspect"))) startWatchdog();

await awaitTask();

/** A `provided` task's runtime serves its `bootstrap` the Lambda Runtime API instead of loading a handler. */
const customRuntime = process.env._HEARTH_BOOTSTRAP === "1";
delete process.env._HEARTH_BOOTSTRAP;

const env = process.env;
const portPath = env._HEARTH_PORT ?? "";
const handlerSpec = env._HANDLER ?? "index.handler";
const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? "";
const functionVersion = env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST";
const memoryMb = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128";
// Hearth's own wiring is not the task's business.
if (!customRuntime) {
  delete env._HEARTH_PORT;
  delete env._HEARTH_TIMEOUT_MS;
}

/** Tells the agent (fd 3) whether the handler loaded; the agent answers the host's load request with it. */
function status(msg: { up: boolean; error?: LambdaError }): void {
  try {
    writeSync(3, `${JSON.stringify(msg)}\n`);
  } catch {
    // started by hand, without the agent
  }
}

export function toLambdaError(err: unknown, fallbackType = "Error"): LambdaError {
  if (err instanceof Error) {
    const type = err.name && err.name !== "Error" ? err.name : (err.constructor?.name ?? fallbackType);
    return {
      errorType: type,
      errorMessage: err.message,
      trace: (err.stack ?? "").split("\n").filter(Boolean),
    };
  }
  return {
    errorType: typeof err === "string" ? "string" : fallbackType,
    errorMessage: String(err),
    trace: [],
  };
}

class InitError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

async function loadHandler(): Promise<Handler> {
  const dot = handlerSpec.lastIndexOf(".");
  if (dot <= 0)
    throw new InitError(
      "Runtime.MalformedHandlerName",
      `Bad handler "${handlerSpec}": expected module.export`,
    );
  const modulePath = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const file = [".js", ".mjs", ".cjs"]
    .map((ext) => join(taskRoot, modulePath + ext))
    .find((f) => existsSync(f));
  if (!file) throw new InitError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`);
  let ns: Record<string, unknown>;
  try {
    ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = toLambdaError(err);
    throw new InitError("Runtime.ImportModuleError", `${e.errorType}: ${e.errorMessage}`);
  }
  const fromDefault = (ns.default as Record<string, unknown> | undefined)?.[exportName];
  const fn = ns[exportName] ?? fromDefault;
  if (typeof fn !== "function") {
    throw new InitError("Runtime.HandlerNotFound", `${handlerSpec} is undefined or not exported`);
  }
  return fn as Handler;
}

// ---- log capture: every line written while an invocation runs is a log frame tagged with its id ----
let port: PortIO | null = null;
let currentId = "";
const partial = { stdout: "", stderr: "" };

function emitLine(stream: "stdout" | "stderr", line: string): void {
  port?.send({ t: "log", id: currentId, stream, line });
}

function capture(stream: "stdout" | "stderr", chunk: unknown, encoding?: unknown): void {
  const text =
    typeof chunk === "string"
      ? chunk
      : Buffer.from(chunk as Uint8Array).toString(
          typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
        );
  let buf = partial[stream] + text;
  let nl: number;
  while ((nl = buf.indexOf("\n")) >= 0) {
    emitLine(stream, buf.slice(0, nl));
    buf = buf.slice(nl + 1);
  }
  if (buf.length > 16384) {
    emitLine(stream, buf);
    buf = "";
  }
  partial[stream] = buf;
}

function flush(): void {
  for (const stream of ["stdout", "stderr"] as const) {
    if (partial[stream]) emitLine(stream, partial[stream]);
    partial[stream] = "";
  }
}

function captureOutput(): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const target = process[stream];
    target.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
      capture(stream, chunk, encoding);
      const done = typeof encoding === "function" ? encoding : cb;
      if (typeof done === "function") queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof target.write;
  }
}

// ---- invocations run one at a time, in arrival order, as in a Lambda execution environment ----
const queue: InvokeFrame[] = [];
let running = false;
let handler: Handler;
/** Set when the handler was wrapped in awslambda.streamifyResponse: its response streams as chunk frames. */
let streaming: { highWaterMark?: number } | null = null;

/**
 * Bytes queued on the port past which a streaming handler's writes wait for the host to take them: its
 * `write()` then returns false and its `drain` comes later, as with any slow socket.
 */
const PORT_BACKLOG_BYTES = 256 * 1024;

/** Sends one invocation's chunks; a chunk written after its invocation ended goes nowhere. */
function chunkSink(id: string): ChunkSink {
  return (data, contentType) => {
    if (currentId !== id || !port) return;
    const b64 = data.toString("base64");
    port.send(
      contentType === undefined ? { t: "chunk", id, data: b64 } : { t: "chunk", id, data: b64, contentType },
    );
    if (port.backlog > PORT_BACKLOG_BYTES) return port.flushed();
  };
}

/**
 * Runs a streaming handler: the response is what it writes to the stream, complete when its promise settles and
 * the stream has sent everything (a stream the handler left open is ended for it, as AWS's runtime does).
 */
async function callStreaming(
  event: unknown,
  stream: ResponseStream,
  context: Record<string, unknown>,
): Promise<void> {
  await (handler as unknown as (e: unknown, s: ResponseStream, c: Record<string, unknown>) => unknown)(
    event,
    stream,
    context,
  );
  if (!stream.writableEnded) stream.end();
  await finished(stream);
}

function callHandler(event: unknown, context: Record<string, unknown>): Promise<unknown> {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = handler(event, context, (err: unknown, value: unknown) =>
        err ? reject(err) : resolve(value),
      );
      if (r && typeof (r as Promise<unknown>).then === "function")
        (r as Promise<unknown>).then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

async function invoke(f: InvokeFrame): Promise<void> {
  currentId = f.id;
  const start = performance.now();
  const deadline = Date.now() + f.timeoutMs;
  deadlineAt[0] = deadline + WATCHDOG_GRACE_MS;
  Atomics.add(inFlight, 0, 1);
  try {
    await runInvocation(f, start, deadline);
  } finally {
    Atomics.add(inFlight, 0, 1);
  }
}

/** Lambda's client context as the handler sees it; text that is not JSON (the host checks it) is none at all. */
function clientContextOf(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function runInvocation(f: InvokeFrame, start: number, deadline: number): Promise<void> {
  const context: Record<string, unknown> = {
    functionName,
    functionVersion,
    memoryLimitInMB: memoryMb,
    awsRequestId: f.requestId,
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `hearth/${functionVersion}`,
    callbackWaitsForEmptyEventLoop: true,
    clientContext: clientContextOf(f.clientContext),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let stream: ResponseStream | null = null;
  try {
    const event = f.payload.trim() === "" ? {} : JSON.parse(f.payload);
    if (streaming) {
      stream = new ResponseStream(chunkSink(f.id), streaming);
      await callStreaming(event, stream, context);
      flush();
      const end = {
        id: f.id,
        durationMs: performance.now() - start,
        maxRssKb: process.resourceUsage().maxRSS,
      };
      port!.send(
        stream.tooLarge
          ? { t: "result", ok: false, error: streamTooLargeError(), ...end }
          : { t: "result", ok: true, payload: "", streamed: true, contentType: stream.contentType, ...end },
      );
      currentId = "";
      return;
    }
    const value = await callHandler(event, context);
    flush();
    const payload = value === undefined ? "null" : JSON.stringify(value);
    const bytes = Buffer.byteLength(payload ?? "null", "utf8");
    if (bytes > MAX_RESULT_BYTES) {
      // Lambda answers such a response with an error, and the host would refuse the frame anyway.
      port!.send({
        t: "result",
        id: f.id,
        ok: false,
        error: responseTooLargeError(bytes),
        durationMs: performance.now() - start,
        maxRssKb: process.resourceUsage().maxRSS,
      });
      currentId = "";
      return;
    }
    port!.send({
      t: "result",
      id: f.id,
      ok: true,
      payload: payload ?? "null",
      durationMs: performance.now() - start,
      maxRssKb: process.resourceUsage().maxRSS,
    });
  } catch (err) {
    // Whatever the failed handler still had on its way out is not part of its response.
    stream?.destroy();
    flush();
    port!.send({
      t: "result",
      id: f.id,
      ok: false,
      error: toLambdaError(err),
      durationMs: performance.now() - start,
      maxRssKb: process.resourceUsage().maxRSS,
    });
  }
  currentId = "";
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  while (queue.length) await invoke(queue.shift()!);
  running = false;
}

/** An error nobody awaited ends the environment, as in Lambda: report it against the running invocation, then exit. */
function fatal(err: unknown, type: string): void {
  flush();
  if (currentId && port) {
    const e = toLambdaError(err);
    const error = { errorType: type, errorMessage: `${e.errorType}: ${e.errorMessage}`, trace: e.trace };
    port.send({
      t: "result",
      id: currentId,
      ok: false,
      error,
      ending: true,
      durationMs: 0,
      maxRssKb: process.resourceUsage().maxRSS,
    });
  }
  process.exit(129);
}
async function serveHandler(): Promise<void> {
  captureOutput();
  process.on("uncaughtException", (err) => fatal(err, "Runtime.UncaughtException"));
  process.on("unhandledRejection", (err) => fatal(err, "Runtime.UnhandledPromiseRejection"));

  try {
    installAwsLambdaGlobal();
    handler = await loadHandler();
    streaming = streamingOf(handler);
    port = new PortIO(portPath, (frame) => {
      const f = frame as InvokeFrame;
      if (f.t !== "invoke" || typeof f.id !== "string") return;
      queue.push(f);
      void drain();
    });
    port.start();
    status({ up: true });
  } catch (err) {
    const error =
      err instanceof InitError
        ? { errorType: err.type, errorMessage: err.message, trace: [] }
        : toLambdaError(err, "Runtime.Unknown");
    status({ up: false, error });
    process.exit(1);
  }
}

if (customRuntime) await serveBootstrap(status);
else await serveHandler();
