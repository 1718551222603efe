// Function URLs on the local port: a request to /lambda-url/{urlId}/… becomes the payload-2.0 event Lambda sends a
// function URL's function, and the function's answer becomes the HTTP response. Auth NONE lets in whoever reaches
// the port; AWS_IAM wants the request signed (SigV4, service "lambda") by the owner's key or by an account a policy
// statement lets call the URL. CORS is answered by the URL's configuration, as Lambda answers it. A URL whose
// invoke mode is RESPONSE_STREAM sends a streaming handler's response as it is written.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { statementAllowsUrl } from "../../domain/access/function-policy.ts";
import { isHearthError } from "../../domain/model/errors.ts";
import type { FunctionUrlConfig, FunctionUrlCors, HearthState, Task } from "../../domain/model/state.ts";
import { corsAllowsOrigin, FUNCTION_URL_PREFIX, functionUrlById } from "../../domain/tasks/function-urls.ts";
import type { Host } from "../../host.ts";
import type { InvocationAnswer, InvocationCaller, SyncInvocation } from "../../invoke/invoker.ts";
import {
  isHttpIntegrationResponse,
  PreludeSplitter,
  type HttpIntegrationPrelude,
} from "../http-integration-response.ts";
import { errorCode } from "../../operations/error-status.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import { lambdaCaller, type LambdaCaller } from "../lambda/lambda-auth.ts";
import { buildHttpApiEvent, HOP_BY_HOP, httpApiResponse, type ApiHttpResponse } from "./apigw-event.ts";

/** Lambda's synchronous payload limit; a function URL answers a bigger request body with 413. */
export const MAX_URL_BODY_BYTES = 6 * 1024 * 1024;

/** Function URLs answer their own errors as `{"Message": …}`. */
function message(status: number, text: string, headers: Record<string, string> = {}): ApiHttpResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(JSON.stringify({ Message: text })),
  };
}

const forbidden = () => message(403, "Forbidden");
const notFound = () => message(404, "Not Found");

function send(
  reply: FastifyReply,
  r: ApiHttpResponse,
  extra: Record<string, string> = {},
  requestId?: string,
): FastifyReply {
  reply.code(r.status);
  for (const [name, value] of Object.entries(r.headers)) {
    // A URL with CORS answers its own CORS headers; the function's would contradict them.
    if (!HOP_BY_HOP.has(name) && !(name.startsWith("access-control-") && Object.keys(extra).length > 0))
      reply.header(name, value);
  }
  for (const [name, value] of Object.entries(extra)) reply.header(name, value);
  if (requestId !== undefined) reply.header("x-amzn-requestid", requestId);
  return reply.send(r.body);
}

/** Splits `/lambda-url/{urlId}/rest?query` as sent, still percent-encoded. */
export function splitUrlPath(url: string): { urlId: string; rawPath: string; rawQueryString: string } {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const rawQueryString = q < 0 ? "" : url.slice(q + 1);
  const rest = path.slice(FUNCTION_URL_PREFIX.length);
  const slash = rest.indexOf("/");
  return {
    urlId: slash < 0 ? rest : rest.slice(0, slash),
    rawPath: slash < 0 ? "/" : rest.slice(slash),
    rawQueryString,
  };
}

/** The CORS headers of an answer to an allowed origin, as Lambda adds them. */
function corsHeaders(cors: FunctionUrlCors, origin: string): Record<string, string> {
  const wildcard = cors.allowOrigins.includes("*") && !cors.allowCredentials;
  return {
    "access-control-allow-origin": wildcard ? "*" : origin,
    ...(wildcard ? {} : { vary: "Origin" }),
    ...(cors.allowCredentials ? { "access-control-allow-credentials": "true" } : {}),
    ...(cors.exposeHeaders.length ? { "access-control-expose-headers": cors.exposeHeaders.join(",") } : {}),
  };
}

/** The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method), which never reaches the function. */
function preflight(cors: FunctionUrlCors, origin: string, req: FastifyRequest): ApiHttpResponse {
  const method = String(req.headers["access-control-request-method"] ?? "").toUpperCase();
  const methods = cors.allowMethods;
  if (!methods.includes("*") && !methods.includes(method)) return forbidden();
  const asked = String(req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== "");
  const headers = cors.allowHeaders;
  if (!headers.includes("*") && asked.some((h) => !headers.includes(h))) return forbidden();
  return {
    status: 200,
    headers: {
      ...corsHeaders(cors, origin),
      "access-control-allow-methods": methods.join(","),
      ...(asked.length ? { "access-control-allow-headers": asked.join(",") } : {}),
      ...(cors.maxAge > 0 ? { "access-control-max-age": String(cors.maxAge) } : {}),
    },
    body: Buffer.alloc(0),
  };
}

/** One URL request's invocation, before it is told where streamed chunks go. */
interface UrlCall {
  caller: InvocationCaller;
  target: SyncInvocation["target"];
  event: unknown;
  requestId: string;
  mode: "sync";
}

/**
 * A streaming handler's response behind a BUFFERED URL, joined: its bytes as the body of a 200 of the type it set, or
 * with the status, headers and cookies of its HTTP prelude.
 */
