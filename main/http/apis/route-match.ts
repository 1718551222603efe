// Picks the route of an API that answers a request, by API Gateway HTTP API's rules, and reads its path parameters.
import { HearthError } from "../../domain/errors.ts";

export const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"] as const;
export type RouteMethod = (typeof ROUTE_METHODS)[number];
export const DEFAULT_ROUTE = "$default";

type Segment =
  { kind: "literal"; text: string } | { kind: "param"; name: string } | { kind: "greedy"; name: string };

export interface ParsedRoute {
  routeKey: string;
  /** Null for `$default`, which answers every method and path no other route takes. */
  method: RouteMethod | null;
  segments: Segment[];
}

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

/** Characters API Gateway takes in a path variable's name. */
const PARAM_NAME = /^[A-Za-z0-9._-]+$/;
/** A literal segment: anything printable but the characters that would make it a template, a query or a fragment. */
const LITERAL = /^[^\s{}?#/]+$/;

/** Reads one route key (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`), or says what is wrong with it. */
export function parseRouteKey(routeKey: string, field = "routeKey"): ParsedRoute {
  const invalid = (why: string) => new HearthError("INVALID_INPUT", `route "${routeKey}" ${why}`, field);
  if (routeKey === DEFAULT_ROUTE) return { routeKey, method: null, segments: [] };
  const space = routeKey.indexOf(" ");
  if (space < 0) throw invalid('must be a method and a path ("GET /orders/{id}") or $default');
  const method = routeKey.slice(0, space);
  const path = routeKey.slice(space + 1);
  if (!(ROUTE_METHODS as readonly string[]).includes(method))
    throw invalid(`has method "${method}"; use one of ${ROUTE_METHODS.join(", ")}`);
  if (!path.startsWith("/")) throw invalid("must start with a /");
  if (path !== "/" && path.endsWith("/"))
    throw invalid("must not end with a / (a request's trailing / is ignored)");

  const segments: Segment[] = [];
  const names = new Set<string>();
  const parts = path === "/" ? [] : path.slice(1).split("/");
  for (const [i, part] of parts.entries()) {
    if (part === "") throw invalid("has an empty segment (//)");
    const variable = /^\{(.*)\}$/.exec(part);
    if (!variable) {
      if (!LITERAL.test(part))
        throw invalid(`has segment "${part}": a path variable must be a whole segment, like {id}`);
      segments.push({ kind: "literal", text: part });
      continue;
    }
    const greedy = variable[1]!.endsWith("+");
    const name = greedy ? variable[1]!.slice(0, -1) : variable[1]!;
    if (!PARAM_NAME.test(name))
      throw invalid(`has variable "${part}": names are letters, digits, ".", "_" and "-"`);
    // The parameters become a plain object's keys, where this one would set its prototype instead.
    if (name === "__proto__") throw invalid(`cannot name a variable ${part}`);
    if (names.has(name)) throw invalid(`uses the variable {${name}} twice`);
    if (greedy && i !== parts.length - 1) throw invalid(`has the greedy variable ${part} before its end`);
    names.add(name);
    segments.push(greedy ? { kind: "greedy", name } : { kind: "param", name });
  }
  return { routeKey, method: method as RouteMethod, segments };
}

/** The route's shape with variable names blanked: two routes of one method and one shape could never be told apart. */
function shapeOf(r: ParsedRoute): string {
  const path = r.segments
    .map((s) => (s.kind === "literal" ? s.text : s.kind === "param" ? "{}" : "{+}"))
    .join("/");
  return `${r.method ?? DEFAULT_ROUTE} /${path}`;
}

/** Checks every route key once, when an API is defined, so a request never meets a broken route. */
export function compileRoutes(routeKeys: readonly string[]): RouteTable {
  const routes: ParsedRoute[] = [];
  const seen = new Map<string, string>();
  for (const [i, key] of routeKeys.entries()) {
    const route = parseRouteKey(key, `routes.${i}`);
    const shape = shapeOf(route);
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
