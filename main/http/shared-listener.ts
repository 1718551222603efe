// The shared listener: Hearth beyond loopback, over TLS only, serving token holders' invocations and nothing else.
//
// A second fastify instance, apart from the local port, so that no route of the native API, the Lambda API, the
// window or the doctor can be reached here by mistake: it registers the invocation route and the API gateway
// (token APIs only) and answers every other request ROUTE_NOT_FOUND, whatever credentials it carries. The invocation
// itself is handed in (the native API's invoke): this listener decides who may call, not how a call runs.
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { HearthError } from "../domain/model/errors.ts";
import { checkRemoteUse, TOKEN_PATTERN } from "../domain/access/tokens.ts";
import type { Host } from "../host.ts";
import { ensureTlsIdentity, type TlsIdentity } from "../store/tls-identity.ts";
import { registerApiGateway } from "./apis/api-gateway.ts";
import { MAX_INVOKE_PAYLOAD_BYTES } from "./lambda/lambda-invoke.ts";
import { AuthFailures, MALFORMED_FAILURES, tooManyAttempts } from "./native/auth-failures.ts";
import { NativeAuth, type Caller } from "./native/native-auth.ts";
import { sendNativeError } from "./native/native-errors.ts";
import { decodePayload } from "../domain/tasks/payload-check.ts";
import type { SharingInfo } from "../remote/sharing-registry.ts";

export const SHARED_INVOKE_PATH = "/v1/invoke";

/**
 * Runs the invoke operation for a token holder the listener let in, with the request's query and payload as its
 * input: answers what to send as JSON, or anything once it answered on `reply` itself (a stream, an accepted call).
 */
export type SharedInvocation = (
  caller: Caller,
  input: Record<string, unknown>,
  reply: FastifyReply,
) => Promise<unknown>;

export interface SharedListenerOptions {
  app: Host;
  /** The invocation this listener serves. */
  invoke: SharedInvocation;
  /** The address the owner shares on (never a wildcard by default: the owner picks it). */
  host: string;
  port: number;
  /** Failed token attempts per client address; shared with the local port's when given. */
  failures?: AuthFailures;
  /** The certificate and key; by default the data directory's, made on first use. */
  identity?: TlsIdentity;
}

export interface SharedListener {
  server: FastifyInstance;
  /** `https://host:port` as bound: the endpoint of share links. */
  url: string;
  /** `sha256:<hex>` of the certificate served: the pin of share links. */
  fingerprint: string;
  close(): Promise<void>;
}

const TOKEN_ONLY =
  "the shared listener serves token holders only: send Authorization: Bearer <the token from the share link>";

/** A Bearer `hth_…` token, or null for anything else (no header, Basic, the owner key, garbage). */
function presentedToken(header: string | string[] | undefined): string | null {
  if (typeof header !== "string") return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m && TOKEN_PATTERN.test(m[1]!) ? m[1]! : null;
}

/**
 * Who may call here: the holder of a valid alias token minted for use from other machines, and nobody else. No
 * credentials is refused without counting; any other credential, the owner key and access keys included, is
 * refused as a bad token and counts as a failed attempt of the client's address; a valid local-only token is
 * refused with TOKEN_LOCAL_ONLY (403).
 */
export function sharedCaller(
  app: Pick<Host, "store">,
  auth: NativeAuth,
  failures: AuthFailures,
  headers: { authorization?: string | string[] | undefined },
  client: string,
): Caller {
  if (headers.authorization === undefined)
    throw new HearthError("UNAUTHENTICATED", TOKEN_ONLY, "Authorization");
  const token = presentedToken(headers.authorization);
  if (token === null) {
    const wait = failures.retryAfterMs(client, MALFORMED_FAILURES);
    if (wait > 0) throw tooManyAttempts(client, wait);
    failures.fail(client, MALFORMED_FAILURES);
    throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
  }
  // Only the token goes on: no other header (X-Hearth-Profile) has a say here.
  const caller = auth.authenticate(app.store.documents.state, { authorization: `Bearer ${token}` }, client);
  if (caller.kind !== "token")
    throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
  // Not a failed attempt: the holder has a valid token, minted for the owner's machine only.
  checkRemoteUse(caller);
  return caller;
}

