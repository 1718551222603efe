// The zod schema of the document on disk: what a loaded hearth.json must look like before anything trusts it.
import { z } from "zod";
import type { HearthState } from "../domain/model/state.ts";
import { isRuntime } from "../domain/tasks/runtime-ids.ts";

const str = z.string();
const iso = z.string();
const stringMap = z.record(z.string(), z.string());
const versionRef = z.union([z.literal("$LATEST"), z.number().int().min(1)]);

const taskConfig = z.strictObject({
  runtime: z.string().refine(isRuntime, "must be a runtime Hearth knows"),
  handler: str,
  memoryMb: z.number().int(),
  timeoutS: z.number().int(),
  environment: stringMap,
});

const codeRef = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().min(0) });

const task = z.strictObject({
  id: str,
  profileId: str,
  name: str,
  description: str,
  createdAt: iso,
  latest: z.strictObject({ code: codeRef, config: taskConfig, updatedAt: iso }),
  versions: z.array(
    z.strictObject({
      version: z.number().int().min(1),
      description: str,
      code: codeRef,
      config: taskConfig,
      createdAt: iso,
    }),
  ),
  lastVersion: z.number().int().min(0),
  tags: stringMap.optional(),
  reservedConcurrency: z.number().int().min(0).optional(),
  deadLetterArn: str.optional(),
});

const profile = z.strictObject({
  id: str,
  name: str,
  accountId: z.string().regex(/^[0-9]{12}$/),
  createdAt: iso,
  credentials: z.array(
    z.strictObject({
      accessKeyId: str,
      secretHash: z.strictObject({
        algorithm: z.literal("scrypt"),
        N: z.number().int(),
        r: z.number().int(),
        p: z.number().int(),
        salt: str,
        hash: str,
      }),
      secretSealed: str,
      createdAt: iso,
    }),
  ),
});

const alias = z.strictObject({
  id: str,
  profileId: str,
  taskId: str,
  name: str,
  description: str,
  routing: z.strictObject({
    version: versionRef,
    split: z.strictObject({ additionalVersion: z.number().int().min(1), weight: z.number() }).nullable(),
  }),
  grantId: str.nullable(),
  customization: z
    .strictObject({
      environment: stringMap,
      sealedSecrets: str.nullable(),
      secretNames: z.array(str),
      secretsSalt: str,
      memoryMb: z.number().int().nullable(),
      timeoutS: z.number().int().nullable(),
      runsIn: z.enum(["owner", "caller"]),
    })
    .nullable(),
  createdAt: iso,
  updatedAt: iso,
});

const grant = z.strictObject({
  id: str,
  ownerProfileId: str,
  taskId: str,
  granteeProfileId: str,
  limits: z.strictObject({
    maxMemoryMb: z.number().int().nullable(),
    maxTimeoutS: z.number().int().nullable(),
    allowedEnvironment: z.array(str).nullable().optional(),
    callerPlacement: z.enum(["none", "code", "code-and-environment"]).optional(),
  }),
  createdAt: iso,
});

const token = z.strictObject({
  id: str,
  lookup: str,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  scope: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("alias"), profileId: str, aliasId: str }),
    z.strictObject({ kind: z.literal("api"), profileId: str, apiId: str }),
  ]),
  label: str,
  createdAt: iso,
  expiresAt: iso.nullable(),
  revokedAt: iso.nullable(),
  rateLimitPerMinute: z.number().int().min(1).nullable().optional(),
  remote: z.boolean(),
});

const apiTarget = z.strictObject({ task: str, qualifier: str.optional(), ownerAccountId: str.optional() });

// Authorizers and a route's authorizer fields came after schema version 1's APIs: optional, so older documents
// stay valid without a migration.
const apiAuthorizer = z.strictObject({
  id: str,
  name: str,
  type: z.enum(["JWT", "REQUEST"]),
  identitySource: z.array(str),
  jwt: z
    .strictObject({
      issuer: str,
      audience: z.array(str),
      jwksUri: str.optional(),
      jwksFile: str.optional(),
    })
    .optional(),
  target: apiTarget.optional(),
  enableSimpleResponses: z.boolean().optional(),
  resultTtlSeconds: z.number().int().min(0).optional(),
});