function joinedStream(result: InvocationAnswer): ApiHttpResponse {
  const body = result.body ?? Buffer.from(result.payload ?? "", "utf8");
  const contentType = result.streamed?.contentType ?? "application/octet-stream";
  if (!isHttpIntegrationResponse(contentType)) {
    return { status: 200, headers: { "content-type": contentType }, body };
  }
  try {
    const splitter = new PreludeSplitter();
    const rest = splitter.push(body);
    const prelude = splitter.end();
    return { status: prelude.statusCode, headers: preludeHeaders(prelude), body: rest };
  } catch {
    return message(502, "Internal Server Error");
  }
}

/** A prelude's headers and cookies as they go on the wire; one with a line break or a bad name is left out. */
function preludeHeaders(p: HttpIntegrationPrelude): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(p.headers)) {
    const name = k.toLowerCase();
    if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) && !/[\r\n\0]/.test(v)) headers[name] = v;
  }
  const cookies = p.cookies.filter((c) => !/[\r\n\0]/.test(c));
  if (cookies.length) headers["set-cookie"] = cookies;
  if (!Object.hasOwn(headers, "content-type")) headers["content-type"] = "application/octet-stream";
  return headers;
}

interface Admitted {
  url: FunctionUrlConfig;
  task: Task;
  /** The CORS headers its answer carries (a cross-origin request the URL's CORS allows), or none. */
  cors: Record<string, string>;
}

/**
 * Serves every function URL at `/lambda-url/{urlId}` and below, for every method. The function runs as its owner's
 * (the owner's VMs and configuration); who called is in the event's requestContext, and in the metrics as "url".
 */
