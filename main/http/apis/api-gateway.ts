// The APIs on the local port: a request to /apis/{name}/… becomes an API Gateway HTTP API (2.0) event for the task
// its route is bound to, and the task's answer becomes the HTTP response.
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { findApiByName } from "../../domain/apis/apis.ts";
import { isHearthError } from "../../domain/model/errors.ts";
import type { Api, ApiRoute, HearthState, Token } from "../../domain/model/state.ts";
import { MALFORMED_FAILURES, tokenFailureKey, type AuthFailures } from "../native/auth-failures.ts";
import { checkRemoteUse, findValidToken } from "../../domain/access/tokens.ts";
import type { InvocationAnswer, Invoker, SyncInvocation } from "../../invoke/invoker.ts";
import type { HearthStore } from "../../store/hearth-store.ts";
import { errorBody, errorCode, nativeStatus } from "../../operations/error-status.ts";
import {
  buildHttpApiEvent,
  gatewayMessage,
  httpApiResponse,
  notFound,
  type ApiHttpResponse,
  type EventAuthorizer,
  type HttpApiEventV2,
  HOP_BY_HOP,
} from "./apigw-event.ts";
import { AuthorizerCache } from "./authorizer-cache.ts";
import { JwksCache } from "./jwks-cache.ts";
import type { AuthorizerAnswer } from "./lambda-authorizer.ts";
import { authorizeRoute } from "./route-authorizer.ts";
import { compileRoutes, matchRoute, type RouteMatch, type RouteTable } from "./route-match.ts";

export const API_PATH_PREFIX = "/apis/";
/** Lambda's synchronous payload limit; API Gateway answers a bigger request body with 413. */
export const MAX_API_BODY_BYTES = 6 * 1024 * 1024;

export interface ApiGatewayDeps {
  store: HearthStore;
  invoker: Invoker;
  /** Failed token attempts per client address, shared with the native API's authentication. */
  failures?: AuthFailures;
  /**
   * Serve token APIs only (the shared listener): a public API is for whoever reaches the local port, so beyond it
   * the API answers as if it did not exist.
   */
  tokenOnly?: boolean;
  /**
   * Calls come from other machines (the shared listener): a token minted for the owner's machine only is
   * refused with 403 and `x-hearth-error-code: TOKEN_LOCAL_ONLY`.
   */
  remoteCalls?: boolean;
  /** The issuers' keys for JWT authorizers; a cache of this gateway's own by default. */
  jwks?: JwksCache;
  /** REQUEST authorizers' answers within their TTL; a cache of this gateway's own by default. */
  authorizerAnswers?: AuthorizerCache<AuthorizerAnswer>;
  /**
   * Hears why a route's authorizer made the request fail with a 5xx (a task that threw or answered what API
   * Gateway cannot read, keys that could not be had): the caller is told only "Internal Server Error", and the
   * API's owner needs the reason. Denials (401, 403) are the callers' business and are not reported.
   */
  onAuthorizerProblem?: (p: AuthorizerProblem) => void;
}

export interface AuthorizerProblem {
  api: string;
  routeKey: string;
  status: number;
  problem: string;
}

/** What the request line and headers settled, before the body was read. */
interface Admitted {
  api: Api;
  match: RouteMatch;
  route: ApiRoute;
  /** API Gateway's id for the request: the authorizer's event and the route's event both carry it. */
  requestId: string;
  /** When the request arrived, epoch ms. */
  now: number;
  /** What the route's authorizer found, for the route's event. */
  authorizer?: EventAuthorizer;
}

const message = gatewayMessage;
const unauthorized = () => message(401, "Unauthorized", { "www-authenticate": "Bearer" });
/** What API Gateway answers when the task itself failed (threw, timed out, crashed). */
const handlerFailed = () => message(502, "Internal Server Error");

function send(reply: FastifyReply, r: ApiHttpResponse, requestId?: string): FastifyReply {
  reply.code(r.status);
  for (const [name, value] of Object.entries(r.headers)) {
    if (!HOP_BY_HOP.has(name)) reply.header(name, value);
  }
  if (requestId !== undefined) reply.header("apigw-requestid", requestId);
  return reply.send(r.body);
}

/** The token in `Authorization: Bearer <token>`, if that is what the header holds. */
function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== "string") return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m ? m[1]! : null;
}

/** The API's token record for a presented token, or null when it is not one valid for this API. */
function tokenAccepted(state: HearthState, api: Api, token: string): Token | null {
  try {
    return findValidToken(state, token, Date.now(), { kind: "api", profileId: api.profileId, apiId: api.id });
  } catch (err) {
    if (isHearthError(err, "TOKEN_INVALID")) return null;
    throw err;
  }
}

