// Lambda function URLs: a task's unqualified ARN ($LATEST) or one of its owner's aliases answering plain HTTP at
// `/lambda-url/{urlId}/…` on the local port, with the payload-2.0 event. Auth NONE: whoever reaches the port; auth
// AWS_IAM: a request signed (SigV4) by the owner's key, or by an account a policy statement lets invoke the URL.
import { z } from "zod";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { getOwnTask } from "../model/lookups.ts";
import type { Change, FunctionUrlConfig, FunctionUrlCors, HearthState, Task } from "../model/state.ts";

/** Where function URLs answer on the local port: `/lambda-url/{urlId}/…`. */
export const FUNCTION_URL_PREFIX = "/lambda-url/";

/** Lambda's URL ids are 32 lowercase letters and digits. */
export const URL_ID_PATTERN = /^[a-z0-9]{32}$/;

const URL_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

const qualifierSchema = z
  .string()
  .regex(
    /^(\$LATEST|(?![0-9]+$)[A-Za-z0-9_-]{1,128})$/,
    "must be an alias name or $LATEST (not a version number)",
  )
  .nullable()
  .default(null);

const authTypeSchema = z.enum(["NONE", "AWS_IAM"], { error: 'must be "NONE" or "AWS_IAM"' });
const invokeModeSchema = z.enum(["BUFFERED", "RESPONSE_STREAM"], {
  error: 'must be "BUFFERED" or "RESPONSE_STREAM"',
});

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,1024}$/, "must be a header name")
  .transform((h) => h.toLowerCase());
