// The native API (/v1/...): every operation of main/contract.ts over HTTP. This adapter authenticates the request,
// reads its body, runs the operation (main/operations) and answers in one shape; the operations are written there.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { operations, type Operation, type OperationName } from "../../contract.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { decodePayload } from "../../domain/tasks/payload-check.ts";
import type { Host } from "../../host.ts";
import { actingProfile, type Caller, type ProfileSource } from "../../operations/caller.ts";
import type { CallTransport, OperationHost, SharedEndpoint } from "../../operations/operation-context.ts";
import { runOperation } from "../../operations/run-operation.ts";
import { MAX_INVOKE_PAYLOAD_BYTES } from "../lambda/lambda-invoke.ts";
import { httpTransport } from "./http-transport.ts";
import { registerLiveLogs, registerPoolEvents } from "./live-streams.ts";
import type { NativeAuth } from "./native-auth.ts";
import { sendNativeError } from "./native-errors.ts";

/** A 50 MiB zip in base64 inside JSON, or 50 MiB of a folder's files with their paths (up to 10,000 of them). */
const MAX_IMPORT_BODY_BYTES = 80 * 1024 * 1024;
const MAX_JSON_BODY_BYTES = 1024 * 1024;
const LARGE_BODY_OPERATIONS = new Set<OperationName>(["importTask", "importTaskFiles", "updateTaskCode"]);

/** Turns fastify's own failures (bad JSON, too large, wrong content type) into errors a user can act on. */
function edgeError(err: Error & { code?: string; statusCode?: number }, limit: number): unknown {
  if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE" || err.statusCode === 413) {
    return new HearthError(
      "PAYLOAD_TOO_LARGE",
      `the request body is larger than ${Math.round(limit / 1024 / 1024)} MiB`,
      "body",
    );
  }
  if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new HearthError("INVALID_INPUT", "send the body as application/json", "content-type");
  }
  if (err.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
    return new HearthError("INVALID_INPUT", "the body is empty: send a JSON object", "body");
  }
  if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return new HearthError("INVALID_INPUT", `the body is not valid JSON: ${err.message}`, "body");
  }
  return err;
}

/** Over HTTP, the owner key names the profile it acts as in a header. */
const PROFILE_HEADER_SOURCE: ProfileSource = {
  field: "X-Hearth-Profile",
  where: "the X-Hearth-Profile header",
};

/** Runs one operation of an HTTP request, whose caller names the profile it acts as in X-Hearth-Profile. */
export async function runNativeOperation(
  on: OperationHost,
  name: OperationName,
  caller: Caller,
  raw: unknown,
  transport: CallTransport,
): Promise<unknown> {
  return runOperation(on, name, caller, raw, transport, PROFILE_HEADER_SOURCE);
}

/**
 * The native API's routes on the local port. `sharing` finds the host's shared listener while it shares, for the
 * share operations' links.
 */
export function registerNativeApi(
  server: FastifyInstance,
  app: Host,
  auth: NativeAuth,
  sharing: () => SharedEndpoint | null,
): void {
  const on: OperationHost = { host: app, sharing };
  const callers = new WeakMap<FastifyRequest, Caller>();
  const register = (scope: FastifyInstance, name: OperationName, o: Operation, bodyLimit: number): void => {
    scope.route({
      method: o.method,
      url: o.path,
      bodyLimit,
      // On the request line and headers alone, before the body is read: a caller without credentials, or without
      // access to the operation, never gets to send the megabytes an import may carry.
      onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
        if (o.access === "public") return;
        try {
          const caller = auth.authenticate(app.store.documents.state, req.headers, req.ip);
          actingProfile(name, o, caller, PROFILE_HEADER_SOURCE);
          callers.set(req, caller);
        } catch (err) {
          return sendNativeError(reply, err);
        }
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const caller: Caller =
            o.access === "public" ? { kind: "owner", profileId: null } : callers.get(req)!;
          const raw: Record<string, unknown> = {
            ...(req.query as Record<string, unknown>),
            ...(o.rawBody
              ? { [o.rawBody]: Buffer.isBuffer(req.body) ? decodePayload(req.body, o.rawBody) : "" }
              : typeof req.body === "object" && req.body !== null && !Array.isArray(req.body)
                ? (req.body as Record<string, unknown>)
                : req.body === undefined || req.body === null
                  ? {}
                  : { "": req.body }),
            ...(req.params as Record<string, unknown>),
          };
          if ("" in raw) {
            // The access check comes first, as before: a caller without access learns nothing about the input.
            actingProfile(name, o, caller, PROFILE_HEADER_SOURCE);
            throw new HearthError("INVALID_INPUT", "the body must be a JSON object", "body");
          }
          const answer = await runNativeOperation(on, name, caller, raw, httpTransport(reply));
          if (reply.sent) return reply;
          return reply.header("content-type", "application/json").send(JSON.stringify(answer));
        } catch (err) {
          if (reply.sent || reply.raw.headersSent) return reply;
          return sendNativeError(reply, err);
        }
      },
    });
  };

  void server.register(async (scope) => {
    scope.setErrorHandler((err: Error & { code?: string }, req, reply) =>
      sendNativeError(reply, edgeError(err, req.routeOptions.bodyLimit ?? MAX_JSON_BODY_BYTES)),
    );
    for (const [name, o] of Object.entries(operations) as [OperationName, Operation][]) {
      if (o.rawBody) continue;
      register(scope, name, o, LARGE_BODY_OPERATIONS.has(name) ? MAX_IMPORT_BODY_BYTES : MAX_JSON_BODY_BYTES);
    }
    registerLiveLogs(scope, app, auth);
    registerPoolEvents(scope, app, auth);
  });

  // Raw-body operations (an invocation's payload is opaque bytes, as in Lambda) in a scope of their own parser.
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: Error & { code?: string }, _req, reply) =>
      sendNativeError(reply, edgeError(err, MAX_INVOKE_PAYLOAD_BYTES)),
    );
    for (const [name, o] of Object.entries(operations) as [OperationName, Operation][]) {
      if (o.rawBody) register(scope, name, o, MAX_INVOKE_PAYLOAD_BYTES);
    }
  });
}
