// The runtime of a `provided` task: runs its `bootstrap` and serves it the Lambda Runtime API on the sandbox's own
// loopback (each sandbox has a network namespace of its own, so port 9001 is its alone), relaying invocations
// from the host's port to it and its answers back.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import {
  MAX_RESULT_BYTES,
  responseTooLargeError,
  type InvokeFrame,
  type LambdaError,
} from "../../main/vm/protocol.ts";
import { PortIO } from "./port-io.ts";

/** Where Lambda's Runtime API listens; a bootstrap reads it from AWS_LAMBDA_RUNTIME_API. */
export const RUNTIME_API_ADDRESS = "127.0.0.1:9001";
const API_PREFIX = "/2018-06-01/runtime";
/** An error or init-error document is small; anything bigger is cut there. */
const MAX_ERROR_BYTES = 256 * 1024;
/** How long a runtime whose bootstrap exited lives on, so that its last call's error reaches the host first. */
const EXIT_GRACE_MS = 100;
/** Lines kept from outside invocations for the next one's log. */
const MAX_LINES_BETWEEN = 200;
/** The host kills an overrunning invocation itself; this one holds when the host is gone. */
const WATCHDOG_GRACE_MS = 250;

type Status = (msg: { up: boolean; error?: LambdaError }) => void;

interface Running {
  frame: InvokeFrame;
  started: number;
  timer: NodeJS.Timeout;
}

/** What the bootstrap sent as an error document, read as Lambda reads it. */
export function errorFromDocument(body: string, headerType: string | undefined): LambdaError {
  let doc: Record<string, unknown> = {};
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) doc = v as Record<string, unknown>;
  } catch {
    // not JSON: the body is the message
    doc = { errorMessage: body };
  }
  const text = (x: unknown, max: number): string => (typeof x === "string" ? x.slice(0, max) : "");
  const trace = Array.isArray(doc.stackTrace) ? doc.stackTrace : [];
  return {
    errorType: text(doc.errorType, 256) || (headerType ?? "").slice(0, 256) || "Unhandled",
    errorMessage: text(doc.errorMessage, 16_384),
    trace: trace.slice(0, 100).map((l) => (typeof l === "string" ? l : JSON.stringify(l)).slice(0, 1024)),
  };
}

/** An X-Ray style trace id, as Lambda hands every invocation one. */
function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

