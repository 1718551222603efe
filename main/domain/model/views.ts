// What a given profile may see of profiles, tasks, aliases, grants, tokens, APIs and remote aliases: the only shapes
// read functions return.
//
// Records hold more than any one viewer may read (code location, the owner's environment, other callers'
// secrets, credential hashes). Each view copies named fields out of a record, so a field added to a record
// later stays private until a view decides otherwise.
import { HearthError } from "./errors.ts";
import { findGrant, getProfile, getTaskById } from "./lookups.ts";
import type {
  Alias,
  Api,
  ApiAccess,
  ApiAuthorizer,
  ApiRouteTarget,
  AliasRouting,
  GrantLimits,
  HearthState,
  Profile,
  RemoteAlias,
  Runtime,
  RunsIn,
  Task,
  TaskConfig,
  TaskVersion,
  Token,
  TokenScope,
} from "./state.ts";

export interface ProfileView {
  id: string;
  name: string;
  accountId: string;
  createdAt: string;
  accessKeyIds: string[];
}

export function profileView(profile: Profile): ProfileView {
  return {
    id: profile.id,
    name: profile.name,
    accountId: profile.accountId,
    createdAt: profile.createdAt,
    accessKeyIds: profile.credentials.map((c) => c.accessKeyId),
  };
}

export interface OwnedVersionView {
  version: number;
  description: string;
  codeSha256: string;
  codeSize: number;
  config: TaskConfig;
  createdAt: string;
}

export function ownedVersionView(v: TaskVersion): OwnedVersionView {
  return {
    version: v.version,
    description: v.description,
    codeSha256: v.code.sha256,
    codeSize: v.code.size,
    config: structuredClone(v.config),
    createdAt: v.createdAt,
  };
}

/** The owner's view: everything about the task. */
export interface OwnedTaskView {
  access: "owner";
  id: string;
  name: string;
  description: string;
  profileId: string;
  accountId: string;
  createdAt: string;
  updatedAt: string;
  runtime: Runtime;
  handler: string;
  memoryMb: number;
  timeoutS: number;
  environment: Record<string, string>;
  codeSha256: string;
  codeSize: number;
  versions: OwnedVersionView[];
}

/** A grantee's view: enough to pick a version and size an alias; no code, code sha, handler or environment. */
export interface SharedTaskView {
  access: "grantee";
  id: string;
  name: string;
  description: string;
  ownerAccountId: string;
  ownerProfileName: string;
  runtime: Runtime;
  memoryMb: number;
  timeoutS: number;
  versions: { version: number; description: string; createdAt: string }[];
  limits: GrantLimits;
  grantedAt: string;
}

export function ownedTaskView(state: HearthState, task: Task): OwnedTaskView {
  const owner = getProfile(state, task.profileId);
  const c = task.latest.config;
  return {
    access: "owner",
    id: task.id,
    name: task.name,
    description: task.description,
    profileId: task.profileId,
    accountId: owner.accountId,
    createdAt: task.createdAt,
    updatedAt: task.latest.updatedAt,
    runtime: c.runtime,
    handler: c.handler,
    memoryMb: c.memoryMb,
    timeoutS: c.timeoutS,
    environment: { ...c.environment },
    codeSha256: task.latest.code.sha256,
    codeSize: task.latest.code.size,
    versions: task.versions.map(ownedVersionView),
  };
}

/**
 * What `viewerProfileId` may see of a task: all of it when it owns the task, the shared view with a grant,
 * and otherwise TASK_NOT_FOUND (never "forbidden": existence is not disclosed).
 */
export function taskView(
  state: HearthState,
  viewerProfileId: string,
  taskId: string,
): OwnedTaskView | SharedTaskView {
  const task = state.tasks.find((t) => t.id === taskId);
  if (task && task.profileId === viewerProfileId) return ownedTaskView(state, task);
  const grant = task && findGrant(state, task.id, viewerProfileId);
  if (!task || !grant) throw new HearthError("TASK_NOT_FOUND", `no task with id "${taskId}"`, "taskId");
  const owner = getProfile(state, task.profileId);
  const c = task.latest.config;
  return {
    access: "grantee",
    id: task.id,
    name: task.name,
    description: task.description,
    ownerAccountId: owner.accountId,
    ownerProfileName: owner.name,
    runtime: c.runtime,
    memoryMb: c.memoryMb,
    timeoutS: c.timeoutS,
    versions: task.versions.map((v) => ({
      version: v.version,
      description: v.description,
      createdAt: v.createdAt,
    })),
    limits: { ...grant.limits },
    grantedAt: grant.createdAt,
  };
}

/** The viewer's own tasks, then the tasks shared with it. */
export function listTaskViews(
  state: HearthState,
  viewerProfileId: string,
): (OwnedTaskView | SharedTaskView)[] {
  getProfile(state, viewerProfileId);
  const own = state.tasks.filter((t) => t.profileId === viewerProfileId).map((t) => ownedTaskView(state, t));
  const shared = state.grants
    .filter((g) => g.granteeProfileId === viewerProfileId)
    .map((g) => taskView(state, viewerProfileId, g.taskId));
  return [...own, ...shared];
}

