// The frame every Lambda management route stands in: signed JSON bodies kept as bytes, Lambda's errors, and the
// FunctionConfiguration, ARNs and revision ids the answers are built from.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import { canonicalJson } from "../../domain/model/canonical-json.ts";
import type { CommandContext } from "../../domain/model/command-context.ts";
import { HearthError } from "../../domain/model/errors.ts";
import { parseInput } from "../../domain/model/input-validation.ts";
import type { HearthState, Task, TaskVersion, VersionRef } from "../../domain/model/state.ts";
import { lambdaRuntimeId } from "../../domain/tasks/runtime-ids.ts";
import type { Host } from "../../host.ts";
import type { DocumentStore } from "../../store/document-store.ts";
import { systemRandom } from "../../store/system-random.ts";
import type { AuthFailures } from "../native/auth-failures.ts";
import { lambdaCaller, lambdaHeadersCheck, rawBody, type LambdaCaller } from "./lambda-auth.ts";
import { parseFunctionName } from "../../domain/access/function-arn.ts";
import { sendLambdaError } from "./lambda-invoke.ts";

/** A 50 MiB zip in base64 inside JSON. */
const MAX_MANAGEMENT_BODY_BYTES = 70 * 1024 * 1024;

export type LambdaHandler = (c: LambdaCaller, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export interface LambdaRoutes {
  route(method: "GET" | "POST" | "PUT" | "DELETE", url: string | string[], handler: LambdaHandler): void;
  /** How a task's $LATEST stands after its last change; starts moving a warm line to it when due. */
  updateStatus(task: Task): UpdateStatus;
  docs: DocumentStore;
  ctx(): CommandContext;
  app: Host;
}

/** Registers routes in a scope that verifies SigV4 before the body is read and answers in Lambda's error shape. */
export function registerLambdaScope(
  server: FastifyInstance,
  app: Host,
  failures: AuthFailures | undefined,
  register: (routes: LambdaRoutes) => void,
): void {
  void server.register(async (scope) => {
    // SigV4 signs the bytes as sent: keep them beside the parsed JSON.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "buffer", bodyLimit: MAX_MANAGEMENT_BODY_BYTES },
      (req, body, done) => {
        (req as FastifyRequest & { rawBody?: Buffer }).rawBody = body as Buffer;
        const text = (body as Buffer).toString("utf8");
        try {
          done(null, text.trim() === "" ? {} : JSON.parse(text));
        } catch {
          done(new HearthError("INVALID_INPUT", "the request body is not valid JSON", "body"), undefined);
        }
      },
    );
    // Before the body is read: an unsigned request never gets to send megabytes.
    scope.addHook("onRequest", async (req, reply) => {
      try {
        lambdaHeadersCheck(req, app.store, failures);
      } catch (err) {
        return sendLambdaError(reply, err);
      }
    });
    scope.setErrorHandler((err, _req, reply) => sendLambdaError(reply, err));
    register({
      app,
      docs: app.store.documents,
      updateStatus: (task) => {
        try {
          return app.engine.deployState(task.id);
        } catch {
          // A configuration that cannot even be planned (its blob gone) is the invoke's error to report.
          return { state: "current" };
        }
      },
      ctx: () => ({ now: Date.now(), random: systemRandom, sealer: app.store.secrets }),
      route(method, url, handler) {
        const run = async (req: FastifyRequest, reply: FastifyReply) => {
          try {
            const c = await lambdaCaller(req, rawBody(req), app.store, failures);
            return await handler(c, req, reply);
          } catch (err) {
            return sendLambdaError(reply, err);
          }
        };
        for (const u of Array.isArray(url) ? url : [url]) scope.route({ method, url: u, handler: run });
      },
    });
  });
}

/**
 * Fields Lambda defines that Hearth does not honour are accepted only at Lambda's default (what a tool sends when
 * the user set nothing); any other value is refused by name rather than dropped.
 */
const LAMBDA_DEFAULTS: Record<string, unknown> = {
  PackageType: "Zip",
  Architectures: ["x86_64"],
  TracingConfig: { Mode: "PassThrough" },
  EphemeralStorage: { Size: 512 },
  Layers: [],
  SnapStart: { ApplyOn: "None" },
};

/** Parses a Lambda request body with a strict schema; an unknown field is named with what Hearth does instead. */
export function lambdaBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  accepted: readonly string[] = [],
): z.output<S> {
  const input: Record<string, unknown> =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? { ...(body as Record<string, unknown>) }
      : {};
  for (const k of Object.keys(input)) {
    if (
      accepted.includes(k) ||
      (Object.hasOwn(LAMBDA_DEFAULTS, k) && canonicalJson(input[k]) === canonicalJson(LAMBDA_DEFAULTS[k]))
    )
      delete input[k];
  }
  try {
    return parseInput(schema, input);
  } catch (err) {
    if (err instanceof HearthError && /^unknown field/.test(err.message)) {
      throw new HearthError(
        "INVALID_INPUT",
        `${err.field ?? "a field"} is not supported by Hearth, which would otherwise ignore it; remove it from the request`,
        err.field,
      );
    }
    throw err;
  }
}

