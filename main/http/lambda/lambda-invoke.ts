// Lambda's Invoke on the local port (POST /2015-03-31/functions/{name}/invocations): AWS SDKs and the awscli call
// Hearth tasks with a profile's access key, signed with SigV4, and get Lambda's headers, errors and log tail.
// InvokeWithResponseStream (POST /2021-11-15/functions/{name}/response-streaming-invocations) is authenticated,
// resolved and refused the same way; only its answer differs (lambda-invoke-stream.ts).
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
import { clientContextOf, initFailure, logTail } from "./lambda-invoke-answer.ts";
import { answerWithResponseStream } from "./lambda-invoke-stream.ts";
import { decodePayload } from "../../domain/tasks/payload-check.ts";

/** Lambda's synchronous payload limit. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;

export function sendLambdaError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = lambdaErrorResponse(err);
  const retry = (err as { retryAfterS?: number } | null)?.retryAfterS;
  if (retry !== undefined) reply.header("retry-after", String(retry));
  return reply.code(status).headers(headers).send(body);
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

function invocationMode(type: string, streaming: boolean): InvocationMode {
  const mode = Object.hasOwn(INVOCATION_TYPES, type) ? INVOCATION_TYPES[type] : undefined;
  if (mode === undefined || (streaming && mode === "async")) {
    throw new HearthError(
      "INVALID_INPUT",
      streaming
        ? `"${type}" is not RequestResponse or DryRun, the types InvokeWithResponseStream takes`
        : `"${type}" is not RequestResponse, Event or DryRun`,
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
  if (a.lines) reply.header("x-amz-log-result", logTail(a));
  if (!a.ok) {
    reply.header("x-amz-function-error", "Unhandled");
    return reply.send(JSON.stringify(a.error ?? null));
  }
  // A streaming handler's response, joined as Lambda's Invoke answers it: its bytes, in its own content type.
  if (a.streamed) return reply.header("content-type", a.streamed.contentType).send(a.body ?? a.payload ?? "");
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

    const invoke = (streaming: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
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
        const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
        const mode = invocationMode(type, streaming);
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
        const call = {
          ...request,
          mode: "sync" as const,
          keepLines: req.headers["x-amz-log-type"] === "Tail",
          requestId: randomUUID(),
          clientContext: clientContextOf(req.headers["x-amz-client-context"]),
        };
        if (streaming) return await answerWithResponseStream(app, reply, call);
        const requestId = call.requestId;
        try {
          return sendAnswer(reply, await app.invoker.invoke(call));
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
    };
    scope.post("/2015-03-31/functions/:name/invocations", invoke(false));
    scope.post("/2021-11-15/functions/:name/response-streaming-invocations", invoke(true));
  });
}
