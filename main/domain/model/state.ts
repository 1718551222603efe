// The shape of Hearth's one document: profiles, tasks with their versions, aliases, grants, tokens, APIs and remote
// aliases, as plain data.

/** Bumped with each migration in main/store/migrations.ts; the store refuses documents newer than this. */
export const CURRENT_SCHEMA_VERSION = 7;

import type { Runtime } from "../tasks/runtime-ids.ts";

export type { Runtime };

/** A published version number, or the task's editable head. */
export type VersionRef = number | "$LATEST";
export const LATEST = "$LATEST";

/** Everything about a task that shapes how its sandbox runs; versions freeze a copy of it. */
export interface TaskConfig {
  runtime: Runtime;
  handler: string;
  memoryMb: number;
  timeoutS: number;
  environment: Record<string, string>;
}

/** Where a task's code is: a blob in the blob store, by its sha256. */
export interface CodeRef {
  sha256: string;
  size: number;
}

export interface TaskVersion {
  version: number;
  description: string;
  code: CodeRef;
  config: TaskConfig;
  createdAt: string;
}

export interface Task {
  id: string;
  profileId: string;
  name: string;
  description: string;
  createdAt: string;
  /** `$LATEST`: editable code and configuration. */
  latest: { code: CodeRef; config: TaskConfig; updatedAt: string };
  versions: TaskVersion[];
  /** Highest number ever published, so a number is never handed out twice. */
  lastVersion: number;
  /** Lambda's tags: free labels the owner sets (TagResource), at most 50. */
  tags?: Record<string, string>;
  /**
   * Lambda's reserved concurrency: at most this many invocations of the task run at once, and calls beyond it are
   * throttled at once. Absent: only the host's per-task limit; 0 stops every call.
   */
  reservedConcurrency?: number;
  /**
   * Lambda's DeadLetterConfig: the function (its ARN, maybe qualified) that gets an asynchronous event's payload
   * once every attempt failed or the event grew too old. Hearth's only target type is a function.
   */
  deadLetterArn?: string;
}

export interface PasswordHash {
  algorithm: "scrypt";
  N: number;
  r: number;
  p: number;
  salt: string;
  hash: string;
}

/**
 * An access key pair. The secret is kept twice on purpose: `secretHash` (scrypt) answers "is this the
 * secret?" without ever decrypting, while `secretSealed` (AES-256-GCM, key in <data>/secret.key) exists only
 * because AWS SigV4 signs requests with an HMAC keyed by the raw secret, so verifying a signature needs it.
 */
export interface ProfileCredential {
  accessKeyId: string;
  secretHash: PasswordHash;
  secretSealed: string;
  createdAt: string;
}

export interface Profile {
  id: string;
  name: string;
  /** 12 digits, unique: the account part of Lambda ARNs. */
  accountId: string;
  createdAt: string;
  credentials: ProfileCredential[];
}

/** Lambda's RoutingConfig: `weight` of the traffic goes to `additionalVersion`, the rest to `version`. */
export interface AliasSplit {
  additionalVersion: number;
  weight: number;
}

export interface AliasRouting {
  version: VersionRef;
  split: AliasSplit | null;
}

export type RunsIn = "owner" | "caller";

/** What the holder of a cross-profile alias changed about the owner's task. */
export interface AliasCustomization {
  environment: Record<string, string>;
  /** The secret map, sealed as one JSON string; only `secretNames` is ever read back. */
  sealedSecrets: string | null;
  secretNames: string[];
  /** Random per secret set, so the config key (which may be logged) is no offline verifier of the values. */
  secretsSalt: string;
  memoryMb: number | null;
  timeoutS: number | null;
  runsIn: RunsIn;
}

export interface Alias {
  id: string;
  /** The profile that holds (and may invoke) the alias; differs from the task's profile for cross-profile ones. */
  profileId: string;
  taskId: string;
  name: string;
  description: string;
  routing: AliasRouting;
  /** Set exactly for cross-profile aliases: the grant they stand on. */
  grantId: string | null;
  customization: AliasCustomization | null;
  createdAt: string;
  updatedAt: string;
}

export interface GrantLimits {
  maxMemoryMb: number | null;
  maxTimeoutS: number | null;
  /**
   * The variable names the grantee's aliases may set (environment overrides and secrets). Absent or null: the
   * names the task itself declares in the environment of the version that runs.
   */
  allowedEnvironment?: string[] | null;
  /**
   * Whether the grantee's aliases may run the task in the grantee's own VMs (`runsIn: "caller"`), and whether the
   * owner's environment goes there with the code. Absent: "none", they always run in the owner's VMs.
   */
  callerPlacement?: CallerPlacement;
}

