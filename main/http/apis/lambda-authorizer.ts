// A REQUEST (Lambda) authorizer, payload format 2.0: the event its task gets, and its answer read back, a simple
// response (`isAuthorized`) or an IAM policy evaluated against the route's ARN.
import type { HttpApiEventV2 } from "./apigw-event.ts";

/** API Gateway's 2.0 REQUEST authorizer event: the route's event without body, plus what identifies the caller. */
export interface RequestAuthorizerEventV2 {
  version: "2.0";
  type: "REQUEST";
  routeArn: string;
  identitySource: string[];
  routeKey: string;
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: HttpApiEventV2["requestContext"];
  pathParameters?: Record<string, string>;
}

/** What a task's answer said, kept in the cache as it is: a policy is evaluated again for each route it meets. */
export type AuthorizerAnswer =
  | { kind: "simple"; isAuthorized: boolean; context: Record<string, unknown> }
  | { kind: "policy"; statements: PolicyStatement[]; context: Record<string, unknown> };

export interface PolicyStatement {
  effect: "Allow" | "Deny";
  actions: string[];
  resources: string[];
}

/** The region in every ARN Hearth makes (the Lambda API's and schedules' ARNs say `local` too). */
const REGION = "local";

/**
 * `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}`: what a policy's Resource is matched
 * against. Every Hearth API has the one stage `$default`.
 */
export function routeArn(accountId: string, apiId: string, method: string, rawPath: string): string {
  return `arn:aws:execute-api:${REGION}:${accountId}:${apiId}/$default/${method.toUpperCase()}${rawPath}`;
}

/**
 * The authorizer's event from the route's. API Gateway sends no body to an authorizer, and no stageVariables where
 * the stage has none (Hearth's one stage never has any).
 */
export function buildAuthorizerEvent(
  route: HttpApiEventV2,
  arn: string,
  identitySource: string[],
): RequestAuthorizerEventV2 {
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: arn,
    identitySource,
    routeKey: route.routeKey,
    rawPath: route.rawPath,
    rawQueryString: route.rawQueryString,
    ...(route.cookies ? { cookies: route.cookies } : {}),
    headers: route.headers,
    ...(route.queryStringParameters ? { queryStringParameters: route.queryStringParameters } : {}),
    requestContext: route.requestContext,
    ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const listOf = (v: unknown): string[] | null =>
  typeof v === "string" ? [v] : Array.isArray(v) && v.every((x) => typeof x === "string") ? v : null;

/** A policy's statements, or why they cannot be used. */
function readPolicy(doc: unknown): PolicyStatement[] | string {
  if (!isRecord(doc)) return "policyDocument must be an object";
  const raw = doc.Statement;
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : null;
  if (list === null) return "policyDocument.Statement must be a list of statements";
  const out: PolicyStatement[] = [];
  for (const [i, s] of list.entries()) {
    if (!isRecord(s)) return `Statement ${i} must be an object`;
    if (s.Effect !== "Allow" && s.Effect !== "Deny")
      return `Statement ${i}'s Effect must be "Allow" or "Deny"`;
    const actions = listOf(s.Action);
    const resources = listOf(s.Resource);
    if (actions === null) return `Statement ${i}'s Action must be a string or a list of strings`;
    if (resources === null) return `Statement ${i}'s Resource must be a string or a list of strings`;
    out.push({ effect: s.Effect, actions, resources });
  }
  return out;
}

/**
 * The task's answer (its JSON result), or the reason it cannot be used, which API Gateway answers with a 500.
 * Simple responses: `{isAuthorized, context?}`; otherwise `{principalId, policyDocument, context?}`.
 */
export function readAuthorizerAnswer(
  payload: string,
  simple: boolean,
): AuthorizerAnswer | { problem: string } {
  let r: unknown;
  try {
    r = JSON.parse(payload);
  } catch {
    return { problem: "the authorizer's answer is not JSON" };
  }
  if (!isRecord(r)) return { problem: "the authorizer's answer must be an object" };
  if (r.context !== undefined && r.context !== null && !isRecord(r.context))
    return { problem: "the authorizer's context must be an object" };
  const context = isRecord(r.context) ? r.context : {};
  if (simple) {
    if (typeof r.isAuthorized !== "boolean")
      return { problem: "a simple response needs isAuthorized: true or false" };
    return { kind: "simple", isAuthorized: r.isAuthorized, context };
  }
  const statements = readPolicy(r.policyDocument);
  if (typeof statements === "string") return { problem: statements };
  return { kind: "policy", statements, context };
}

/** IAM's wildcards: `*` any run of characters, `?` any one; everything else as written (case matters). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "s").test(value);
}

/** Action names are not case-sensitive in IAM; resources are. */
const coversInvoke = (actions: readonly string[]) =>
  actions.some((a) => wildcardMatch(a.toLowerCase(), "execute-api:invoke"));

/** IAM's rule: allowed when an Allow statement covers the route and no Deny does (a Deny always wins). */
export function policyAllows(statements: readonly PolicyStatement[], arn: string): boolean {
  const covers = (s: PolicyStatement) =>
    coversInvoke(s.actions) && s.resources.some((r) => wildcardMatch(r, arn));
  if (statements.some((s) => s.effect === "Deny" && covers(s))) return false;
  return statements.some((s) => s.effect === "Allow" && covers(s));
}

/** Whether the answer lets this route's request through. */
export function answerAllows(answer: AuthorizerAnswer, arn: string): boolean {
  return answer.kind === "simple" ? answer.isAuthorized : policyAllows(answer.statements, arn);
}