const corsSchema = z.strictObject({
  allowCredentials: z.boolean().default(false),
  allowHeaders: z.array(headerName).max(100, "must hold at most 100 headers").default([]),
  allowMethods: z
    .array(
      z
        .string()
        .regex(/^(\*|GET|PUT|HEAD|POST|PATCH|DELETE|OPTIONS)$/i, "must be an HTTP method or *")
        .transform((m) => m.toUpperCase()),
    )
    .max(6, "must hold at most 6 methods")
    .default([]),
  allowOrigins: z
    .array(
      z
        .string()
        .max(253, "must be at most 253 characters")
        .regex(/^(\*|https?:\/\/[^\s/?#]+)$/, "must be * or an origin (scheme://host[:port])"),
    )
    .max(100, "must hold at most 100 origins")
    .default([]),
  exposeHeaders: z.array(headerName).max(100, "must hold at most 100 headers").default([]),
  maxAge: z.number().int().min(0, "must be 0 to 86400").max(86400, "must be 0 to 86400").default(0),
});

const createSchema = z.strictObject({
  task: z.string(),
  qualifier: qualifierSchema,
  authType: authTypeSchema,
  invokeMode: invokeModeSchema.default("BUFFERED"),
  cors: corsSchema.nullable().default(null),
});

/** Left-out fields keep their value. */
const updateSchema = z.strictObject({
  task: z.string(),
  qualifier: qualifierSchema,
  authType: authTypeSchema.optional(),
  invokeMode: invokeModeSchema.optional(),
  cors: corsSchema.nullable().optional(),
});

const refSchema = z.strictObject({ task: z.string(), qualifier: qualifierSchema });

export type CreateFunctionUrlInput = z.input<typeof createSchema>;
export type UpdateFunctionUrlInput = z.input<typeof updateSchema>;

/** `$LATEST` and no qualifier are the same URL: the unqualified function's. */
function stored(qualifier: string | null): string | null {
  return qualifier === "$LATEST" ? null : qualifier;
}

function checkAlias(state: HearthState, task: Task, qualifier: string | null): void {
  if (qualifier === null) return;
  const alias = state.aliases.find(
    (a) =>
      a.taskId === task.id && a.profileId === task.profileId && a.grantId === null && a.name === qualifier,
  );
  if (!alias) {
    throw new HearthError("ALIAS_NOT_FOUND", `task "${task.name}" has no alias "${qualifier}"`, "qualifier");
  }
}

function newUrlId(state: HearthState, ctx: Pick<CommandContext, "random">): string {
  for (;;) {
    const bytes = ctx.random.bytes(32);
    let id = "";
    // 256 is 7 × 36 + 4: bytes of 252 and above would favour the first letters, so they are drawn again.
    for (const b of bytes) if (b < 252) id += URL_ID_ALPHABET[b % 36];
    if (id.length < 32) continue;
    id = id.slice(0, 32);
    if (!state.functionUrls.some((u) => u.urlId === id)) return id;
  }
}

/** The URL of a task's unqualified ARN (qualifier null) or of one alias, or undefined. */
export function findFunctionUrl(
  state: HearthState,
  taskId: string,
  qualifier: string | null,
): FunctionUrlConfig | undefined {
  return state.functionUrls.find((u) => u.taskId === taskId && u.qualifier === stored(qualifier));
}

export function functionUrlById(state: HearthState, urlId: string): FunctionUrlConfig | undefined {
  return URL_ID_PATTERN.test(urlId) ? state.functionUrls.find((u) => u.urlId === urlId) : undefined;
}

export function functionUrlsOfTask(state: HearthState, taskId: string): FunctionUrlConfig[] {
  return state.functionUrls.filter((u) => u.taskId === taskId);
}

function corsOf(c: z.output<typeof corsSchema> | null): FunctionUrlCors | null {
  return c === null ? null : { ...c };
}

export function createFunctionUrl(
  state: HearthState,
  ownerProfileId: string,
  input: CreateFunctionUrlInput,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<FunctionUrlConfig> {
  const v = parseInput(createSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const qualifier = stored(v.qualifier);
  checkAlias(state, task, qualifier);
  if (findFunctionUrl(state, task.id, qualifier)) {
    throw new HearthError(
      "FUNCTION_URL_EXISTS",
      `${task.name}${qualifier ? `:${qualifier}` : ""} already has a function URL; update or delete it`,
      "qualifier",
    );
  }
  const at = isoTime(ctx.now);
  const url: FunctionUrlConfig = {
    taskId: task.id,
    qualifier,
    urlId: newUrlId(state, ctx),
    authType: v.authType,
    invokeMode: v.invokeMode,
    cors: corsOf(v.cors),
    createdAt: at,
    updatedAt: at,
  };
  const next = structuredClone(state);
  next.functionUrls.push(url);
  return { state: next, result: url };
}

function existing(state: HearthState, task: Task, qualifier: string | null): FunctionUrlConfig {
  const found = findFunctionUrl(state, task.id, qualifier);
  if (!found) {
    throw new HearthError(
      "FUNCTION_URL_NOT_FOUND",
      `${task.name}${qualifier ? `:${qualifier}` : ""} has no function URL`,
      "qualifier",
    );
  }
  return found;
}

export function updateFunctionUrl(
  state: HearthState,
  ownerProfileId: string,
  input: UpdateFunctionUrlInput,
  ctx: Pick<CommandContext, "now">,
): Change<FunctionUrlConfig> {
  const v = parseInput(updateSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const found = existing(state, task, stored(v.qualifier));
  const url: FunctionUrlConfig = {
    ...found,
    ...(v.authType !== undefined ? { authType: v.authType } : {}),
    ...(v.invokeMode !== undefined ? { invokeMode: v.invokeMode } : {}),
    ...(v.cors !== undefined ? { cors: corsOf(v.cors) } : {}),
    updatedAt: isoTime(ctx.now),
  };
  const next = structuredClone(state);
  next.functionUrls = next.functionUrls.map((u) => (u.urlId === found.urlId ? url : u));
  return { state: next, result: url };
}

export function deleteFunctionUrl(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof refSchema>,
): Change<FunctionUrlConfig> {
  const v = parseInput(refSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const found = existing(state, task, stored(v.qualifier));
  const next = structuredClone(state);
  next.functionUrls = next.functionUrls.filter((u) => u.urlId !== found.urlId);
  return { state: next, result: found };
}

/** The path a URL answers at, below the port's origin. */
export function functionUrlPath(url: Pick<FunctionUrlConfig, "urlId">): string {
  return `${FUNCTION_URL_PREFIX}${url.urlId}/`;
}

/**
 * Whether a CORS origin is allowed by the URL's configuration; `*` allows any origin (and then, as browsers
 * require, credentials are not allowed with it).
 */
export function corsAllowsOrigin(cors: FunctionUrlCors, origin: string): boolean {
  return cors.allowOrigins.some((o) => o === "*" || o.toLowerCase() === origin.toLowerCase());
}
