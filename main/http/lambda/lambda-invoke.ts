// Lambda's Invoke on the local port (POST /2015-03-31/functions/{name}/invocations): AWS SDKs and the awscli call
// Hearth tasks with a profile's access key, signed with SigV4, and get Lambda's headers, errors and log tail.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HearthError } from "../../domain/model/errors.ts";
import { parseFunctionName } from "../../domain/access/function-arn.ts";
import type { Host } from "../../host.ts";
import type { InvocationAnswer, InvocationMode, InvocationWords } from "../../invoke/invoker.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import { lambdaErrorResponse } from "../error-status.ts";
import { answerAfterDrain } from "./body-drain.ts";
import { lambdaCaller, lambdaHeadersCheck } from "./lambda-auth.ts";
import { decodePayload } from "../../domain/tasks/payload-check.ts";

/** Lambda's synchronous payload limit. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** X-Amz-Log-Result carries the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;

export function sendLambdaError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = lambdaErrorResponse(err);
  const retry = (err as { retryAfterS?: number } | null)?.retryAfterS;
  if (retry !== undefined) reply.header("retry-after", String(retry));
  return reply.code(status).headers(headers).send(body);
}

interface InitError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** The runtime's error of a sandbox that failed its init, or null when `err` is any other failure. */
function initFailure(err: unknown): InitError | null {
  const e = err as { code?: unknown; lambda?: InitError } | null;
  return e?.code === "SANDBOX_INIT_FAILED" && e.lambda ? e.lambda : null;
}

/** Lambda's START/END/REPORT framing around the lines, trimmed to the last 4 KB. */
function logTail(
  requestId: string,
  version: string,
  lines: string[],
  durationMs: number,
  memoryMb: number,
  maxRssKb: number,
  initMs: number | undefined,
): string {
  const text = [
    `START RequestId: ${requestId} Version: ${version}`,
    ...lines,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${Math.ceil(maxRssKb / 1024)} MB${initMs === undefined ? "" : `\tInit Duration: ${initMs.toFixed(2)} ms`}`,
    "",
  ].join("\n");
  const bytes = Buffer.from(text, "utf8");
  return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString("base64");
}

/** Lambda's InvocationType header, as the invoker's modes. */
const INVOCATION_TYPES: Record<string, InvocationMode> = {
  RequestResponse: "sync",
  Event: "async",
  DryRun: "dry-run",
};

/** Lambda's words for the invoker's refusals: its payload field, its mode header and each type. */
const LAMBDA_WORDS: InvocationWords = {
  payloadField: "Payload",
  modeField: "InvocationType",
  modes: { sync: "with RequestResponse", async: "with Event", "dry-run": "with DryRun" },
};

function invocationMode(type: string): InvocationMode {
  const mode = Object.hasOwn(INVOCATION_TYPES, type) ? INVOCATION_TYPES[type] : undefined;
  if (mode === undefined) {
    throw new HearthError(
      "INVALID_INPUT",
      `"${type}" is not RequestResponse, Event or DryRun`,
      "InvocationType",
    );
  }
  return mode;
}

/** Lambda's answer to a RequestResponse call: its headers, the handler's payload or error, the log tail if asked. */
function sendAnswer(reply: FastifyReply, a: InvocationAnswer): FastifyReply {
  reply
    .code(200)
    .header("x-amzn-requestid", a.requestId)
    .header("x-amz-executed-version", a.servedVersion)
    .header("content-type", "application/json");
  if (a.lines) {
    reply.header(
      "x-amz-log-result",
      logTail(a.requestId, a.servedVersion, a.lines, a.durationMs, a.memoryMb, a.maxRssKb, a.initMs),
    );
  }
  if (!a.ok) {
    reply.header("x-amz-function-error", "Unhandled");
    return reply.send(JSON.stringify(a.error ?? null));
  }
  return reply.send(a.payload ?? "null");
}

export function registerLambdaInvoke(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  void server.register(async (scope) => {
    // The payload is opaque bytes to Lambda: take any content type as a buffer, bounded at 6 MiB.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_INVOKE_PAYLOAD_BYTES },
      (_req, body, done) => done(null, body),
    );
    // Before the body is read: an unsigned request never gets to send megabytes.
    scope.addHook("onRequest", async (req, reply) => {
      try {
        lambdaHeadersCheck(req, app.store, failures);
      } catch (err) {
        return sendLambdaError(reply, err);
      }
    });
    scope.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE" || err.statusCode === 413) {
        // Lambda's answer, after the rest of the body: the client is still writing it.
        return answerAfterDrain(req, reply, () =>
          sendLambdaError(
            reply,
            new HearthError(
              "PAYLOAD_TOO_LARGE",
              `Request must be smaller than ${MAX_INVOKE_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
              "Payload",
            ),
          ),
        );
      }
      return sendLambdaError(reply, err);
    });

    scope.post("/2015-03-31/functions/:name/invocations", async (req: FastifyRequest, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let profileId: string;
      try {
        ({ profileId } = await lambdaCaller(req, body, app.store, failures));
      } catch (err) {
        return sendLambdaError(reply, err);
      }
      try {
        const { name } = req.params as { name: string };
        const query = req.query as { Qualifier?: string };
        const ref = parseFunctionName(name, query.Qualifier);
        const mode = invocationMode(String(req.headers["x-amz-invocation-type"] ?? "RequestResponse"));
        const request = {
          caller: { profileId },
          target: ref,
          payload: decodePayload(body, "Payload"),
          words: LAMBDA_WORDS,
        };
        if (mode === "dry-run") {
          await app.invoker.invoke({ ...request, mode });
          return reply.code(204).send();
        }
        if (mode === "async") {
          const accepted = await app.invoker.invoke({ ...request, mode });
          return reply.code(202).header("x-amzn-requestid", accepted.requestId).send();
        }
        const keepLines = req.headers["x-amz-log-type"] === "Tail";
        const requestId = randomUUID();
        try {
          return sendAnswer(
            reply,
            await app.invoker.invoke({ ...request, mode: "sync", keepLines, requestId }),
          );
        } catch (err) {
          // Code that failed its init is the function's error, as Lambda answers it: 200 with the runtime's
          // error (Runtime.ImportModuleError, Runtime.InvalidEntrypoint…), not a service fault.
          const init = initFailure(err);
          if (!init) throw err;
          return reply
            .code(200)
            .header("x-amzn-requestid", requestId)
            .header("x-amz-function-error", "Unhandled")
            .header("content-type", "application/json")
            .send(JSON.stringify(init));
        }
      } catch (err) {
        return sendLambdaError(reply, err);
      }
    });
  });
}