const api = z.strictObject({
  id: str,
  profileId: str,
  name: str,
  description: str,
  access: z.enum(["public", "token"]),
  routes: z.array(
    z.strictObject({
      routeKey: str,
      target: apiTarget,
      authorizerId: str.optional(),
      authorizationScopes: z.array(str).optional(),
    }),
  ),
  authorizers: z.array(apiAuthorizer).optional(),
  createdAt: iso,
  updatedAt: iso,
});

const remote = z.strictObject({
  id: str,
  profileId: str,
  name: str,
  endpoint: str,
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  sealedToken: str,
  kind: z.literal("api").optional(),
  createdAt: iso,
  lastUsedAt: iso.optional(),
});

const testEvent = z.strictObject({
  profileId: str,
  taskId: str,
  name: str,
  payload: str,
  createdAt: iso,
  updatedAt: iso,
});

const permission = z.strictObject({
  taskId: str,
  qualifier: str.nullable(),
  sid: str,
  action: z.enum(["lambda:InvokeFunction", "lambda:InvokeFunctionUrl"]),
  principalAccountId: z.string().regex(/^([0-9]{12}|\*)$/),
  urlAuthType: z.enum(["NONE", "AWS_IAM"]).optional(),
  createdAt: iso,
});

const functionUrl = z.strictObject({
  taskId: str,
  qualifier: str.nullable(),
  urlId: z.string().regex(/^[a-z0-9]{32}$/),
  authType: z.enum(["NONE", "AWS_IAM"]),
  invokeMode: z.enum(["BUFFERED", "RESPONSE_STREAM"]),
  cors: z
    .strictObject({
      allowCredentials: z.boolean(),
      allowHeaders: z.array(str),
      allowMethods: z.array(str),
      allowOrigins: z.array(str),
      exposeHeaders: z.array(str),
      maxAge: z.number().int().min(0),
    })
    .nullable(),
  createdAt: iso,
  updatedAt: iso,
});

const eventInvokeConfig = z.strictObject({
  taskId: str,
  qualifier: str.nullable(),
  maximumRetryAttempts: z.number().int().min(0).max(2),
  maximumEventAgeSeconds: z.number().int().min(60).max(21600),
  onSuccess: str.nullable(),
  onFailure: str.nullable(),
  updatedAt: iso,
});

const schedule = z.strictObject({
  id: str,
  profileId: str,
  name: str,
  description: str,
  expression: str,
  target: z.strictObject({ task: str, qualifier: str.optional(), ownerAccountId: str.optional() }),
  input: str.optional(),
  state: z.enum(["enabled", "disabled"]),
  anchorAt: iso,
  createdAt: iso,
  updatedAt: iso,
  lastRunAt: iso.optional(),
  lastRequestId: str.optional(),
  lastError: str.optional(),
  missed: z
    .strictObject({ count: z.number().int().min(0), first: iso, last: iso, noticedAt: iso })
    .optional(),
});

export const stateSchema: z.ZodType<HearthState> = z.strictObject({
  schemaVersion: z.number().int(),
  profiles: z.array(profile),
  tasks: z.array(task),
  aliases: z.array(alias),
  grants: z.array(grant),
  tokens: z.array(token),
  apis: z.array(api),
  remotes: z.array(remote),
  testEvents: z.array(testEvent),
  permissions: z.array(permission),
  eventInvokeConfigs: z.array(eventInvokeConfig),
  schedules: z.array(schedule),
  functionUrls: z.array(functionUrl),
});

/** The first problem of an invalid document, as `path: message`, for the STORE_CORRUPT error. */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "unknown problem";
  const path = issue.path.map((p) => String(p)).join(".");
  return `${path === "" ? "(document)" : path}: ${issue.message}`;
}