export type CallerPlacement = "none" | "code" | "code-and-environment";

/** A task owner's permission for another profile to build aliases on the task. */
export interface Grant {
  id: string;
  ownerProfileId: string;
  taskId: string;
  granteeProfileId: string;
  limits: GrantLimits;
  createdAt: string;
}

export type TokenScope =
  { kind: "alias"; profileId: string; aliasId: string } | { kind: "api"; profileId: string; apiId: string };

export interface Token {
  id: string;
  /** The first characters of the token's random part: finds the record without storing the token. */
  lookup: string;
  /** sha256 (hex) of the whole presented token. */
  sha256: string;
  scope: TokenScope;
  label: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Calls allowed in any 60 s; absent or null: no limit (tokens minted before limits existed have none). */
  rateLimitPerMinute?: number | null;
  /**
   * Whether the token works from another machine, on the shared listener. Share links mint such tokens; any
   * other mint is for this machine's local port only unless asked, so a token handed to a local script or tool
   * is no key to the listener teammates reach.
   */
  remote: boolean;
}

/** A route's target, named the way a caller names what it invokes (InvokeRef in authorization.ts). */
export interface ApiRouteTarget {
  task: string;
  /** A version number, `$LATEST`, or an alias name; none means `$LATEST`. */
  qualifier?: string;
  /** Set when the target is another account's task, reached through a cross-profile alias the API's profile holds. */
  ownerAccountId?: string;
}

export interface ApiRoute {
  /** `GET /orders/{id}`, `ANY /{proxy+}` or `$default`. */
  routeKey: string;
  target: ApiRouteTarget;
  /** The id of one of its API's authorizers, which decides every request before the target runs; none: no check. */
  authorizerId?: string;
  /** A JWT authorizer's route only: the token's `scope` (or `scp`) must hold at least one of these. */
  authorizationScopes?: string[];
}

/** Where a request's identity is read: `$request.header.<name>` or `$request.querystring.<name>`. */
export type IdentitySource = string;

/**
 * What checks a request before its route's target runs, as API Gateway HTTP APIs do: a JWT authorizer verifies a
 * token against an issuer's keys; a REQUEST authorizer asks a task (a Lambda authorizer, payload format 2.0).
 */
export interface ApiAuthorizer {
  id: string;
  /** Unique within its API. */
  name: string;
  type: "JWT" | "REQUEST";
  /** JWT: exactly one (the token). REQUEST: the values the answer is cached by; a request without one is refused. */
  identitySource: IdentitySource[];
  /**
   * JWT only. The keys come from jwksUri or jwksFile, or with neither from the issuer's OpenID configuration
   * (`{issuer}/.well-known/openid-configuration`), as API Gateway finds them.
   */
  jwt?: { issuer: string; audience: string[]; jwksUri?: string; jwksFile?: string };
  /** REQUEST only: the task that answers, named as a route's target is. */
  target?: ApiRouteTarget;
  /** REQUEST only: the task answers `{isAuthorized, context}` rather than an IAM policy. */
  enableSimpleResponses?: boolean;
  /** REQUEST only: how long an answer is reused for the same identity values; 0 asks every time. */
  resultTtlSeconds?: number;
}

/** `public`: anyone who reaches the port may call it; `token`: only bearers of a token minted for the API. */
export type ApiAccess = "public" | "token";

/** Routes bound to tasks or aliases its profile may invoke, served on the local port at `/apis/{name}/…`. */
export interface Api {
  id: string;
  profileId: string;
  /** Unique across all profiles: every API shares the port's `/apis/` namespace. */
  name: string;
  description: string;
  access: ApiAccess;
  routes: ApiRoute[];
  /** Absent on APIs made before authorizers existed, which have none. */
  authorizers?: ApiAuthorizer[];
  createdAt: string;
  updatedAt: string;
}

/**
 * A teammate's shared alias (or API) on another machine, imported from a share link into one profile and invoked by
 * its local name: the call goes to the owner's shared listener, which must show the pinned certificate.
 */
export interface RemoteAlias {
  id: string;
  profileId: string;
  /** The local name: unique in the profile among its remotes and its own tasks. */
  name: string;
  /** The owner's shared listener, `https://host:port`. */
  endpoint: string;
  /** `sha256:<hex>` of the listener's certificate; any other certificate is refused. */
  fingerprint: string;
  /** The owner's token, sealed: only the remote invoker ever opens it, and no view reads it back. */
  sealedToken: string;
  /** "api": a shared token API, whose routes the teammate calls through their own port; absent: an alias. */
  kind?: "api";
  createdAt: string;
  lastUsedAt?: string;
}

