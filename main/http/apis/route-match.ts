// Picks the route of an API that answers a request, by API Gateway HTTP API's rules, and reads its path parameters.
import { HearthError } from "../../domain/model/errors.ts";
import { DEFAULT_ROUTE, parseRouteKey, routeShape, type ParsedRoute } from "../../domain/apis/route-keys.ts";

export interface RouteTable {
  readonly routes: readonly ParsedRoute[];
}

export interface RouteMatch {
  routeKey: string;
  /** The route's place in the list it was compiled from, to find what it is bound to. */
  index: number;
  /** URL-decoded values by name; a greedy variable's value keeps its slashes. */
  pathParameters: Record<string, string>;
}

/** Checks every route key once, when an API is defined, so a request never meets a broken route. */
export function compileRoutes(routeKeys: readonly string[]): RouteTable {
  const routes: ParsedRoute[] = [];
  const seen = new Map<string, string>();
  for (const [i, key] of routeKeys.entries()) {
    const route = parseRouteKey(key, `routes.${i}`);
    const shape = routeShape(route);
    const twin = seen.get(shape);
    if (twin !== undefined) {
      throw new HearthError(
        "INVALID_INPUT",
        twin === key
          ? `route "${key}" is defined twice`
          : `route "${key}" matches the same requests as "${twin}"; keep one`,
        `routes.${i}`,
      );
    }
    seen.set(shape, key);
    routes.push(route);
  }
  return { routes };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HearthError(
      "INVALID_INPUT",
      `the request path has invalid percent-encoding in "${raw}"`,
      "path",
    );
  }
}

/** The path parameters when the route takes the path, else null. `raw` is the path split on / (still encoded). */
function matchPath(route: ParsedRoute, raw: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  const last = route.segments.at(-1);
  if (last?.kind === "greedy") {
    const fixed = route.segments.length - 1;
    // A greedy variable takes one segment at least: `/{proxy+}` does not take `/`, as in API Gateway.
    if (raw.length <= fixed) return null;
    const rest = raw.slice(fixed);
    if (rest.join("/") === "") return null;
    params[last.name] = rest.map(decodeSegment).join("/");
  } else {
    // A trailing slash on the request is ignored: `/orders/` is `/orders`.
    const trimmed = raw.length > 0 && raw.at(-1) === "" ? raw.slice(0, -1) : raw;
    if (trimmed.length !== route.segments.length) return null;
    raw = trimmed;
  }
  for (const [i, seg] of route.segments.entries()) {
    if (seg.kind === "greedy") break;
    const value = decodeSegment(raw[i]!);
    if (seg.kind === "literal" && value !== seg.text) return null;
    if (seg.kind === "param") {
      if (value === "") return null;
      params[seg.name] = value;
    }
  }
  return params;
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * Orders two routes that both take a request, best first: a route without a greedy variable over one with, then
 * segment by segment a literal over a variable over a greedy one, then a named method over ANY.
 */
function compare(a: ParsedRoute, b: ParsedRoute): number {
  const greedy = (r: ParsedRoute) => (r.segments.at(-1)?.kind === "greedy" ? 1 : 0);
  if (greedy(a) !== greedy(b)) return greedy(a) - greedy(b);
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const d = RANK[a.segments[i]!.kind] - RANK[b.segments[i]!.kind];
    if (d !== 0) return d;
  }
  // Two routes that take one path and agree segment by segment have one shape: only the method is left.
  return (a.method === "ANY" ? 1 : 0) - (b.method === "ANY" ? 1 : 0);
}

/**
 * The route that answers `method path`, or null (API Gateway's 404). `path` is the request's path as sent, still
 * percent-encoded, without its query string; parameters are decoded after the path is split, so an encoded
 * slash (%2F) stays inside one parameter.
 */
export function matchRoute(table: RouteTable, method: string, path: string): RouteMatch | null {
  const m = method.toUpperCase();
  const raw = path === "" || path === "/" ? [] : path.replace(/^\//, "").split("/");
  let best: { route: ParsedRoute; index: number; params: Record<string, string> } | null = null;
  let fallback: number | null = null;
  for (const [index, route] of table.routes.entries()) {
    if (route.method === null) {
      fallback = index;
      continue;
    }
    if (route.method !== "ANY" && route.method !== m) continue;
    const params = matchPath(route, raw);
    if (params !== null && (best === null || compare(route, best.route) < 0)) best = { route, index, params };
  }
  if (best) return { routeKey: best.route.routeKey, index: best.index, pathParameters: best.params };
  if (fallback !== null) return { routeKey: DEFAULT_ROUTE, index: fallback, pathParameters: {} };
  return null;
}
