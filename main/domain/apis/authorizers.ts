// An API's authorizers, as API Gateway HTTP APIs define them: JWT (a token checked against an issuer's keys) and
// REQUEST (a task answering for each identity), checked when the API is defined, and the routes that use them.
import { z } from "zod";
import { canInvoke, resolveInvokeTarget, type InvokeTarget } from "../access/authorization.ts";
import { HearthError, isHearthError } from "../model/errors.ts";
import { newId, type IdPrefix } from "../model/ids.ts";
import type { RandomSource } from "../model/random-source.ts";
import type { ApiAccess, ApiAuthorizer, ApiRoute, ApiRouteTarget, HearthState } from "../model/state.ts";
import { taskNameSchema } from "../tasks/task-config.ts";

/** API Gateway's default quota of authorizers per API. */
export const MAX_API_AUTHORIZERS = 10;
/** API Gateway's default and largest time a REQUEST authorizer's answer is reused. */
export const DEFAULT_AUTHORIZER_TTL_S = 300;
export const MAX_AUTHORIZER_TTL_S = 3600;
export const MAX_IDENTITY_SOURCES = 10;
export const MAX_ROUTE_SCOPES = 50;
/** Where API Gateway reads a JWT from unless told otherwise. */
export const DEFAULT_JWT_IDENTITY_SOURCE = "$request.header.Authorization";

