// Reads an authorizer's identity sources (`$request.header.NAME`, `$request.querystring.NAME`) from a request, as
// API Gateway does: header names in any case, repeated values joined with commas, an empty value counted as none.

export interface IdentityRequest {
  /** Node's header object: lower-case names, arrays for repeated headers. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Decoded query values, repeated names joined with commas (the event's queryStringParameters). */
  query: Readonly<Record<string, string>> | undefined;
}

/** One source's value, or undefined when the request lacks it. */
export function identityValue(source: string, req: IdentityRequest): string | undefined {
  const header = /^\$request\.header\.(.+)$/.exec(source);
  if (header) {
    const v = req.headers[header[1]!.toLowerCase()];
    const joined = v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
    return joined === undefined || joined.trim() === "" ? undefined : joined;
  }
  const query = /^\$request\.querystring\.(.+)$/.exec(source);
  if (query && req.query && Object.hasOwn(req.query, query[1]!)) {
    const v = req.query[query[1]!];
    return v === undefined || v === "" ? undefined : v;
  }
  return undefined;
}

/** Every source's value in order, or null when any is missing: API Gateway then answers 401 and asks no one. */
export function identityValues(sources: readonly string[], req: IdentityRequest): string[] | null {
  const out: string[] = [];
  for (const s of sources) {
    const v = identityValue(s, req);
    if (v === undefined) return null;
    out.push(v);
  }
  return out;
}