/** The holder's view of an alias. Secret values never leave the store: only their names do. */
export interface AliasView {
  id: string;
  name: string;
  description: string;
  profileId: string;
  task: { id: string; name: string; ownerAccountId: string };
  crossProfile: boolean;
  routing: AliasRouting;
  customization: {
    environment: Record<string, string>;
    secretNames: string[];
    memoryMb: number | null;
    timeoutS: number | null;
    runsIn: RunsIn;
  } | null;
  createdAt: string;
  updatedAt: string;
}

export function aliasViewOf(state: HearthState, alias: Alias): AliasView {
  const task = getTaskById(state, alias.taskId);
  const owner = getProfile(state, task.profileId);
  const c = alias.customization;
  return {
    id: alias.id,
    name: alias.name,
    description: alias.description,
    profileId: alias.profileId,
    task: { id: task.id, name: task.name, ownerAccountId: owner.accountId },
    crossProfile: alias.grantId !== null,
    routing: {
      version: alias.routing.version,
      split: alias.routing.split === null ? null : { ...alias.routing.split },
    },
    customization:
      c === null
        ? null
        : {
            environment: { ...c.environment },
            secretNames: [...c.secretNames],
            memoryMb: c.memoryMb,
            timeoutS: c.timeoutS,
            runsIn: c.runsIn,
          },
    createdAt: alias.createdAt,
    updatedAt: alias.updatedAt,
  };
}

/** Only the holder sees an alias; to everyone else (the task's owner included) it does not exist. */
export function aliasView(state: HearthState, viewerProfileId: string, aliasId: string): AliasView {
  const alias = state.aliases.find((a) => a.id === aliasId && a.profileId === viewerProfileId);
  if (!alias)
    throw new HearthError("ALIAS_NOT_FOUND", `no alias with id "${aliasId}" in your profile`, "aliasId");
  return aliasViewOf(state, alias);
}

/** Aliases the viewer holds, optionally only those on one task. */
export function listAliasViews(state: HearthState, viewerProfileId: string, taskId?: string): AliasView[] {
  return state.aliases
    .filter((a) => a.profileId === viewerProfileId && (taskId === undefined || a.taskId === taskId))
    .map((a) => aliasViewOf(state, a));
}

/** What an owner learns about other profiles' aliases on its task: who, what name, since when. */
export interface AliasHolderView {
  profileId: string;
  profileName: string;
  accountId: string;
  aliasName: string;
  grantId: string;
  createdAt: string;
}

export function listAliasHolders(
  state: HearthState,
  ownerProfileId: string,
  taskId: string,
): AliasHolderView[] {
  const task = getTaskById(state, taskId);
  if (task.profileId !== ownerProfileId) {
    throw new HearthError("TASK_NOT_FOUND", `no task with id "${taskId}" in your profile`, "taskId");
  }
  return state.aliases
    .filter((a) => a.taskId === task.id && a.profileId !== ownerProfileId && a.grantId !== null)
    .map((a) => {
      const holder = getProfile(state, a.profileId);
      return {
        profileId: holder.id,
        profileName: holder.name,
        accountId: holder.accountId,
        aliasName: a.name,
        grantId: a.grantId as string,
        createdAt: a.createdAt,
      };
    });
}

export interface GrantView {
  id: string;
  task: { id: string; name: string; ownerAccountId: string };
  grantee: { profileId: string; name: string; accountId: string };
  limits: GrantLimits;
  createdAt: string;
}

/** Grants the viewer gave (as owner) or received (as grantee). */
export function listGrantViews(state: HearthState, viewerProfileId: string): GrantView[] {
  return state.grants
    .filter((g) => g.ownerProfileId === viewerProfileId || g.granteeProfileId === viewerProfileId)
    .map((g) => {
      const task = getTaskById(state, g.taskId);
      const owner = getProfile(state, g.ownerProfileId);
      const grantee = getProfile(state, g.granteeProfileId);
      return {
        id: g.id,
        task: { id: task.id, name: task.name, ownerAccountId: owner.accountId },
        grantee: { profileId: grantee.id, name: grantee.name, accountId: grantee.accountId },
        limits: { ...g.limits },
        createdAt: g.createdAt,
      };
    });
}

/** How a token has been used: kept in memory by the host and saved beside the document, not in it. */
export interface TokenUsageView {
  lastUsedAt: string | null;
  /** Calls let through (whatever their outcome). */
  calls: number;
  /** Calls refused for going over the token's rate limit. */
  throttled: number;
  /** The client addresses calls came from, most recent first, a bounded number of distinct ones. */
  addresses: string[];
  /** The request id of its last call let through (the window opens that call's log and timeline). */
  lastRequestId?: string;
}

export const NO_TOKEN_USAGE: TokenUsageView = Object.freeze({
  lastUsedAt: null,
  calls: 0,
  throttled: 0,
  addresses: Object.freeze([]) as unknown as string[],
});

