// Trying an API route from the window: which parameters a route key has, and the request path once they are filled.

export interface RouteShape {
  /** Null for ANY and $default: the user picks. */
  method: string | null;
  /** The path template, `/orders/{id}`; `/` for $default. */
  template: string;
  params: { name: string; greedy: boolean }[];
}

export function routeShape(routeKey: string): RouteShape {
  if (routeKey === "$default") return { method: null, template: "/", params: [] };
  const space = routeKey.indexOf(" ");
  const method = routeKey.slice(0, space);
  const template = routeKey.slice(space + 1);
  const params = [...template.matchAll(/\{([^}]+?)(\+?)\}/g)].map((m) => ({
    name: m[1]!,
    greedy: m[2] === "+",
  }));
  return { method: method === "ANY" ? null : method, template, params };
}

/** `/apis/<name>` plus the template with each variable filled in (a greedy one keeps its slashes). */
export function routePath(apiPath: string, shape: RouteShape, values: Record<string, string>): string {
  const filled = shape.template.replace(/\{([^}]+?)(\+?)\}/g, (_m, name: string, plus: string) => {
    const v = values[name] ?? "";
    return plus ? v.split("/").map(encodeURIComponent).join("/") : encodeURIComponent(v);
  });
  return `${apiPath.replace(/\/$/, "")}${filled === "/" ? "/" : filled}`;
}

export const ROUTE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "ANY"] as const;

/** A value the route's authorizer reads, which the window asks for before trying the route. */
export interface IdentityInput {
  kind: "header" | "query";
  name: string;
}

/** What the route's authorizer reads from a request (`$request.header.X`, `$request.querystring.x`). */
export function identityInputs(
  api: {
    routes: { routeKey: string; authorizerId?: string }[];
    authorizers: { id: string; identitySource: string[] }[];
  },
  routeKey: string,
): IdentityInput[] {
  const id = api.routes.find((r) => r.routeKey === routeKey)?.authorizerId;
  const a = id === undefined ? undefined : api.authorizers.find((x) => x.id === id);
  const out: IdentityInput[] = [];
  for (const source of a?.identitySource ?? []) {
    const m = /^\$request\.(header|querystring)\.(.+)$/.exec(source);
    if (m) out.push({ kind: m[1] === "header" ? "header" : "query", name: m[2]! });
  }
  return out;
}

/**
 * The path and headers with the identity values filled in: query values appended to the path, headers set by
 * their name. An empty value is left out, as a caller without it would send nothing.
 */
export function withIdentity(
  path: string,
  headers: Record<string, string>,
  inputs: IdentityInput[],
  values: Record<string, string>,
): { path: string; headers: Record<string, string> } {
  const query: string[] = [];
  const out = { ...headers };
  for (const i of inputs) {
    const v = values[`${i.kind}:${i.name}`] ?? "";
    if (v === "") continue;
    if (i.kind === "header") out[i.name.toLowerCase()] = v;
    else query.push(`${encodeURIComponent(i.name)}=${encodeURIComponent(v)}`);
  }
  if (query.length === 0) return { path, headers: out };
  return { path: `${path}${path.includes("?") ? "&" : "?"}${query.join("&")}`, headers: out };
}