/** Fastify's own failures at the edge (too large, unreadable), in the native error shape. */
function edgeError(err: Error & { code?: string; statusCode?: number }): unknown {
  if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE" || err.statusCode === 413) {
    return new HearthError(
      "PAYLOAD_TOO_LARGE",
      `the payload is larger than ${MAX_INVOKE_PAYLOAD_BYTES / 1024 / 1024} MiB`,
      "payload",
    );
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new HearthError("INVALID_INPUT", "the request could not be read", "body");
  }
  return err;
}

export async function startSharedListener(o: SharedListenerOptions): Promise<SharedListener> {
  const identity = o.identity ?? (await ensureTlsIdentity(o.app.dataDir, { hosts: [o.host] }));
  const failures = o.failures ?? new AuthFailures();
  // NativeAuth's owner path is never reached here (only `hth_` tokens get through to it); it is handed a fresh
  // random key all the same, so that even a mistake there could not make the real owner key work on this port.
  const auth = new NativeAuth(`hok_${randomBytes(32).toString("base64url")}`, failures);
  const server = Fastify({
    logger: false,
    https: { key: identity.key, cert: identity.cert, minVersion: "TLSv1.2" },
    bodyLimit: MAX_INVOKE_PAYLOAD_BYTES,
    requestTimeout: 120_000,
    keepAliveTimeout: 65_000,
  }) as unknown as FastifyInstance;

  // Outside the two scopes below, a body is never read (only drained), so that any request to any other path is
  // answered ROUTE_NOT_FOUND as it is, not "malformed JSON" or "too large" first.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser("*", (_req, payload, done) => {
    payload.resume();
    done(null, undefined);
  });

  const callers = new WeakMap<FastifyRequest, Caller>();
  void server.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) =>
      sendNativeError(reply, edgeError(err)),
    );
    scope.route({
      method: "POST",
      url: SHARED_INVOKE_PATH,
      bodyLimit: MAX_INVOKE_PAYLOAD_BYTES,
      // Before the body is read: a client without a valid token never gets to send megabytes.
      onRequest: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          callers.set(req, sharedCaller(o.app, auth, failures, req.headers, req.ip));
        } catch (err) {
          return sendNativeError(reply, err);
        }
      },
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        try {
          const caller = callers.get(req);
          if (!caller)
            throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
          const raw: Record<string, unknown> = {
            ...(req.query as Record<string, unknown>),
            payload: Buffer.isBuffer(req.body) ? decodePayload(req.body, "payload") : "",
          };
          const answer = await o.invoke(caller, raw, reply);
          if (reply.sent) return reply;
          return reply.header("content-type", "application/json").send(JSON.stringify(answer));
        } catch (err) {
          if (reply.sent || reply.raw.headersSent) return reply;
          return sendNativeError(reply, err);
        }
      },
    });
  });
  registerApiGateway(server, {
    store: o.app.store,
    invoker: o.app.invoker,
    failures,
    tokenOnly: true,
    remoteCalls: true,
  });
  server.setErrorHandler((err: Error & { code?: string; statusCode?: number }, _req, reply) =>
    sendNativeError(reply, edgeError(err)),
  );
  server.setNotFoundHandler((req, reply) =>
    sendNativeError(
      reply,
      new HearthError(
        "ROUTE_NOT_FOUND",
        `no route ${req.method} ${req.url.split("?")[0]!.slice(0, 200)} on the shared listener, which serves only ` +
          `POST ${SHARED_INVOKE_PATH} and /apis/… for token holders`,
      ),
    ),
  );
  await server.listen({ host: o.host, port: o.port });
  const bound = server.server.address();
  const port = typeof bound === "object" && bound ? bound.port : o.port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  const url = `https://${host}:${port}`;
  const info: SharingInfo = { url, fingerprint: identity.fingerprint, certPem: identity.cert };
  // Whoever closes first (the local port going down, or the host) closes it; the other finds it closed.
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      o.app.sharing.stopped(info);
      await server.close();
    })());
  o.app.sharing.started(info, close);
  return { server, url, fingerprint: identity.fingerprint, close };
}
