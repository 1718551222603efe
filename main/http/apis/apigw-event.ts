// The API Gateway HTTP API payload, format 2.0: the event a task gets for an API request, and its answer read back.

/** A request to an API as the HTTP layer received it. */
export interface ApiHttpRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query string. */
  rawPath: string;
  /** The query string as sent, without the `?`. */
  rawQueryString: string;
  /** Node's header object: lower-case names, arrays for repeated headers. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  body: Buffer | null;
  sourceIp: string;
  /** `HTTP/1.1` unless told. */
  protocol?: string;
}

/** What the API layer knows about the request beyond the wire: whose API, which route, which id. */
export interface ApiRequestContext {
  accountId: string;
  apiId: string;
  routeKey: string;
  pathParameters: Readonly<Record<string, string>>;
  requestId: string;
  /** Milliseconds since the epoch, when the request arrived. */
  now: number;
  /** The host the request named; the Host header's, else `localhost`. */
  domainName?: string;
}

/** The fields of API Gateway's format 2.0 event that Hearth fills; absent fields are absent in AWS too. */
export interface HttpApiEventV2 {
  version: "2.0";
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: string;
    stage: "$default";
    time: string;
    timeEpoch: number;
    /** What the route's authorizer found: a JWT's claims, or a Lambda authorizer's context. */
    authorizer?: EventAuthorizer;
  };
  body?: string;
  isBase64Encoded: boolean;
}

/** `requestContext.authorizer` as API Gateway fills it for payload format 2.0. */
export type EventAuthorizer =
  | {
      /** Every claim with its value as a string; `scopes` only when the route asks for scopes, else null. */
      jwt: { claims: Record<string, string>; scopes: string[] | null };
    }
  | { lambda: Record<string, unknown> }
  | {
      /** A function URL's AWS_IAM caller: the account whose key signed the request. */
      iam: {
        accessKey: string;
        accountId: string;
        callerId: string;
        cognitoIdentity: null;
        principalOrgId: null;
        userArn: string;
        userId: string;
      };
    };

/** Headers that describe one connection, not the answer: a task's values for them would break the framing. */
export const HOP_BY_HOP = new Set([
  "connection",
  "content-length",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** An HTTP answer for the wire: repeated headers (set-cookie) as arrays. */
export interface ApiHttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Why a task's result could not be used as it was, for the log; the client sees only API Gateway's 500. */
  problem?: string;
}

/**
 * Content types whose bodies arrive as text. API Gateway's HTTP APIs base64-encode the rest, form posts
 * (application/x-www-form-urlencoded, multipart/form-data) included, and handlers written for AWS expect that.
 */
function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    type === "" ||
    type.startsWith("text/") ||
    /^application\/([\w.-]+\+)?(json|xml)$/.test(type) ||
    type === "application/javascript" ||
    type === "application/graphql"
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function eventBody(
  body: Buffer | null,
  contentType: string | undefined,
): Pick<HttpApiEventV2, "body" | "isBase64Encoded"> {
  if (body === null || body.length === 0) return { isBase64Encoded: false };
  if (isTextType(contentType)) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // Not UTF-8 after all: base64 keeps every byte.
    }
  }
  return { body: body.toString("base64"), isBase64Encoded: true };
}

function joined(v: string | readonly string[] | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
}

