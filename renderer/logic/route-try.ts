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
