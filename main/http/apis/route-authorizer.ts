// Runs a route's authorizer on a request, after the route is matched and before its task runs: the answer API
// Gateway would give when it refuses (401, 403, 500), or what the route's event carries in requestContext.authorizer.
import type { Api, ApiAuthorizer, ApiRoute } from "../../domain/model/state.ts";
import type { InvocationAnswer, SyncInvocation } from "../../invoke/invoker.ts";
import {
  gatewayMessage,
  internalServerError,
  type ApiHttpResponse,
  type EventAuthorizer,
  type HttpApiEventV2,
} from "./apigw-event.ts";
import { AuthorizerCache } from "./authorizer-cache.ts";
import { identityValue, identityValues, type IdentityRequest } from "./identity-sources.ts";
import { JwksUnavailable, type JwksCache } from "./jwks-cache.ts";
import { acceptedAlgorithm, decodeJwt, stringClaims, verifyJwt, wwwAuthenticate } from "./jwt-verify.ts";
import {
  answerAllows,
  buildAuthorizerEvent,
  readAuthorizerAnswer,
  routeArn,
  type AuthorizerAnswer,
} from "./lambda-authorizer.ts";

export interface RouteAuthorizerDeps {
  /** The one invocation entry: a REQUEST authorizer's task is invoked the way a route's is. */
  invoke: (req: SyncInvocation) => Promise<InvocationAnswer>;
  jwks: JwksCache;
  answers: AuthorizerCache<AuthorizerAnswer>;
  now?: () => number;
}

export type AuthorizerOutcome =
  | { ok: true; authorizer: EventAuthorizer }
  | {
      ok: false;
      response: ApiHttpResponse;
      /** Why, for whoever reads the host's side; never sent. */ problem?: string;
    };

const refuse = (response: ApiHttpResponse, problem?: string): AuthorizerOutcome => ({
  ok: false,
  response,
  ...(problem !== undefined ? { problem } : {}),
});
const forbidden = () => gatewayMessage(403, "Forbidden");

/** `Authorization: Bearer <jwt>` and a bare `<jwt>` are both taken, as API Gateway takes them. */
function bearerless(value: string): string {
  return value.replace(/^Bearer[ \t]+/i, "").trim();
}

async function jwtAuthorizer(
  deps: RouteAuthorizerDeps,
  a: ApiAuthorizer,
  route: ApiRoute,
  req: IdentityRequest,
): Promise<AuthorizerOutcome> {
  const jwtConfig = a.jwt!;
  const scopes = route.authorizationScopes ?? [];
  const raw = identityValue(a.identitySource[0]!, req);
  if (raw === undefined) return refuse(gatewayMessage(401, "Unauthorized", { "www-authenticate": "Bearer" }));
  const decoded = decodeJwt(bearerless(raw));
  const rules = {
    issuer: jwtConfig.issuer,
    audience: jwtConfig.audience,
    scopes,
    now: (deps.now ?? Date.now)(),
  };
  let verdict;
  if (!("signingInput" in decoded)) verdict = decoded;
  else if (acceptedAlgorithm(decoded.header.alg) === null || decoded.header.kid === undefined)
    // Refused for its header alone: the issuer's keys are not fetched for it.
    verdict = verifyJwt(decoded, undefined, rules);
  else {
    let key;
    try {
      key = await deps.jwks.key(jwtConfig, decoded.header.kid);
    } catch (err) {
      if (err instanceof JwksUnavailable) return refuse(internalServerError(err.message), err.message);
      throw err;
    }
    verdict = verifyJwt(decoded, key, rules);
  }
  if (!verdict.ok) {
    const body = verdict.status === 403 ? forbidden() : gatewayMessage(401, "Unauthorized");
    body.headers["www-authenticate"] = wwwAuthenticate(verdict, scopes);
    return refuse(body, verdict.description);
  }
  return {
    ok: true,
    authorizer: {
      jwt: { claims: stringClaims(verdict.claims), scopes: scopes.length > 0 ? verdict.scopes : null },
    },
  };
}

async function requestAuthorizer(
  deps: RouteAuthorizerDeps,
  api: Api,
  a: ApiAuthorizer,
  event: HttpApiEventV2,
  req: IdentityRequest,
): Promise<AuthorizerOutcome> {
  const values = identityValues(a.identitySource, req);
  if (values === null) return refuse(gatewayMessage(401, "Unauthorized"), "an identity source is missing");
  const ctx = event.requestContext;
  const arn = routeArn(ctx.accountId, ctx.apiId, ctx.http.method, event.rawPath);
  const ttl = a.resultTtlSeconds ?? 0;
  // The API's id and the whole definition: another API's authorizer, or this one changed, never reuses an answer.
  const key = ttl > 0 ? AuthorizerCache.key({ api: api.id, authorizer: a }, values) : null;
  let answer = key === null ? undefined : deps.answers.get(key);
  if (answer === undefined) {
    let result: InvocationAnswer;
    try {
      result = await deps.invoke({
        // The API's profile invokes it as an outsider, exactly as it invokes a route's task.
        caller: { profileId: api.profileId, outsider: true, via: { kind: "api", label: api.name } },
        target: { ...a.target! },
        event: buildAuthorizerEvent(event, arn, values),
        mode: "sync",
      });
    } catch (err) {
      return refuse(
        internalServerError(),
        `authorizer "${a.name}" could not be invoked: ${(err as Error).message}`,
      );
    }
    if (!result.ok) {
      const why = result.error ? `: ${result.error.errorType}: ${result.error.errorMessage}` : "";
      return refuse(internalServerError(), `authorizer "${a.name}" failed${why}`);
    }
    const read = readAuthorizerAnswer(result.payload ?? "null", a.enableSimpleResponses === true);
    if ("problem" in read) return refuse(internalServerError(read.problem), read.problem);
    answer = read;
    // Refusals are cached too: a denied caller does not run the task again within the TTL either.
    if (key !== null) deps.answers.set(key, answer, ttl);
  }
  if (!answerAllows(answer, arn)) return refuse(forbidden(), `authorizer "${a.name}" denied the request`);
  return { ok: true, authorizer: { lambda: answer.context } };
}

/**
 * The route's authorizer's verdict. `event` is the route's event (its body aside), whose headers and query the
 * identity sources are read from: on a token API its Authorization header is already gone.
 */
export async function authorizeRoute(
  deps: RouteAuthorizerDeps,
  api: Api,
  route: ApiRoute,
  event: HttpApiEventV2,
): Promise<AuthorizerOutcome | null> {
  if (route.authorizerId === undefined) return null;
  const a = api.authorizers?.find((x) => x.id === route.authorizerId);
  // The rules keep every route's authorizer in its API; a document edited by hand is refused, never let through.
  if (!a) return refuse(internalServerError(), `route "${route.routeKey}" names a missing authorizer`);
  const req: IdentityRequest = { headers: event.headers, query: event.queryStringParameters };
  return a.type === "JWT" ? jwtAuthorizer(deps, a, route, req) : requestAuthorizer(deps, api, a, event, req);
}
