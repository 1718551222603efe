// APIs: route keys bound to tasks or aliases a profile may invoke, published on the local port at /apis/{name}.
import { z } from "zod";
import { removeApis } from "../model/cascade.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { parseRouteKey, routeShape } from "./route-keys.ts";
import { getProfile } from "../model/lookups.ts";
import type { Api, ApiAuthorizer, ApiRoute, Change, HearthState } from "../model/state.ts";
import { descriptionSchema } from "../tasks/task-config.ts";
import { apiViewOf, type ApiView } from "../model/views.ts";
import {
  authorizersSchema,
  checkAuthorizers,
  checkInvokeTarget,
  checkRoutesKeepAuthorizers,
  checkTokenAccess,
  cleanTarget,
  routeAuthorization,
  routeAuthorizationFields,
  targetSchema,
} from "./authorizers.ts";

export const API_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_API_ROUTES = 100;
const MAX_ROUTE_KEY = 512;

const apiNameSchema = z
  .string()
  .regex(API_NAME_PATTERN, "must be 1 to 64 characters: letters, digits, - or _");

const accessSchema = z.enum(["public", "token"], { error: 'must be "public" or "token"' });

const routesSchema = z
  .array(
    z.strictObject({
      routeKey: z.string().max(MAX_ROUTE_KEY, `must be at most ${MAX_ROUTE_KEY} characters`),
      target: targetSchema,
      ...routeAuthorizationFields,
    }),
  )
  .max(MAX_API_ROUTES, `must hold at most ${MAX_API_ROUTES} routes`);

const createSchema = z.strictObject({
  name: apiNameSchema,
  description: descriptionSchema.default(""),
  access: accessSchema.default("token"),
  routes: routesSchema,
  authorizers: authorizersSchema.default([]),
});

/** Left-out fields keep their value; `routes` and `authorizers` each replace the whole list. */
const updateSchema = z.strictObject({
  apiId: z.string(),
  description: descriptionSchema.optional(),
  access: accessSchema.optional(),
  routes: routesSchema.optional(),
  authorizers: authorizersSchema.optional(),
});

const deleteSchema = z.strictObject({ apiId: z.string() });

export type CreateApiInput = z.input<typeof createSchema>;
export type UpdateApiInput = z.input<typeof updateSchema>;

/**
 * Checks one route key (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`) and returns its shape, the key with
 * variable names blanked: two routes of one shape take the same requests and could never be told apart.
 */
export function routeKeyShape(routeKey: string, field: string): string {
  return routeShape(parseRouteKey(routeKey, field));
}

/**
 * Every key parses, no two take the same requests, every target is something the API's profile may invoke
 * now, and every authorizer a route names is one of the API's. Targets are checked only here: one that disappears
 * later fails its requests, not its owner's deletions.
 */
function checkRoutes(
  state: HearthState,
  profileId: string,
  routes: z.output<typeof routesSchema>,
  authorizers: readonly ApiAuthorizer[],
): ApiRoute[] {
  const shapes = new Map<string, string>();
  return routes.map((r, i) => {
    const field = `routes.${i}.routeKey`;
    const shape = routeKeyShape(r.routeKey, field);
    const twin = shapes.get(shape);
    if (twin !== undefined) {
      throw new HearthError(
        "INVALID_INPUT",
        twin === r.routeKey
          ? `route "${r.routeKey}" is defined twice`
          : `route "${r.routeKey}" matches the same requests as "${twin}"; keep one`,
        field,
      );
    }
    shapes.set(shape, r.routeKey);
    const target = cleanTarget(r.target);
    checkInvokeTarget(state, profileId, target, `route "${r.routeKey}"`, `routes.${i}.target`);
    return {
      routeKey: r.routeKey,
      target,
      ...routeAuthorization(r.routeKey, r.authorizerId, r.authorizationScopes, authorizers, i),
    };
  });
}

/** The API with this name, whoever owns it: names are one namespace on the port. */
export function findApiByName(state: HearthState, name: string): Api | undefined {
  return state.apis.find((a) => a.name === name);
}

/** An API the actor owns. Anyone else's is reported as missing, so ids cannot be probed for existence. */
export function getOwnApi(state: HearthState, profileId: string, apiId: string): Api {
  const api = state.apis.find((a) => a.id === apiId && a.profileId === profileId);
  if (!api) throw new HearthError("API_NOT_FOUND", `no API with id "${apiId}" in your profile`, "apiId");
  return api;
}

export function createApi(
  state: HearthState,
  profileId: string,
  input: CreateApiInput,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<ApiView> {
  const v = parseInput(createSchema, input);
  getProfile(state, profileId);
  if (findApiByName(state, v.name)) {
    throw new HearthError(
      "API_EXISTS",
      `an API named "${v.name}" already exists; every profile's APIs share /apis/<name> on the port`,
      "name",
    );
  }
  const authorizers = checkAuthorizers(state, profileId, v.access, v.authorizers, [], ctx.random);
  const routes = checkRoutes(state, profileId, v.routes, authorizers);
  const now = isoTime(ctx.now);
  const api: Api = {
    id: newId("api", ctx.random, (id) => state.apis.some((a) => a.id === id)),
    profileId,
    name: v.name,
    description: v.description,
    access: v.access,
    routes,
    ...(authorizers.length > 0 ? { authorizers } : {}),
    createdAt: now,
    updatedAt: now,
  };
  const next = structuredClone(state);
  next.apis.push(api);
  return { state: next, result: apiViewOf(api) };
}

export function updateApi(
  state: HearthState,
  profileId: string,
  input: UpdateApiInput,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<ApiView> {
  const v = parseInput(updateSchema, input);
  const current = getOwnApi(state, profileId, v.apiId);
  const access = v.access ?? current.access;
  const before = current.authorizers ?? [];
  let authorizers = before;
  if (v.authorizers !== undefined) {
    authorizers = checkAuthorizers(state, profileId, access, v.authorizers, before, ctx.random);
  } else if (access === "token") {
    checkTokenAccess(before);
  }
  let routes: ApiRoute[] | undefined;
  if (v.routes !== undefined) routes = checkRoutes(state, profileId, v.routes, authorizers);
  else checkRoutesKeepAuthorizers(current.routes, before, authorizers);
  const next = structuredClone(state);
  const api = getOwnApi(next, profileId, v.apiId);
  if (v.description !== undefined) api.description = v.description;
  if (v.access !== undefined) api.access = v.access;
  if (routes !== undefined) api.routes = routes;
  if (authorizers.length > 0) api.authorizers = authorizers;
  else delete api.authorizers;
  api.updatedAt = isoTime(ctx.now);
  return { state: next, result: apiViewOf(api) };
}

/** Removes an API the actor owns, with the tokens minted for it; the tasks and aliases it served stay. */
export function deleteApi(
  state: HearthState,
  profileId: string,
  input: z.input<typeof deleteSchema>,
): Change<{ apiId: string }> {
  const v = parseInput(deleteSchema, input);
  const api = getOwnApi(state, profileId, v.apiId);
  const next = structuredClone(state);
  removeApis(next, new Set([api.id]));
  return { state: next, result: { apiId: api.id } };
}