export function registerFunctionUrls(server: FastifyInstance, app: Host, failures?: AuthFailures): void {
  const admitted = new WeakMap<FastifyRequest, Admitted>();

  /** What the request line and headers decide, before the body is read. Undefined lets the request go on. */
  const admit = (req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const { urlId } = splitUrlPath(req.raw.url ?? req.url);
    const state = app.store.documents.state;
    const url = functionUrlById(state, urlId);
    const task = url && state.tasks.find((t) => t.id === url.taskId);
    if (!url || !task) return send(reply, notFound());
    let cors: Record<string, string> = {};
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ""}`) {
      // A page of another origin calls only a URL whose CORS allows it; the port's own rule (no other site may
      // call it) holds for every other URL.
      if (!url.cors || !corsAllowsOrigin(url.cors, origin)) return send(reply, forbidden());
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
        return send(reply, preflight(url.cors, origin, req));
      }
      cors = corsHeaders(url.cors, origin);
    }
    if (url.authType === "AWS_IAM" && typeof req.headers.authorization !== "string") {
      return send(reply, forbidden(), cors);
    }
    admitted.set(req, { url, task, cors });
    return undefined;
  };

  /** The signer of an AWS_IAM request, if its account may call this URL. */
  const signer = async (
    req: FastifyRequest,
    body: Buffer,
    state: HearthState,
    a: Admitted,
  ): Promise<LambdaCaller | null> => {
    let c: LambdaCaller;
    try {
      c = await lambdaCaller(req, body, app.store, failures);
    } catch (err) {
      if (isHearthError(err)) return null;
      throw err;
    }
    if (c.profileId === a.task.profileId) return c;
    return statementAllowsUrl(state, c.accountId, a.task.id, a.url.qualifier) ? c : null;
  };

  /**
   * A RESPONSE_STREAM URL: the response goes out as the handler writes it. A handler written with
   * awslambda.HttpResponseStream starts with its prelude (status, headers, cookies); any other streamed content
   * type is a 200 of that type. A handler that does not stream answers as a buffered URL's does.
   */
  const streamed = async (reply: FastifyReply, a: Admitted, call: UrlCall): Promise<FastifyReply> => {
    const raw = reply.raw;
    let splitter: PreludeSplitter | null = null;
    let head = false;
    let failed = false;
    const writeHead = (status: number, headers: Record<string, string | string[]>): void => {
      head = true;
      reply.hijack();
      for (const [name, value] of Object.entries(headers)) {
        if (!HOP_BY_HOP.has(name) && !(name.startsWith("access-control-") && Object.keys(a.cors).length > 0))
          raw.setHeader(name, value);
      }
      for (const [name, value] of Object.entries(a.cors)) raw.setHeader(name, value);
      raw.setHeader("x-amzn-requestid", call.requestId);
      raw.writeHead(status);
    };
    const write = (bytes: Buffer): Promise<void> =>
      bytes.length === 0 || raw.write(bytes)
        ? Promise.resolve()
        : new Promise((resolve) => {
            const done = () => {
              raw.off("drain", done);
              raw.off("close", done);
              resolve();
            };
            raw.on("drain", done);
            raw.on("close", done);
          });
    let result: InvocationAnswer;
    try {
      result = await app.invoker.invoke({
        ...call,
        onChunk: async (c) => {
          if (failed) return;
          if (!head && splitter === null && isHttpIntegrationResponse(c.contentType))
            splitter = new PreludeSplitter();
          let body = c.data;
          if (splitter) {
            try {
              body = splitter.push(c.data);
            } catch {
              failed = true;
              return;
            }
            if (!head && splitter.prelude)
              writeHead(splitter.prelude.statusCode, preludeHeaders(splitter.prelude));
          } else if (!head) writeHead(200, { "content-type": c.contentType });
          if (head) await write(body);
        },
      });
    } catch (err) {
      if (head) {
        raw.destroy();
        return reply;
      }
      const code = errorCode(err);
      if (code === "TOO_MANY_REQUESTS" || code === "TOKEN_RATE_LIMITED")
        return send(reply, message(429, "Rate Exceeded."), a.cors, call.requestId);
      return send(reply, message(502, "Internal Server Error"), a.cors, call.requestId);
    }
    if (!result.streamed) {
      if (!result.ok) return send(reply, message(502, "Internal Server Error"), a.cors, call.requestId);
      return send(reply, httpApiResponse(result.payload ?? "null"), a.cors, call.requestId);
    }
    if (!head) {
      // Nothing was written, or a prelude never ended: Lambda answers what it can.
      if (failed || !result.ok || splitter) {
        return send(reply, message(502, "Internal Server Error"), a.cors, call.requestId);
      }
      writeHead(200, { "content-type": result.streamed.contentType });
    }
    // A handler that failed after its first bytes: the client sees the stream end early, as with Lambda.
    if (!result.ok || failed) raw.destroy();
    else raw.end();
    return reply;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const a = admitted.get(req);
    if (!a) return send(reply, notFound());
    const state = app.store.documents.state;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const owner = state.profiles.find((p) => p.id === a.task.profileId);
    if (!owner) return send(reply, notFound());
    let caller: LambdaCaller | null = null;
    if (a.url.authType === "AWS_IAM") {
      caller = await signer(req, body, state, a);
      if (!caller) return send(reply, forbidden(), a.cors);
    }
    const { rawPath, rawQueryString } = splitUrlPath(req.raw.url ?? req.url);
    const requestId = randomUUID();
    const now = Date.now();
    const event = buildHttpApiEvent(
      {
        method: req.method,
        rawPath,
        rawQueryString,
        headers: { ...req.headers },
        body: body.length > 0 ? body : null,
        sourceIp: req.ip,
        protocol: `HTTP/${req.raw.httpVersion}`,
      },
      {
        accountId: caller ? caller.accountId : "anonymous",
        apiId: a.url.urlId,
        routeKey: "$default",
        pathParameters: {},
        requestId,
        now,
      },
    );
    // Lambda names the URL's host by its id; the port's own name is what a client reaches here.
    event.requestContext.domainPrefix = a.url.urlId;
    const requestContext = event.requestContext;
    if (caller) {
      const accessKey = /Credential=([A-Za-z0-9]+)\//.exec(String(req.headers.authorization))?.[1] ?? "";
      requestContext.authorizer = {
        iam: {
          accessKey,
          accountId: caller.accountId,
          callerId: caller.accountId,
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: `arn:aws:iam::${caller.accountId}:root`,
          userId: caller.accountId,
        },
      };
    }
    const call: UrlCall = {
      // The owner's function, in the owner's VMs; only its owner's own signed call is not an outsider's.
      caller: {
        profileId: a.task.profileId,
        outsider: caller?.profileId !== a.task.profileId,
        via: { kind: "url", label: caller ? caller.accountId : "anonymous" },
      },
      target: { task: a.task.name, ...(a.url.qualifier !== null ? { qualifier: a.url.qualifier } : {}) },
      event,
      requestId,
      mode: "sync",
    };
    if (a.url.invokeMode === "RESPONSE_STREAM") return streamed(reply, a, call);
    let result: InvocationAnswer;
    try {
      result = await app.invoker.invoke(call);
    } catch (err) {
      const code = errorCode(err);
      if (code === "TOO_MANY_REQUESTS" || code === "TOKEN_RATE_LIMITED")
        return send(reply, message(429, "Rate Exceeded."), a.cors, requestId);
      return send(reply, message(502, "Internal Server Error"), a.cors, requestId);
    }
    if (!result.ok) return send(reply, message(502, "Internal Server Error"), a.cors, requestId);
    if (result.streamed) return send(reply, joinedStream(result), a.cors, requestId);
    return send(reply, httpApiResponse(result.payload ?? "null"), a.cors, requestId);
  };

  void server.register(async (scope) => {
    // The function gets the body's bytes as sent, whatever its type; SigV4 covers those same bytes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_URL_BODY_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode;
      if (status === 413) return send(reply, message(413, "Request Entity Too Large"));
      if (status !== undefined && status >= 400 && status < 500)
        return send(reply, message(status, "Bad Request"));
      return send(reply, message(500, "Internal Server Error"));
    });
    scope.addHook("onRequest", async (req, reply) => admit(req, reply));
    scope.all(`${FUNCTION_URL_PREFIX}:urlId`, handle);
    scope.all(`${FUNCTION_URL_PREFIX}:urlId/*`, handle);
  });
}