const ID_PREFIX: IdPrefix = "aut";
const AUTHORIZER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** A header name is an HTTP token; a query parameter's name anything that ends neither the pair nor the query. */
const IDENTITY_SOURCE = /^\$request\.(header\.[!#$%&'*+.^_`|~0-9A-Za-z-]+|querystring\.[^\s&=#]+)$/;

export const targetSchema = z.strictObject({
  task: taskNameSchema,
  qualifier: z.string().min(1, "must not be empty").max(128, "must be at most 128 characters").optional(),
  ownerAccountId: z
    .string()
    .regex(/^[0-9]{12}$/, "must be a 12-digit account id")
    .optional(),
});

const identitySourceSchema = z
  .string()
  .regex(IDENTITY_SOURCE, 'must be "$request.header.NAME" or "$request.querystring.NAME"');

const jwtSchema = z.strictObject({
  issuer: z.string().min(1, "must not be empty").max(512, "must be at most 512 characters"),
  audience: z
    .array(z.string().min(1, "must not be empty").max(256, "must be at most 256 characters"))
    .min(1, "must name at least one audience")
    .max(50, "must hold at most 50 audiences"),
  jwksUri: z.string().max(2048, "must be at most 2048 characters").optional(),
  jwksFile: z.string().max(4096, "must be at most 4096 characters").optional(),
});

export const authorizerInputSchema = z.strictObject({
  /** An authorizer the API already has keeps its id; without one, the authorizer is new. */
  id: z.string().min(1, "must not be empty").optional(),
  name: z.string().regex(AUTHORIZER_NAME, "must be 1 to 64 characters: letters, digits, - or _"),
  type: z.enum(["JWT", "REQUEST"], { error: 'must be "JWT" or "REQUEST"' }),
  identitySource: z
    .array(identitySourceSchema)
    .max(MAX_IDENTITY_SOURCES, `must hold at most ${MAX_IDENTITY_SOURCES} identity sources`)
    .optional(),
  jwt: jwtSchema.optional(),
  target: targetSchema.optional(),
  enableSimpleResponses: z.boolean().optional(),
  resultTtlSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(0, `must be between 0 and ${MAX_AUTHORIZER_TTL_S}`)
    .max(MAX_AUTHORIZER_TTL_S, `must be between 0 and ${MAX_AUTHORIZER_TTL_S}`)
    .optional(),
});

export const authorizersSchema = z
  .array(authorizerInputSchema)
  .max(MAX_API_AUTHORIZERS, `must hold at most ${MAX_API_AUTHORIZERS} authorizers`);

/** A route's authorizer fields, as given. */
export const routeAuthorizationFields = {
  /** An authorizer's id, or its name when it is defined in the same input (a new one has no id yet). */
  authorizerId: z.string().min(1, "must not be empty").optional(),
  authorizationScopes: z
    .array(z.string().regex(/^\S{1,128}$/, "must be 1 to 128 characters without spaces"))
    .max(MAX_ROUTE_SCOPES, `must hold at most ${MAX_ROUTE_SCOPES} scopes`)
    .optional(),
};

type AuthorizerInput = z.output<typeof authorizerInputSchema>;

/** The target as stored: only the fields that were given. */
export function cleanTarget(t: z.output<typeof targetSchema>): ApiRouteTarget {
  return {
    task: t.task,
    ...(t.qualifier !== undefined ? { qualifier: t.qualifier } : {}),
    ...(t.ownerAccountId !== undefined ? { ownerAccountId: t.ownerAccountId } : {}),
  };
}

/**
 * Checks that the API's profile may invoke a target now, as a route's target or a REQUEST authorizer's task; `what`
 * names it in the message (`route "GET /a"`), `field` is the target's field.
 */
export function checkInvokeTarget(
  state: HearthState,
  profileId: string,
  target: ApiRouteTarget,
  what: string,
  field: string,
): void {
  let resolved: InvokeTarget;
  try {
    resolved = resolveInvokeTarget(state, profileId, target);
  } catch (err) {
    if (!isHearthError(err)) throw err;
    throw new HearthError(err.code, `${what}: ${err.detail}`, field);
  }
  if (!canInvoke(state, profileId, resolved)) {
    throw new HearthError("FORBIDDEN", `${what}: this profile may not invoke task "${target.task}"`, field);
  }
}

/**
 * A token API's Authorization header carries its Hearth token, which the gateway checks and then removes: an
 * authorizer reading that header would see Hearth's secret, never the caller's own credential. So on a token API an
 * authorizer reads its identity from another header or the query string. This is the one rule; nothing else about
 * the two kinds of access interacts.
 */
function readsHearthToken(source: string): boolean {
  return source.toLowerCase() === "$request.header.authorization";
}

const TOKEN_HEADER_ADVICE =
  "on a token API the Authorization header carries the API's Hearth token; read the identity from another " +
  "header (such as $request.header.X-Jwt) or the query string, or make the API public";

/** The first authorizer that would read a token API's Hearth token, with the field at fault. */
export function tokenHeaderClash(authorizers: readonly ApiAuthorizer[]): { name: string; at: string } | null {
  for (const [i, a] of authorizers.entries()) {
    const j = a.identitySource.findIndex(readsHearthToken);
    if (j >= 0) return { name: a.name, at: `authorizers.${i}.identitySource.${j}` };
  }
  return null;
}

function checkJwksUri(uri: string, field: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new HearthError("INVALID_INPUT", `${field} must be an http or https URL`, field);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new HearthError(
      "INVALID_INPUT",
      `${field} must be an http or https URL, not ${url.protocol}`,
      field,
    );
}

/** One authorizer, checked for its type; `i` is its place in the input, for field paths. */
function checkAuthorizer(
  state: HearthState,
  profileId: string,
  a: AuthorizerInput,
  i: number,
  id: string,
): ApiAuthorizer {
  const at = `authorizers.${i}`;
  const refuse = (field: string, why: string) =>
    new HearthError("INVALID_INPUT", `authorizer "${a.name}": ${why}`, `${at}.${field}`);
  if (a.type === "JWT") {
    if (a.jwt === undefined) throw refuse("jwt", "a JWT authorizer needs jwt: { issuer, audience, jwksUri }");
    if (a.target !== undefined) throw refuse("target", "only a REQUEST authorizer invokes a task");
    // API Gateway caches nothing of a JWT authorizer but the issuer's keys, and has no simple responses for it.
    if (a.resultTtlSeconds !== undefined)
      throw refuse("resultTtlSeconds", "only a REQUEST authorizer's answers are cached");
    if (a.enableSimpleResponses !== undefined)
      throw refuse("enableSimpleResponses", "only a REQUEST authorizer answers with simple responses");
    const identitySource = a.identitySource ?? [DEFAULT_JWT_IDENTITY_SOURCE];
    if (identitySource.length !== 1)
      throw refuse("identitySource", "a JWT authorizer reads its token from exactly one identity source");
    const { jwksUri, jwksFile } = a.jwt;
    if (jwksUri !== undefined && jwksFile !== undefined)
      throw refuse(
        "jwt.jwksUri",
        "give the issuer's keys as one of jwksUri (a URL) and jwksFile (a file), not both",
      );
    // Neither: the keys are found as API Gateway finds them, through the issuer's OpenID configuration
    // ({issuer}/.well-known/openid-configuration names its jwks_uri), so the issuer must be a URL.
    if (jwksUri === undefined && jwksFile === undefined) {
      try {
        checkJwksUri(a.jwt.issuer, `${at}.jwt.issuer`);
      } catch {
        throw refuse(
          "jwt.issuer",
          "an issuer that is not an http or https URL has no OpenID configuration to find its keys in; " +
            "give them as jwksUri (a URL) or jwksFile (a file)",
        );
      }
    }
    if (jwksUri !== undefined) checkJwksUri(jwksUri, `${at}.jwt.jwksUri`);
    // The host reads the file, whichever directory it was started in: only an absolute path means one file.
    if (jwksFile !== undefined && (!jwksFile.startsWith("/") || jwksFile.includes("\0")))
      throw refuse("jwt.jwksFile", "jwksFile must be an absolute path, such as /etc/hearth/jwks.json");
    return {
      id,
      name: a.name,
      type: "JWT",
      identitySource,
      jwt: {
        issuer: a.jwt.issuer,
        audience: [...a.jwt.audience],
        ...(jwksUri !== undefined ? { jwksUri } : {}),
        ...(jwksFile !== undefined ? { jwksFile } : {}),
      },
    };
  }
  if (a.jwt !== undefined) throw refuse("jwt", "only a JWT authorizer checks tokens against an issuer");
  if (a.target === undefined)
    throw refuse("target", "a REQUEST authorizer needs the task that answers it: target: { task }");
  const target = cleanTarget(a.target);
  checkInvokeTarget(state, profileId, target, `authorizer "${a.name}"`, `${at}.target`);
  const identitySource = a.identitySource ?? [];
  const resultTtlSeconds = a.resultTtlSeconds ?? DEFAULT_AUTHORIZER_TTL_S;
  // Answers are cached by the identity values: without any, one caller's answer would be every caller's.
  if (resultTtlSeconds > 0 && identitySource.length === 0)
    throw refuse(
      "identitySource",
      "a REQUEST authorizer that caches its answers (resultTtlSeconds above 0) needs at least one identity source; " +
        "name one or set resultTtlSeconds to 0",
    );
  return {
    id,
    name: a.name,
    type: "REQUEST",
    identitySource,
    target,
    enableSimpleResponses: a.enableSimpleResponses ?? false,
    resultTtlSeconds,
  };
}

/**
 * The API's authorizers from its input: names unique, ids kept for the ones it already has (so the routes using them
 * still do), every field checked for its type, and a REQUEST authorizer's task one the profile may invoke now.
 */
export function checkAuthorizers(
  state: HearthState,
  profileId: string,
  access: ApiAccess,
  input: readonly AuthorizerInput[],
  existing: readonly ApiAuthorizer[],
  random: RandomSource,
): ApiAuthorizer[] {
  const names = new Set<string>();
  const ids = new Set<string>();
  const out: ApiAuthorizer[] = [];
  for (const [i, a] of input.entries()) {
    if (names.has(a.name))
      throw new HearthError(
        "INVALID_INPUT",
        `authorizer "${a.name}" is defined twice`,
        `authorizers.${i}.name`,
      );
    names.add(a.name);
    let id: string;
    if (a.id !== undefined) {
      if (!existing.some((e) => e.id === a.id))
        throw new HearthError(
          "AUTHORIZER_NOT_FOUND",
          `no authorizer with id "${a.id}" on this API; leave id out to add a new one`,
          `authorizers.${i}.id`,
        );
      if (ids.has(a.id))
        throw new HearthError(
          "INVALID_INPUT",
          `authorizer id "${a.id}" is given twice`,
          `authorizers.${i}.id`,
        );
      id = a.id;
    } else {
      id = newId(
        ID_PREFIX,
        random,
        (x) => ids.has(x) || existing.some((e) => e.id === x) || input.some((o) => o.id === x),
      );
    }
    ids.add(id);
    out.push(checkAuthorizer(state, profileId, a, i, id));
  }
  if (access === "token") {
    const clash = tokenHeaderClash(out);
    if (clash)
      throw new HearthError("INVALID_INPUT", `authorizer "${clash.name}": ${TOKEN_HEADER_ADVICE}`, clash.at);
  }
  return out;
}

/** Refuses making an API with these authorizers a token API. */
export function checkTokenAccess(authorizers: readonly ApiAuthorizer[]): void {
  const clash = tokenHeaderClash(authorizers);
  if (clash)
    throw new HearthError(
      "INVALID_INPUT",
      `authorizer "${clash.name}" reads the Authorization header: ${TOKEN_HEADER_ADVICE}`,
      "access",
    );
}

/**
 * A route's authorizer fields as stored: `ref` names one of the API's authorizers by id, or by name (an authorizer
 * made in the same input has no id yet); scopes only where a JWT authorizer will check them.
 */
export function routeAuthorization(
  routeKey: string,
  ref: string | undefined,
  scopes: readonly string[] | undefined,
  authorizers: readonly ApiAuthorizer[],
  i: number,
): Pick<ApiRoute, "authorizerId" | "authorizationScopes"> {
  if (ref === undefined) {
    if (scopes !== undefined && scopes.length > 0)
      throw new HearthError(
        "INVALID_INPUT",
        `route "${routeKey}": authorization scopes are checked by a JWT authorizer; give the route one`,
        `routes.${i}.authorizationScopes`,
      );
    return {};
  }
  const authorizer = authorizers.find((a) => a.id === ref) ?? authorizers.find((a) => a.name === ref);
  if (!authorizer)
    throw new HearthError(
      "INVALID_INPUT",
      `route "${routeKey}": no authorizer "${ref}" on this API (by id or name)`,
      `routes.${i}.authorizerId`,
    );
  if (scopes !== undefined && scopes.length > 0 && authorizer.type !== "JWT")
    throw new HearthError(
      "INVALID_INPUT",
      `route "${routeKey}": authorization scopes are checked by JWT authorizers only, and "${authorizer.name}" is ${authorizer.type}`,
      `routes.${i}.authorizationScopes`,
    );
  return {
    authorizerId: authorizer.id,
    ...(scopes !== undefined && scopes.length > 0 ? { authorizationScopes: [...scopes] } : {}),
  };
}

/**
 * The API's routes, kept as they are, against a new list of authorizers: an authorizer a route still uses cannot
 * go, and a route's scopes need its authorizer to stay a JWT one.
 */
export function checkRoutesKeepAuthorizers(
  routes: readonly ApiRoute[],
  before: readonly ApiAuthorizer[],
  after: readonly ApiAuthorizer[],
): void {
  for (const r of routes) {
    if (r.authorizerId === undefined) continue;
    const now = after.findIndex((a) => a.id === r.authorizerId);
    if (now < 0) {
      const name = before.find((a) => a.id === r.authorizerId)?.name ?? r.authorizerId;
      throw new HearthError(
        "AUTHORIZER_IN_USE",
        `authorizer "${name}" is used by route "${r.routeKey}"; detach it from the route first`,
        "authorizers",
      );
    }
    if ((r.authorizationScopes?.length ?? 0) > 0 && after[now]!.type !== "JWT")
      throw new HearthError(
        "INVALID_INPUT",
        `authorizer "${after[now]!.name}": route "${r.routeKey}" has authorization scopes, which only a JWT authorizer checks`,
        `authorizers.${now}.type`,
      );
  }
}
