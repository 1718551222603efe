// Lambda's Invoke on the local port (POST /2015-03-31/functions/{name}/invocations): AWS SDKs and the awscli call
// Hearth tasks with a profile's access key, signed with SigV4, and get Lambda's headers, errors and log tail.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { InvokeRef } from "../../domain/access/authorization.ts";
import { HearthError } from "../../domain/model/errors.ts";
import type { RemoteAlias } from "../../domain/model/state.ts";
import type { Host } from "../../host.ts";
import { callRemoteAlias, remoteAliasFor } from "../../remote/remote-calls.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import { lambdaErrorResponse } from "../error-status.ts";
import { lambdaCaller, lambdaHeadersCheck } from "./lambda-auth.ts";
import { checkPayloadJson, decodePayload } from "../../domain/tasks/payload-check.ts";

/** Lambda's synchronous payload limit. */
export const MAX_INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** X-Amz-Log-Result carries the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;

const ARN_RE =
  /^(?:arn:aws[\w-]*:lambda:[\w-]*:)?(\d{12}):function:([A-Za-z0-9_-]{1,64})(?::([\w$-]{1,128}))?$/;
const NAME_RE = /^([A-Za-z0-9_-]{1,64})(?::([\w$-]{1,128}))?$/;

/** Lambda's ways of naming a function: a name, name:qualifier, a full ARN or a partial one (account:function:name). */
export function parseFunctionName(raw: string, qualifier?: string): InvokeRef {
  const arn = ARN_RE.exec(raw);
  const plain = arn ? null : NAME_RE.exec(raw);
  if (!arn && !plain) {
    throw new HearthError(
      "INVALID_INPUT",
      `"${raw.slice(0, 200)}" is not a function name or ARN`,
      "FunctionName",
    );
  }
  const task = (arn ? arn[2] : plain![1])!;
  const inName = arn ? arn[3] : plain![2];
  if (qualifier !== undefined && inName !== undefined && qualifier !== inName) {
    throw new HearthError(
      "INVALID_INPUT",
      `the qualifier "${qualifier}" does not match the one in the function name`,
      "Qualifier",
    );
  }
  const q = qualifier ?? inName;
  return { task, ...(q !== undefined ? { qualifier: q } : {}), ...(arn ? { ownerAccountId: arn[1]! } : {}) };
}

export function sendLambdaError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = lambdaErrorResponse(err);
  const retry = (err as { retryAfterS?: number } | null)?.retryAfterS;
  if (retry !== undefined) reply.header("retry-after", String(retry));
  return reply.code(status).headers(headers).send(body);
}

/** Lambda's START/END/REPORT framing around the lines, trimmed to the last 4 KB. */
function logTail(
  requestId: string,
  version: string,
  lines: string[],
  durationMs: number,
  memoryMb: number,
  maxRssKb: number,
): string {
  const text = [
    `START RequestId: ${requestId} Version: ${version}`,
    ...lines,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${Math.ceil(maxRssKb / 1024)} MB`,
    "",
  ].join("\n");
  const bytes = Buffer.from(text, "utf8");
  return bytes.subarray(Math.max(0, bytes.length - LOG_TAIL_BYTES)).toString("base64");
}

/**
 * Invoke of a remote alias by its local name: the owner's machine runs it; the answer has Lambda's shape, with the
 * owner's log lines of this invocation as the tail when asked for (`--log-type Tail`).
 */
async function invokeRemoteAsLambda(
  reply: FastifyReply,
  app: Host,
  profileId: string,
  remote: RemoteAlias,
  o: { type: string; payload: string; tail: boolean },
): Promise<FastifyReply> {
  if (o.type === "DryRun") return reply.code(204).send();
  if (o.type !== "RequestResponse") {
    throw new HearthError(
      "INVALID_INPUT",
      `"${remote.name}" is a remote alias: invoke it with RequestResponse, not ${o.type.slice(0, 32)}`,
      "InvocationType",
    );
  }
  const lines: string[] = [];
  const r = await callRemoteAlias(app, profileId, remote, {
    payload: o.payload,
    // Streamed only to collect the tail; otherwise one plain answer.
    ...(o.tail
      ? { onEvent: (e) => void (e.type === "log" && lines.length < 10_000 && lines.push(e.line)) }
      : {}),
  });
  reply
    .code(200)
    .header("x-amzn-requestid", r.requestId)
    .header("x-amz-executed-version", r.servedVersion)
    .header("content-type", "application/json");
  if (o.tail) {
    // The owner's memory setting is not shared with the teammate; the tail says what was used.
    const used = r.maxMemoryUsedMb;
    reply.header(
      "x-amz-log-result",
      logTail(r.requestId, r.servedVersion, lines, r.durationMs, used, used * 1024),
    );
  }
  if (!r.ok) {
    reply.header("x-amz-function-error", "Unhandled");
    return reply.send(JSON.stringify(r.error ?? null));
  }
  return reply.send(JSON.stringify(r.result ?? null));
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
    scope.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) => {
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE" || err.statusCode === 413) {
        return sendLambdaError(
          reply,
          new HearthError(
            "IMPORT_TOO_LARGE",
            `Request must be smaller than ${MAX_INVOKE_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
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
        const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
        const payload = decodePayload(body, "Payload");
        checkPayloadJson(payload, "Payload");
        const remote = remoteAliasFor(app.store.documents.state, profileId, ref);
        if (remote) {
          const tail = req.headers["x-amz-log-type"] === "Tail";
          return await invokeRemoteAsLambda(reply, app, profileId, remote, { type, payload, tail });
        }
        if (type === "DryRun") {
          app.engine.resolve(profileId, ref);
          return reply.code(204).send();
        }
        if (type === "Event") {
          const accepted = await app.async.enqueue({ callerProfileId: profileId, ref, payload });
          return reply.code(202).header("x-amzn-requestid", accepted.id).send();
        }
        if (type !== "RequestResponse") {
          throw new HearthError(
            "INVALID_INPUT",
            `"${type}" is not RequestResponse, Event or DryRun`,
            "InvocationType",
          );
        }
        const lines: string[] = [];
        const r = await app.engine.invoke({
          callerProfileId: profileId,
          ref,
          payload,
          onLog: ({ line }) => {
            if (lines.length < 10_000) lines.push(line);
          },
        });
        reply
          .code(200)
          .header("x-amzn-requestid", r.requestId)
          .header("x-amz-executed-version", r.servedVersion)
          .header("content-type", "application/json");
        if (req.headers["x-amz-log-type"] === "Tail") {
          const task = app.store.documents.state.tasks.find((t) => t.id === r.taskId);
          const memoryMb = task?.latest.config.memoryMb ?? 128;
          reply.header(
            "x-amz-log-result",
            logTail(r.requestId, r.servedVersion, lines, r.durationMs, memoryMb, r.maxRssKb),
          );
        }
        if (!r.ok) {
          reply.header("x-amz-function-error", "Unhandled");
          return reply.send(JSON.stringify(r.error));
        }
        return reply.send(r.payload ?? "null");
      } catch (err) {
        return sendLambdaError(reply, err);
      }
    });
  });
}