/** Query values as API Gateway gives them: decoded (a `+` is a space), repeated names joined with commas. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === "") return undefined;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      // A malformed escape is passed on as sent rather than failing the request.
      return s;
    }
  };
  const out: Record<string, string> = {};
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    // Own-property check: a parameter called "constructor" or "__proto__" is data, not the object's machinery.
    const prev = Object.hasOwn(out, name) ? out[name] : undefined;
    Object.defineProperty(out, name, {
      value: prev === undefined ? value : `${prev},${value}`,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `12/Mar/2020:19:03:58 +0000`, the access-log time API Gateway puts in requestContext.time. */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`
  );
}

/** Builds the format 2.0 event for one API request. */
export function buildHttpApiEvent(req: ApiHttpRequest, ctx: ApiRequestContext): HttpApiEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    const v = joined(value);
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    // Cookies move to their own field, as in AWS; the Cookie header does not reach the handler twice.
    if (lower === "cookie") {
      const list = typeof value === "string" ? [value] : (value as readonly string[]);
      cookies = cookies.concat(
        list
          .flatMap((c) => c.split(";"))
          .map((c) => c.trim())
          .filter((c) => c !== ""),
      );
      continue;
    }
    Object.defineProperty(headers, lower, {
      value: Object.hasOwn(headers, lower) ? `${headers[lower]},${v}` : v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const domainName = ctx.domainName ?? headers.host?.replace(/:\d+$/, "") ?? "localhost";
  const query = queryParameters(req.rawQueryString);
  const pathParameters = Object.keys(ctx.pathParameters).length > 0 ? { ...ctx.pathParameters } : undefined;
  return {
    version: "2.0",
    routeKey: ctx.routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    requestContext: {
      accountId: ctx.accountId,
      apiId: ctx.apiId,
      domainName,
      domainPrefix: domainName.split(".")[0]!,
      http: {
        method: req.method.toUpperCase(),
        path: req.rawPath,
        protocol: req.protocol ?? "HTTP/1.1",
        sourceIp: req.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: ctx.requestId,
      routeKey: ctx.routeKey,
      stage: "$default",
      time: clfTime(ctx.now),
      timeEpoch: ctx.now,
    },
    ...eventBody(req.body, headers["content-type"]),
  };
}

/** API Gateway's own answers carry only `{"message": …}`. */
export function gatewayMessage(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): ApiHttpResponse {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: Buffer.from(JSON.stringify({ message: text })),
  };
}

/** API Gateway's answer when the task failed or answered something it cannot use. */
export function internalServerError(problem?: string): ApiHttpResponse {
  return {
    status: 500,
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"message":"Internal Server Error"}'),
    ...(problem === undefined ? {} : { problem }),
  };
}

/** API Gateway's answer when no route takes the request. */
export function notFound(): ApiHttpResponse {
  return {
    status: 404,
    headers: { "content-type": "application/json" },
    body: Buffer.from('{"message":"Not Found"}'),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/** The `{statusCode, headers, body, …}` form: every field checked, since a task can return anything. */
function structuredResponse(r: Record<string, unknown>): ApiHttpResponse {
  const status = r.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599)
    return internalServerError(
      `statusCode must be a whole number from 100 to 599, not ${JSON.stringify(status)}`,
    );
  const headers: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const lower = name.toLowerCase();
    const prev = Object.hasOwn(headers, lower) ? headers[lower] : undefined;
    const next = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    Object.defineProperty(headers, lower, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  if (r.headers !== undefined && r.headers !== null) {
    if (!isRecord(r.headers)) return internalServerError("headers must be an object of strings");
    for (const [name, value] of Object.entries(r.headers)) {
      if (!isScalar(value))
        return internalServerError(`header "${name}" must be a string, number or boolean`);
      add(name, String(value));
    }
  }
  // Format 1.0's multiValueHeaders, honoured too: handlers ported from REST APIs still return it.
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (!isRecord(r.multiValueHeaders))
      return internalServerError("multiValueHeaders must be an object of arrays");
    for (const [name, values] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isScalar))
        return internalServerError(`multiValueHeaders "${name}" must be an array of strings`);
      for (const v of values) add(name, String(v));
    }
  }
  if (r.cookies !== undefined && r.cookies !== null) {
    if (!Array.isArray(r.cookies) || !r.cookies.every((c) => typeof c === "string"))
      return internalServerError("cookies must be an array of strings");
    for (const c of r.cookies) add("set-cookie", c);
  }
  let body: Buffer;
  if (r.body === undefined || r.body === null) body = Buffer.alloc(0);
  else if (typeof r.body !== "string")
    return internalServerError(`body must be a string, not ${typeof r.body}`);
  else body = r.isBase64Encoded === true ? Buffer.from(r.body, "base64") : Buffer.from(r.body, "utf8");
  // Header values go out on the wire as they are: a line break in one would let a task forge more headers.
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
      return internalServerError(`"${name}" is not a header name`);
    if ((Array.isArray(value) ? value : [value]).some((v) => /[\r\n\0]/.test(v)))
      return internalServerError(`header "${name}" holds a line break`);
  }
  // What API Gateway's HTTP APIs send when the task names no content type.
  if (!Object.hasOwn(headers, "content-type")) headers["content-type"] = "text/plain; charset=utf-8";
  return { status, headers, body };
}

/**
 * Turns what the task returned (the invocation's JSON payload) into the HTTP answer, by format 2.0's rules: an
 * object with a statusCode says everything itself; any other valid JSON is sent as the body of a 200 with
 * content-type application/json; a string is sent as it is, unquoted.
 */
export function httpApiResponse(payload: string): ApiHttpResponse {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    return internalServerError("the task's result is not JSON");
  }
  if (isRecord(result) && "statusCode" in result) return structuredResponse(result);
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: Buffer.from(typeof result === "string" ? result : payload, "utf8"),
  };
}