/**
 * The answer when the invocation could not run: a target that no longer resolves (alias deleted, grant
 * revoked), throttling, no VM. The code's status from the one table, with a message that names the route.
 */
function invokeFailure(err: unknown, routeKey: string): ApiHttpResponse {
  const code = errorCode(err);
  if (code === null) return message(500, "Internal Server Error");
  const text = isHearthError(err)
    ? `route "${routeKey}" cannot reach its target: ${err.message}`
    : errorBody(err).error.message;
  return message(nativeStatus(code), text, { "x-hearth-error-code": code });
}

/** Splits `/apis/{name}/rest?query` as sent, still percent-encoded. */
function splitUrl(url: string): { name: string | null; rawPath: string; rawQueryString: string } {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const rawQueryString = q < 0 ? "" : url.slice(q + 1);
  const rest = path.slice(API_PATH_PREFIX.length);
  const slash = rest.indexOf("/");
  const rawName = slash < 0 ? rest : rest.slice(0, slash);
  let name: string | null;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = null;
  }
  return { name, rawPath: slash < 0 ? "/" : rest.slice(slash), rawQueryString };
}

/**
 * Serves every API at `/apis/{name}` and below, for every method. It reads no credentials but an API's own
 * tokens: a public API is open to whoever reaches the port, a token API to bearers of a token minted for it. A route
 * with an authorizer is open, beyond that, only to the requests its authorizer lets through.
 */