/** A token as listed later: never the token or its hash, only a hint of its first characters. */
export interface TokenView {
  id: string;
  label: string;
  hint: string;
  scope: TokenScope;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Calls allowed in any 60 s, or null for no limit. */
  rateLimitPerMinute: number | null;
  /** Works from another machine (the shared listener) too, not only on this machine's port. */
  remote: boolean;
  usage: TokenUsageView;
}

export function tokenViewOf(token: Token, usage: TokenUsageView = NO_TOKEN_USAGE): TokenView {
  return {
    id: token.id,
    label: token.label,
    hint: `hth_${token.lookup.slice(0, 6)}…`,
    scope: { ...token.scope },
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
    rateLimitPerMinute: token.rateLimitPerMinute ?? null,
    remote: token.remote,
    usage: { ...usage, addresses: [...usage.addresses] },
  };
}

/** Tokens minted for aliases (or APIs) the viewer holds, with their usage when the caller knows it. */
export function listTokenViews(
  state: HearthState,
  viewerProfileId: string,
  usageOf: (tokenId: string) => TokenUsageView | undefined = () => undefined,
): TokenView[] {
  return state.tokens
    .filter((t) => t.scope.profileId === viewerProfileId)
    .map((t) => tokenViewOf(t, usageOf(t.id)));
}

/** An API's authorizer as its owner sees it: its whole definition, which holds no secret. */
export interface ApiAuthorizerView {
  id: string;
  name: string;
  type: "JWT" | "REQUEST";
  identitySource: string[];
  jwt?: { issuer: string; audience: string[]; jwksUri?: string; jwksFile?: string };
  target?: ApiRouteTarget;
  enableSimpleResponses?: boolean;
  resultTtlSeconds?: number;
}

function authorizerViewOf(a: ApiAuthorizer): ApiAuthorizerView {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    identitySource: [...a.identitySource],
    ...(a.jwt
      ? {
          jwt: {
            issuer: a.jwt.issuer,
            audience: [...a.jwt.audience],
            ...(a.jwt.jwksUri !== undefined ? { jwksUri: a.jwt.jwksUri } : {}),
            ...(a.jwt.jwksFile !== undefined ? { jwksFile: a.jwt.jwksFile } : {}),
          },
        }
      : {}),
    ...(a.target ? { target: { ...a.target } } : {}),
    ...(a.enableSimpleResponses !== undefined ? { enableSimpleResponses: a.enableSimpleResponses } : {}),
    ...(a.resultTtlSeconds !== undefined ? { resultTtlSeconds: a.resultTtlSeconds } : {}),
  };
}

/** The owner's view of an API; `path` is where the port serves it. */
export interface ApiView {
  id: string;
  name: string;
  description: string;
  access: ApiAccess;
  routes: {
    routeKey: string;
    target: ApiRouteTarget;
    authorizerId?: string;
    authorizationScopes?: string[];
  }[];
  /** Empty for an API without any. */
  authorizers: ApiAuthorizerView[];
  path: string;
  createdAt: string;
  updatedAt: string;
}

export function apiViewOf(api: Api): ApiView {
  return {
    id: api.id,
    name: api.name,
    description: api.description,
    access: api.access,
    routes: api.routes.map((r) => ({
      routeKey: r.routeKey,
      target: { ...r.target },
      ...(r.authorizerId !== undefined ? { authorizerId: r.authorizerId } : {}),
      ...(r.authorizationScopes !== undefined ? { authorizationScopes: [...r.authorizationScopes] } : {}),
    })),
    authorizers: (api.authorizers ?? []).map(authorizerViewOf),
    path: `/apis/${api.name}`,
    createdAt: api.createdAt,
    updatedAt: api.updatedAt,
  };
}

/** Only the owner sees an API's definition; to everyone else it does not exist. */
export function apiView(state: HearthState, viewerProfileId: string, apiId: string): ApiView {
  const api = state.apis.find((a) => a.id === apiId && a.profileId === viewerProfileId);
  if (!api) throw new HearthError("API_NOT_FOUND", `no API with id "${apiId}" in your profile`, "apiId");
  return apiViewOf(api);
}

/** The viewer's own APIs. */
export function listApiViews(state: HearthState, viewerProfileId: string): ApiView[] {
  return state.apis.filter((a) => a.profileId === viewerProfileId).map(apiViewOf);
}

/** A remote alias as its profile sees it: where it leads and what it pins, never the token. */
export interface RemoteView {
  id: string;
  name: string;
  /** An alias is invoked by its name; an API's routes are called under /v1/remote-apis/<name>/. */
  kind: "alias" | "api";
  profileId: string;
  endpoint: string;
  fingerprint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export function remoteViewOf(remote: RemoteAlias): RemoteView {
  return {
    id: remote.id,
    name: remote.name,
    kind: remote.kind ?? "alias",
    profileId: remote.profileId,
    endpoint: remote.endpoint,
    fingerprint: remote.fingerprint,
    createdAt: remote.createdAt,
    lastUsedAt: remote.lastUsedAt ?? null,
  };
}

/** The viewer's remote aliases. */
export function listRemoteViews(state: HearthState, viewerProfileId: string): RemoteView[] {
  return state.remotes.filter((r) => r.profileId === viewerProfileId).map(remoteViewOf);
}
