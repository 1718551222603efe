// The route-key grammar of API Gateway HTTP APIs (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`): read once here,
// for the rules that check an API's routes when it is defined and for the gateway that matches requests to them.
import { HearthError } from "../model/errors.ts";

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
export function routeShape(r: ParsedRoute): string {
  const path = r.segments
    .map((s) => (s.kind === "literal" ? s.text : s.kind === "param" ? "{}" : "{+}"))
    .join("/");
  return `${r.method ?? DEFAULT_ROUTE} /${path}`;
}