export function registerApiGateway(server: FastifyInstance, deps: ApiGatewayDeps): void {
  const { store, invoker } = deps;
  const authorizerDeps = {
    invoke: (r: SyncInvocation) => invoker.invoke(r),
    jwks: deps.jwks ?? new JwksCache(),
    answers: deps.authorizerAnswers ?? new AuthorizerCache<AuthorizerAnswer>(),
  };
  // Keyed by the route keys themselves rather than updatedAt: two edits within one millisecond share an
  // updatedAt, and a stale table would send a request to the wrong route's target.
  const tables = new Map<string, { keys: string; table: RouteTable }>();
  const tableOf = (api: Api): RouteTable => {
    const routeKeys = api.routes.map((r) => r.routeKey);
    const keys = routeKeys.join("\n");
    const hit = tables.get(api.id);
    if (hit && hit.keys === keys) return hit.table;
    if (tables.size > 1000) tables.clear();
    const table = compileRoutes(routeKeys);
    tables.set(api.id, { keys, table });
    return table;
  };

  const admitted = new WeakMap<FastifyRequest, Admitted>();

  /** The route's event for a request; `body` null before the body is read (an authorizer gets none). */
  const routeEvent = (req: FastifyRequest, a: Admitted, body: Buffer | null): HttpApiEventV2 => {
    const { rawPath, rawQueryString } = splitUrl(req.raw.url ?? req.url);
    const headers = { ...req.headers };
    // The token is Hearth's secret, not the task's: a route may lead to another profile's task.
    if (a.api.access === "token") delete headers.authorization;
    return buildHttpApiEvent(
      {
        method: req.method,
        rawPath,
        rawQueryString,
        headers,
        body,
        sourceIp: req.ip,
        protocol: `HTTP/${req.raw.httpVersion}`,
      },
      {
        accountId: store.documents.state.profiles.find((p) => p.id === a.api.profileId)?.accountId ?? "",
        apiId: a.api.id,
        routeKey: a.match.routeKey,
        pathParameters: a.match.pathParameters,
        requestId: a.requestId,
        now: a.now,
      },
    );
  };

  /**
   * Everything a request's line and headers decide, answered before its body is read: which API and route, whether
   * its page's origin may call, and for a token API whether it holds a token. Undefined lets the request go on.
   */
  const admit = (req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const { name, rawPath } = splitUrl(req.raw.url ?? req.url);
    const state = store.documents.state;
    const api = name === null ? undefined : findApiByName(state, name);
    if (!api || (deps.tokenOnly === true && api.access !== "token")) return send(reply, notFound());
    // No API opts in to CORS: a page of another origin may not call one (nor read its answer).
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ""}`) {
      return send(reply, message(403, "Forbidden"));
    }
    if (api.access === "token") {
      const refused = tokenRefusal(state, api, req);
      if (refused) return send(reply, refused);
    }
    let match: RouteMatch | null;
    try {
      match = matchRoute(tableOf(api), req.method, rawPath);
    } catch (err) {
      // Bad percent-encoding in the path.
      if (isHearthError(err, "INVALID_INPUT")) return send(reply, message(400, "Bad Request"));
      throw err;
    }
    const route = match && api.routes[match.index];
    if (!match || !route) return send(reply, notFound());
    admitted.set(req, { api, match, route, requestId: randomUUID(), now: Date.now() });
    return undefined;
  };

  /**
   * The route's authorizer, when it has one, decides before the body is read (API Gateway sends an authorizer no
   * body): a refused request never sends megabytes, and its route's task never runs. Undefined lets it go on.
   */
  const authorize = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const a = admitted.get(req);
    if (!a || a.route.authorizerId === undefined) return undefined;
    const outcome = await authorizeRoute(authorizerDeps, a.api, a.route, routeEvent(req, a, null));
    if (outcome === null) return undefined;
    if (!outcome.ok) {
      if (outcome.response.status >= 500 && outcome.problem !== undefined) {
        deps.onAuthorizerProblem?.({
          api: a.api.name,
          routeKey: a.route.routeKey,
          status: outcome.response.status,
          problem: outcome.problem,
        });
      }
      return send(reply, outcome.response, a.requestId);
    }
    a.authorizer = outcome.authorizer;
    return undefined;
  };

  /** A call its token's rate limit refused counts as a throttle of the task its route leads to. */
  const throttledRoute = (api: Api, req: FastifyRequest, code: string): void => {
    try {
      const match = matchRoute(tableOf(api), req.method, splitUrl(req.raw.url ?? req.url).rawPath);
      const route = match && api.routes[match.index];
      if (route) invoker.recordThrottle(api.profileId, route.target, { kind: "api", label: api.name }, code);
    } catch {
      // A path that matches nothing (or cannot be read) throttled no task.
    }
  };

  /**
   * A token API's answer to a request without a valid token of its own, or null when it holds one (and is within
   * its rate). A valid token is taken before any wait is looked at; no credentials is refused without counting.
   */
  const tokenRefusal = (state: HearthState, api: Api, req: FastifyRequest): ApiHttpResponse | null => {
    const header = req.headers.authorization;
    if (header === undefined) return unauthorized();
    const presented = bearerToken(header);
    const token = presented === null ? null : tokenAccepted(state, api, presented);
    if (!token) {
      const key = presented === null ? MALFORMED_FAILURES : tokenFailureKey(state, presented);
      const wait = deps.failures?.retryAfterMs(req.ip, key) ?? 0;
      if (wait > 0) {
        return message(429, "Too Many Requests", { "retry-after": String(Math.ceil(wait / 1000)) });
      }
      deps.failures?.fail(req.ip, key);
      return unauthorized();
    }
    if (deps.remoteCalls === true) {
      try {
        checkRemoteUse(token);
      } catch (err) {
        if (!isHearthError(err, "TOKEN_LOCAL_ONLY")) throw err;
        return message(403, err.message, { "x-hearth-error-code": err.code });
      }
    }
    try {
      store.tokenUsage.admit(token, req.ip);
    } catch (err) {
      if (!isHearthError(err, "TOKEN_RATE_LIMITED")) throw err;
      throttledRoute(api, req, err.code);
      const retryAfterS = (err as { retryAfterS?: number }).retryAfterS ?? 60;
      return message(429, "Too Many Requests", { "retry-after": String(retryAfterS) });
    }
    return null;
  };

  const handle = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const found = admitted.get(req);
    if (!found) return send(reply, notFound());
    const { api, route, requestId } = found;
    const event = routeEvent(req, found, Buffer.isBuffer(req.body) ? req.body : null);
    if (found.authorizer) event.requestContext.authorizer = found.authorizer;
    let result: InvocationAnswer;
    try {
      result = await invoker.invoke({
        // Whoever calls an API is an outside caller, whatever profile the API belongs to.
        caller: { profileId: api.profileId, outsider: true, via: { kind: "api", label: api.name } },
        target: { ...route.target },
        event,
        requestId,
        mode: "sync",
      });
    } catch (err) {
      return send(reply, invokeFailure(err, route.routeKey), requestId);
    }
    if (!result.ok) return send(reply, handlerFailed(), requestId);
    return send(reply, httpApiResponse(result.payload ?? "null"), requestId);
  };

  void server.register(async (scope) => {
    // A task gets the body's bytes as sent, whatever its type: apigw-event.ts decides between text and base64.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_API_BODY_BYTES },
      (_req, body, done) => done(null, body),
    );
    scope.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode;
      if (status === 413) return send(reply, message(413, "Request Entity Too Large"));
      if (status !== undefined && status >= 400 && status < 500)
        return send(reply, message(status, STATUS_CODES[status] ?? "Bad Request"));
      return send(reply, message(500, "Internal Server Error"));
    });
    // Before the body is read: a request no route takes, without the API's token, or refused by the route's
    // authorizer never sends megabytes.
    scope.addHook("onRequest", async (req, reply) => admit(req, reply) ?? (await authorize(req, reply)));
    scope.all("/apis/:api", handle);
    scope.all("/apis/:api/*", handle);
  });
}