export function versionRef(v: string, field: string): VersionRef {
  if (v === "$LATEST") return "$LATEST";
  if (/^\d+$/.test(v)) return Number(v);
  throw new HearthError("INVALID_INPUT", `"${v}" is not a version number or $LATEST`, field);
}

export function accountOf(state: HearthState, task: Task): string {
  return state.profiles.find((p) => p.id === task.profileId)!.accountId;
}

export function functionArn(
  region: string,
  account: string,
  name: string,
  qualifier?: string | null,
): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}${qualifier ? `:${qualifier}` : ""}`;
}

/** A RevisionId as Lambda spells one (a UUID), derived from what it stands for: equal values, equal ids. */
export function revisionOf(value: unknown): string {
  const h = createHash("sha256").update(canonicalJson(value)).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Lambda's RevisionId: changes with every change to $LATEST's code, configuration or settings. */
export function revisionId(task: Task): string {
  return revisionOf({
    latest: task.latest,
    description: task.description,
    tags: task.tags ?? {},
    reserved: task.reservedConcurrency ?? null,
    deadLetter: task.deadLetterArn ?? null,
  });
}

/**
 * Runs a domain command and renames the field an error names to Lambda's spelling (`sid` → `StatementId`), in
 * the field and at the start of the message, for the errors a Lambda client reads.
 */
export function inLambdaWords<T>(fields: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof HearthError) || !err.field) throw err;
    const field = err.field.split(".")[0]!;
    const named = Object.hasOwn(fields, field) ? fields[field] : undefined;
    if (!named) throw err;
    throw new HearthError(err.code, err.detail.replace(new RegExp(`^${field}\\b`), named), named);
  }
}

/** Refuses a change made against an older revision, as Lambda does with PreconditionFailedException. */
export function checkRevision(task: Task, given: string | undefined): void {
  if (given !== undefined && given !== revisionId(task)) {
    throw new HearthError(
      "REVISION_MISMATCH",
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
      "RevisionId",
    );
  }
}

/** How $LATEST's last change stands: loading beside the warm older code, or serving (SandboxScheduler.deployState). */
export interface UpdateStatus {
  state: "current" | "moving" | "failed";
  reason?: string;
}

const LAST_UPDATE = { current: "Successful", moving: "InProgress", failed: "Failed" } as const;

/** Lambda's FunctionConfiguration of a task at $LATEST (with how its last change stands) or at a version. */
export function configuration(
  state: HearthState,
  task: Task,
  c: LambdaCaller,
  v?: TaskVersion,
  update: UpdateStatus = { state: "current" },
) {
  const account = accountOf(state, task);
  const cfg = v ? v.config : task.latest.config;
  const code = v ? v.code : task.latest.code;
  const version = v ? String(v.version) : "$LATEST";
  return {
    FunctionName: task.name,
    FunctionArn: functionArn(c.region, account, task.name, v ? version : null),
    Runtime: lambdaRuntimeId(cfg.runtime),
    Role: `arn:aws:iam::${account}:role/hearth`,
    Handler: cfg.handler,
    CodeSize: code.size,
    Description: v ? v.description : task.description,
    Timeout: cfg.timeoutS,
    MemorySize: cfg.memoryMb,
    LastModified: (v ? v.createdAt : task.latest.updatedAt).replace("Z", "+0000"),
    CodeSha256: Buffer.from(code.sha256, "hex").toString("base64"),
    Version: version,
    Environment: { Variables: cfg.environment },
    // A function is Active as soon as it exists (a call loads it); a change to $LATEST is InProgress while its new
    // sandbox loads beside a warm one that still serves, as Lambda's is while it updates.
    State: "Active",
    LastUpdateStatus: v ? "Successful" : LAST_UPDATE[update.state],
    ...(!v && update.state === "moving"
      ? {
          LastUpdateStatusReason:
            "The new code and configuration are loading beside the warm ones, which serve until then",
        }
      : {}),
    ...(!v && update.state === "failed"
      ? {
          LastUpdateStatusReason: update.reason ?? "the new code or configuration failed to load",
          LastUpdateStatusReasonCode: "InvalidCode",
        }
      : {}),
    PackageType: "Zip",
    Architectures: ["x86_64"],
    ...(task.deadLetterArn ? { DeadLetterConfig: { TargetArn: task.deadLetterArn } } : {}),
    RevisionId: revisionId(task),
  };
}

/** A task of the caller's own, by any of Lambda's ways of naming it; another account's is never found here. */
export function ownTask(state: HearthState, c: LambdaCaller, name: string): Task {
  const ref = parseFunctionName(name);
  const task = state.tasks.find((t) => t.profileId === c.profileId && t.name === ref.task);
  if (!task || (ref.ownerAccountId && ref.ownerAccountId !== c.accountId)) {
    throw new HearthError(
      "TASK_NOT_FOUND",
      `Function not found: ${functionArn(c.region, ref.ownerAccountId ?? c.accountId, ref.task)}`,
      "FunctionName",
    );
  }
  return task;
}

/** The qualifier a management request names, by its Qualifier query or a suffix of the function name. */
export function qualifierOf(req: FastifyRequest, name: string): string | undefined {
  const q = (req.query as { Qualifier?: string }).Qualifier;
  return parseFunctionName(name, q === "" ? undefined : q).qualifier;
}
