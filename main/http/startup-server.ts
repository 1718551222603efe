// The port while Hearth starts: the window and its startup status, so a user who opens the link sees the image
// build and the pool starting; health and every other route answer 503 STARTING with Retry-After until the full
// API takes the same socket over (local-port.ts), so the port never refuses a connection in between.
import Fastify, { type FastifyInstance } from "fastify";
import { operations } from "../contract.ts";
import { HearthError } from "../domain/model/errors.ts";
import type { StartupProgress, StartupStatus } from "../startup-progress.ts";
import { nativeErrorResponse } from "../operations/error-status.ts";
import { lambdaErrorResponse } from "./error-status.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { sandboxAnswers } from "./answer-sandbox.ts";
import { LocalPort } from "./local-port.ts";
import { guardRequests } from "./request-guard.ts";
import { registerUi } from "./ui-static.ts";

export interface StartupServerOptions {
  host: string;
  port: number;
  progress: StartupProgress;
  /** Where the window's files are (tests point it elsewhere). */
  uiDir?: string;
}

/** Every Lambda API path starts so (Invoke, the function calls); what the AWS SDKs send to this port. */
export const LAMBDA_PATH_PREFIX = "/2015-03-31/";

/** What the window, the CLI and scripts are told to wait: the pool usually starts within a second or two. */
export const STARTING_RETRY_AFTER_S = 1;

/**
 * What AWS SDK clients are told to wait. The JS SDK v3 makes 3 attempts by default and sleeps as long as
 * Retry-After says before each retry (at most 5 s beyond its own backoff of 0.1-0.2 s): 3 s lets a call made as the
 * port opens ride out 6 s of start, where 1 s would give up after 2 s.
 */
export const LAMBDA_RETRY_AFTER_S = 3;

/** Why the request cannot be answered yet, with the step Hearth is at. */
function starting(progress: StartupProgress, what: string): HearthError {
  const s = progress.status();
  const doing = s.step ? `${s.title}, step ${s.step.n} of ${s.step.of}: ${s.step.message}` : s.title;
  return new HearthError(
    "STARTING",
    s.phase === "failed"
      ? `Hearth could not start: ${s.error ?? "unknown error"}`
      : `Hearth is starting (${doing}); ${what} works once it is ready`,
  );
}

/** The part of the status a health check shows: what is still starting, not the lines it printed. */
function stillStarting(s: StartupStatus): Omit<StartupStatus, "lines" | "phases" | "startedAt"> {
  return {
    phase: s.phase,
    title: s.title,
    ...(s.step ? { step: s.step } : {}),
    elapsedMs: s.elapsedMs,
    ...(s.error !== undefined ? { error: s.error } : {}),
  };
}

/** The startup answers as an app on `port`'s socket; `port.serve` puts it in front. */
export function startupApp(port: LocalPort, o: Omit<StartupServerOptions, "port">): FastifyInstance {
  // Requests are tiny here: nothing but the status is served, and nothing is read from a body.
  const server = port.build((serverFactory) => Fastify({ logger: false, bodyLimit: 1024, serverFactory }));
  // The same port as the real server, so the same rules: its own names only, nothing unsandboxed but the window.
  guardRequests(server, { address: o.host });
  sandboxAnswers(server);
  server.get(operations.startup.path, async (_req, reply) =>
    reply.header("cache-control", "no-store").send(o.progress.status()),
  );
  // Health means "invocations can run": not yet. The body says what is still starting, for `hearth wait`.
  server.get(operations.health.path, async (_req, reply) => {
    const { status, body } = nativeErrorResponse(starting(o.progress, "an invocation"));
    return reply
      .code(status)
      .header("retry-after", String(STARTING_RETRY_AFTER_S))
      .header("cache-control", "no-store")
      .header("content-type", "application/json")
      .send(
        JSON.stringify({ ok: false, name: "hearth", ...body, starting: stillStarting(o.progress.status()) }),
      );
  });
  registerUi(server, ...(o.uiDir ? [o.uiDir] : []));
  server.setNotFoundHandler((req, reply) => {
    const err = starting(o.progress, `${req.method} ${req.url.split("?")[0]!.slice(0, 200)}`);
    if (req.url.startsWith(LAMBDA_PATH_PREFIX)) {
      // A 503 with x-amzn-ErrorType: the SDKs count a 503 as transient and retry it by themselves.
      const { status, headers, body } = lambdaErrorResponse(err);
      return reply
        .code(status)
        .headers(headers)
        .header("retry-after", String(LAMBDA_RETRY_AFTER_S))
        .send(JSON.stringify(body));
    }
    void reply.header("retry-after", String(STARTING_RETRY_AFTER_S));
    return sendNativeError(reply, err);
  });
  return server;
}

/** Opens the local port with the startup answers in front; the full API takes it over with `port.serve`. */
export async function openStartupPort(o: StartupServerOptions): Promise<LocalPort> {
  const port = new LocalPort();
  await port.serve(startupApp(port, o));
  await port.listen(o.host, o.port);
  return port;
}