/**
 * A test event a profile saved for a task it may invoke (its own, or one shared with it), by name: the payload
 * exactly as written, picked in the window beside the payload or named by `hearth invoke --event`. Only the profile
 * that saved it ever sees it; the task's owner does not see a teammate's.
 */
export interface TestEvent {
  profileId: string;
  taskId: string;
  /** Unique per profile and task. */
  name: string;
  /** JSON text, kept as written (its spacing and key order). */
  payload: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * One statement of a task's resource policy (Lambda's AddPermission): the account may invoke the task by the ARN
 * the statement names, with the owner's configuration, in the owner's VMs. `qualifier` null is the unqualified
 * function ARN ($LATEST); a version number or an owner's alias name allows exactly that qualified ARN.
 */
export interface PolicyStatement {
  taskId: string;
  qualifier: string | null;
  sid: string;
  action: "lambda:InvokeFunction" | "lambda:InvokeFunctionUrl";
  /** A 12-digit account id; `*` only in a statement for a URL of auth type NONE. */
  principalAccountId: string;
  /**
   * Set on statements that count only for the function's URL (InvokeFunctionUrl, or InvokeFunction with
   * InvokedViaFunctionUrl): the URL's auth type they were written for. They never let anyone call the function
   * any other way.
   */
  urlAuthType?: "NONE" | "AWS_IAM";
  createdAt: string;
}

export interface FunctionUrlCors {
  allowCredentials: boolean;
  /** Lower-case header names. */
  allowHeaders: string[];
  allowMethods: string[];
  allowOrigins: string[];
  exposeHeaders: string[];
  maxAge: number;
}

/**
 * A task's function URL (Lambda's CreateFunctionUrlConfig), of its unqualified ARN (qualifier null, $LATEST) or one
 * of its owner's aliases, answering at `/lambda-url/{urlId}/` on the local port.
 */
export interface FunctionUrlConfig {
  taskId: string;
  qualifier: string | null;
  /** 32 lowercase letters and digits, unique on this machine. */
  urlId: string;
  authType: "NONE" | "AWS_IAM";
  invokeMode: "BUFFERED" | "RESPONSE_STREAM";
  cors: FunctionUrlCors | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Lambda's event-invoke configuration of a task's unqualified ARN (qualifier null) or one version or alias: how an
 * asynchronous event is retried and how old it may grow, and the functions told of its success or failure.
 */
export interface EventInvokeConfig {
  taskId: string;
  qualifier: string | null;
  /** 0 to 2. */
  maximumRetryAttempts: number;
  /** 60 to 21600. */
  maximumEventAgeSeconds: number;
  /** A function ARN (maybe qualified) that receives Lambda's destination record. */
  onSuccess: string | null;
  onFailure: string | null;
  updatedAt: string;
}

/**
 * A schedule (EventBridge's scheduled rule): a rate or cron expression that sends a task (or alias) an event
 * through the persisted async queue, as the profile that owns the schedule.
 */
export interface Schedule {
  id: string;
  profileId: string;
  name: string;
  description: string;
  /** `rate(5 minutes)` or `cron(0 12 * * ? *)`, UTC. */
  expression: string;
  target: { task: string; qualifier?: string; ownerAccountId?: string };
  /** The event sent, as JSON text; absent: EventBridge's Scheduled Event. */
  input?: string;
  state: "enabled" | "disabled";
  /** Where a rate counts its periods from: made or last resumed. */
  anchorAt: string;
  createdAt: string;
  updatedAt: string;
  /** The last run sent, and its request id in the async queue. */
  lastRunAt?: string;
  lastRequestId?: string;
  /** Why the last run could not be sent (its target gone, no longer permitted, the queue full). */
  lastError?: string;
  /** Runs that fell while Hearth was stopped: reported, never replayed. */
  missed?: { count: number; first: string; last: string; noticedAt: string };
}

export interface HearthState {
  schemaVersion: number;
  profiles: Profile[];
  tasks: Task[];
  aliases: Alias[];
  grants: Grant[];
  tokens: Token[];
  apis: Api[];
  remotes: RemoteAlias[];
  testEvents: TestEvent[];
  permissions: PolicyStatement[];
  eventInvokeConfigs: EventInvokeConfig[];
  schedules: Schedule[];
  functionUrls: FunctionUrlConfig[];
}

export function emptyState(): HearthState {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    profiles: [],
    tasks: [],
    aliases: [],
    grants: [],
    tokens: [],
    apis: [],
    remotes: [],
    testEvents: [],
    permissions: [],
    eventInvokeConfigs: [],
    schedules: [],
    functionUrls: [],
  };
}

/** What a command returns: the next state (the input is never mutated) and what the caller asked for. */
export interface Change<R> {
  state: HearthState;
  result: R;
}