/** Reads a request body up to `limit` bytes; null when it is longer (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => resolve(size > limit ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Peak resident memory of a process, from /proc (0 once it is gone). */
function peakRssKb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Starts the task's bootstrap and serves it until it exits; reports on `status` whether its init succeeded. */
export async function serveBootstrap(status: Status): Promise<void> {
  const env = process.env;
  const portPath = env._HEARTH_PORT ?? "";
  const taskRoot = env.LAMBDA_TASK_ROOT ?? process.cwd();
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? "";
  delete env._HEARTH_PORT;
  delete env._HEARTH_TIMEOUT_MS;
  const arn = `arn:aws:lambda:local:000000000000:function:${functionName}`;

  const initFailed = (errorType: string, errorMessage: string): never => {
    status({ up: false, error: { errorType, errorMessage, trace: [] } });
    process.exit(1);
  };

  const bootstrap = join(taskRoot, "bootstrap");
  let mode: number;
  try {
    const st = statSync(bootstrap);
    if (!st.isFile()) throw new Error("not a file");
    mode = st.mode;
  } catch {
    return initFailed("Runtime.InvalidEntrypoint", `Couldn't find valid bootstrap(s): [${bootstrap}]`);
  }
  // A zip made where files carry no mode (Windows, some tools) loses the executable bit; the file is the task's own.
  if ((mode & 0o100) === 0) {
    try {
      chmodSync(bootstrap, mode | 0o555);
    } catch (err) {
      return initFailed("Runtime.InvalidEntrypoint", `bootstrap is not executable: ${String(err)}`);
    }
  }

  let up = false;
  let child: ChildProcess | null = null;
  let running: Running | null = null;
  let waiting: ServerResponse | null = null;
  const queue: InvokeFrame[] = [];
  let port: PortIO | null = null;

  const deliver = (): void => {
    if (running || !waiting || queue.length === 0) return;
    const res = waiting;
    waiting = null;
    const frame = queue.shift()!;
    const deadline = Date.now() + frame.timeoutMs;
    const timer = setTimeout(() => {
      try {
        // Tells the agent the exit that follows is a timeout, not a crash.
        writeSync(3, '{"timeout":true}\n');
      } catch {
        // started by hand, without the agent
      } finally {
        child?.kill("SIGKILL");
        process.kill(process.pid, "SIGKILL");
      }
    }, frame.timeoutMs + WATCHDOG_GRACE_MS);
    timer.unref();
    running = { frame, started: performance.now(), timer };
    for (const l of between.splice(0)) emit(l.stream, l.line);
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "Lambda-Runtime-Aws-Request-Id": frame.requestId,
      "Lambda-Runtime-Deadline-Ms": String(deadline),
      "Lambda-Runtime-Invoked-Function-Arn": arn,
      "Lambda-Runtime-Trace-Id": traceId(),
    };
    if (frame.clientContext) headers["Lambda-Runtime-Client-Context"] = frame.clientContext;
    const body = frame.payload.trim() === "" ? "{}" : frame.payload;
    res.writeHead(200, { ...headers, "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  };

  /** Answers the running call; `ending` tells the host this runtime is going (see the bootstrap's exit). */
  const finish = (
    result: { ok: true; payload: string } | { ok: false; error: LambdaError },
    ending = false,
  ): void => {
    const r = running!;
    running = null;
    clearTimeout(r.timer);
    flushLines();
    const common = {
      t: "result" as const,
      id: r.frame.id,
      durationMs: performance.now() - r.started,
      maxRssKb: process.resourceUsage().maxRSS + peakRssKb(child?.pid),
    };
    port?.send(
      result.ok
        ? { ...common, ok: true, payload: result.payload }
        : { ...common, ok: false, error: result.error, ...(ending ? { ending: true as const } : {}) },
    );
    if (!ending) deliver();
  };

  // ---- the bootstrap's output: a log line of the running invocation, or (outside one) the runtime's own ----
  const partial = { stdout: "", stderr: "" };
  // Lines written outside an invocation (the bootstrap's init, or between calls) go with the next invocation's
  // log, before its own, as they come before its START in Lambda's log stream; the oldest beyond a bound go.
  const between: { stream: "stdout" | "stderr"; line: string }[] = [];
  const emit = (stream: "stdout" | "stderr", line: string): void => {
    if (running && port) port.send({ t: "log", id: running.frame.id, stream, line });
    else if (between.push({ stream, line }) > MAX_LINES_BETWEEN) between.shift();
  };
  function flushLines(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (partial[stream]) emit(stream, partial[stream]);
      partial[stream] = "";
    }
  }
  const relay = (stream: "stdout" | "stderr", chunk: Buffer): void => {
    let buf = partial[stream] + chunk.toString("utf8");
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      emit(stream, buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (buf.length > 16384) {
      emit(stream, buf);
      buf = "";
    }
    partial[stream] = buf;
  };

  // ---- the Runtime API ----
  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      if (!res.headersSent) answer(res, 500, { errorMessage: String(err), errorType: "ServiceException" });
    });
  });
  server.keepAliveTimeout = 0;
  // A long poll for the next invocation may wait for hours.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method === "GET" && path === `${API_PREFIX}/invocation/next`) {
      if (!up) {
        up = true;
        status({ up: true });
      }
      // One bootstrap polls once at a time; a second poll replaces the first, which gets nothing.
      if (waiting && !waiting.writableEnded)
        answer(waiting, 409, { errorMessage: "superseded", errorType: "Conflict" });
      waiting = res;
      res.on("close", () => {
        if (waiting === res) waiting = null;
      });
      deliver();
      return;
    }
    if (req.method === "POST" && path === `${API_PREFIX}/init/error`) {
      const body = (await readBody(req, MAX_ERROR_BYTES)) ?? Buffer.alloc(0);
      if (up)
        return answer(res, 403, {
          errorMessage: "init has already completed",
          errorType: "InvalidStateTransition",
        });
      answer(res, 202, { status: "OK" });
      const header = req.headers["lambda-runtime-function-error-type"];
      status({
        up: false,
        error: errorFromDocument(body.toString("utf8"), typeof header === "string" ? header : undefined),
      });
      child?.kill("SIGKILL");
      process.exit(1);
    }
    const m = new RegExp(`^${API_PREFIX}/invocation/([^/]+)/(response|error)$`).exec(path);
    if (req.method === "POST" && m) {
      const requestId = decodeURIComponent(m[1]!);
      if (!running || running.frame.requestId !== requestId) {
        await readBody(req, 0);
        return answer(res, 400, { errorMessage: "Invalid request ID", errorType: "InvalidRequestID" });
      }
      if (m[2] === "response") {
        const body = await readBody(req, MAX_RESULT_BYTES);
        if (body === null) {
          answer(res, 413, {
            errorMessage: `Exceeded maximum allowed payload size (${MAX_RESULT_BYTES} bytes).`,
            errorType: "RequestEntityTooLarge",
          });
          return finish({ ok: false, error: responseTooLargeError(null) });
        }
        answer(res, 202, { status: "OK" });
        return finish({ ok: true, payload: body.toString("utf8") });
      }
      const body = (await readBody(req, MAX_ERROR_BYTES)) ?? Buffer.from("{}");
      const header = req.headers["lambda-runtime-function-error-type"];
      answer(res, 202, { status: "OK" });
      return finish({
        ok: false,
        error: errorFromDocument(body.toString("utf8"), typeof header === "string" ? header : undefined),
      });
    }
    await readBody(req, 0);
    answer(res, 404, {
      errorMessage: `no such Runtime API path: ${req.method} ${path}`,
      errorType: "NotFound",
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const [host, portNumber] = RUNTIME_API_ADDRESS.split(":");
    server.listen(Number(portNumber), host, () => resolve());
  }).catch((err: unknown) =>
    initFailed("Runtime.Unknown", `the Runtime API could not listen: ${String(err)}`),
  );

  port = new PortIO(portPath, (frame) => {
    const f = frame as InvokeFrame;
    if (f.t !== "invoke" || typeof f.id !== "string") return;
    queue.push(f);
    deliver();
  });
  port.start();

  child = spawn(bootstrap, [], {
    cwd: taskRoot,
    env: { ...env, AWS_LAMBDA_RUNTIME_API: RUNTIME_API_ADDRESS },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => relay("stdout", c));
  child.stderr!.on("data", (c: Buffer) => relay("stderr", c));
  child.on("error", (err) =>
    initFailed("Runtime.InvalidEntrypoint", `bootstrap could not start: ${err.message}`),
  );
  child.on("exit", (code, signal) => {
    const how = signal ? `signal: ${signal}` : `exit status ${code}`;
    if (!up) initFailed("Runtime.ExitError", `Runtime exited with error: ${how}`);
    // What it said since the last call is not lost with it: the agent keeps the runtime's last lines of stderr.
    if (!running) for (const l of between.slice(-5)) process.stderr.write(`${l.line}\n`);
    if (running)
      finish(
        {
          ok: false,
          error: {
            errorType: "Runtime.ExitError",
            errorMessage: `Runtime exited with error: ${how}`,
            trace: [],
          },
        },
        true,
      );
    // The environment ends with its bootstrap, as in Lambda; the agent starts a new one, and calls the host sent
    // meanwhile wait for it. The call's error goes out first, before the host hears of the exit on the agent's port.
    void (port?.flushed() ?? Promise.resolve()).then(() =>
      setTimeout(() => process.exit(129), EXIT_GRACE_MS),
    );
  });
}
