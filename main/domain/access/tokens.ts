// Tokens: bearer secrets that let anyone holding one invoke one alias or call one API; minted once, stored hashed, revocable.
import { z } from "zod";
import { getOwnApi } from "../apis/apis.ts";
import { canInvoke } from "./authorization.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { constantTimeEqual, sha256Hex } from "../model/hashing.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { getHeldAlias } from "../model/lookups.ts";
import type { Change, HearthState, Token, TokenScope } from "../model/state.ts";
import { tokenViewOf, type TokenView } from "../model/views.ts";

export const TOKEN_PREFIX = "hth_";
/** `hth_` and 32 random bytes in base64url (43 characters, no padding). */
export const TOKEN_PATTERN = /^hth_[A-Za-z0-9_-]{43}$/;
/** Characters of the random part kept in clear to find the record: 60 bits, far from enough to guess the rest. */
const LOOKUP_CHARS = 10;
const TEN_YEARS_S = 10 * 365 * 24 * 3600;
/** The highest per-token rate a mint may ask for; past it, leave the token unlimited. */
export const MAX_RATE_LIMIT_PER_MINUTE = 10_000;

/** What every token is minted with, whatever it is for. */
const mintTerms = {
  label: z.string().max(128, "must be at most 128 characters").default(""),
  expiresInS: z
    .number({ error: "must be a number of seconds" })
    .int({ error: "must be a whole number of seconds" })
    .min(1, "must be at least 1 second")
    .max(TEN_YEARS_S, "must be at most ten years")
    .nullable()
    .default(null),
  rateLimitPerMinute: z
    .number({ error: "must be a number of calls per minute" })
    .int({ error: "must be a whole number of calls per minute" })
    .min(1, "must be at least 1 call per minute")
    .max(MAX_RATE_LIMIT_PER_MINUTE, `must be at most ${MAX_RATE_LIMIT_PER_MINUTE} calls per minute`)
    .nullable()
    .default(null),
  /** Works from another machine (the shared listener) too; shares mint such tokens, other mints only when asked. */
  remote: z.boolean({ error: "must be true or false" }).default(false),
};

const mintSchema = z.strictObject({ aliasId: z.string(), ...mintTerms });
const mintApiSchema = z.strictObject({ apiId: z.string(), ...mintTerms });

const revokeSchema = z.strictObject({ tokenId: z.string() });

/** Mints a token for an alias the actor holds. The token is in the result only: the store keeps its sha256. */
export function mintAliasToken(
  state: HearthState,
  holderProfileId: string,
  input: z.input<typeof mintSchema>,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<{ token: TokenView; secret: string }> {
  const v = parseInput(mintSchema, input);
  const alias = getHeldAlias(state, holderProfileId, v.aliasId);
  return mint(state, { kind: "alias", profileId: holderProfileId, aliasId: alias.id }, v, ctx);
}

/** Mints a token for an API the actor owns; it lets its bearer call the API's routes and nothing else. */
export function mintApiToken(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof mintApiSchema>,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<{ token: TokenView; secret: string }> {
  const v = parseInput(mintApiSchema, input);
  const api = getOwnApi(state, ownerProfileId, v.apiId);
  return mint(state, { kind: "api", profileId: ownerProfileId, apiId: api.id }, v, ctx);
}

function mint(
  state: HearthState,
  scope: TokenScope,
  terms: { label: string; expiresInS: number | null; rateLimitPerMinute: number | null; remote: boolean },
  ctx: Pick<CommandContext, "now" | "random">,
): Change<{ token: TokenView; secret: string }> {
  let secret: string;
  let lookup: string;
  do {
    secret = TOKEN_PREFIX + Buffer.from(ctx.random.bytes(32)).toString("base64url");
    lookup = secret.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + LOOKUP_CHARS);
  } while (state.tokens.some((t) => t.lookup === lookup));
  const token: Token = {
    id: newId("tok", ctx.random, (id) => state.tokens.some((t) => t.id === id)),
    lookup,
    sha256: sha256Hex(secret),
    scope,
    label: terms.label,
    createdAt: isoTime(ctx.now),
    expiresAt: terms.expiresInS === null ? null : isoTime(ctx.now + terms.expiresInS * 1000),
    revokedAt: null,
    rateLimitPerMinute: terms.rateLimitPerMinute,
    remote: terms.remote,
  };
  const next = structuredClone(state);
  next.tokens.push(token);
  return { state: next, result: { token: tokenViewOf(token), secret } };
}

export function revokeToken(
  state: HearthState,
  holderProfileId: string,
  input: z.input<typeof revokeSchema>,
  ctx: Pick<CommandContext, "now">,
): Change<TokenView> {
  const v = parseInput(revokeSchema, input);
  const next = structuredClone(state);
  const token = next.tokens.find((t) => t.id === v.tokenId && t.scope.profileId === holderProfileId);
  if (!token)
    throw new HearthError("TOKEN_NOT_FOUND", `no token with id "${v.tokenId}" in your profile`, "tokenId");
  token.revokedAt ??= isoTime(ctx.now);
  return { state: next, result: tokenViewOf(token) };
}

/**
 * On the shared listener, where calls come from other machines: a token minted for this machine only is refused.
 * Asked of a token already found valid, so the answer tells only its holder something new.
 */
export function checkRemoteUse(token: Pick<Token, "remote">): void {
  if (!token.remote) {
    throw new HearthError(
      "TOKEN_LOCAL_ONLY",
      "this token works on its owner's machine only, not from another one; ask the owner for a share link " +
        "(`hearth share`) or a token minted with `hearth token mint --remote`",
      "token",
    );
  }
}

/** One error for every way a token can fail, so an answer never tells whether an alias, API or token exists. */
const tokenInvalid = (): HearthError =>
  new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");

const DUMMY_DIGEST = Buffer.alloc(32);

function sameScope(a: TokenScope, b: TokenScope): boolean {
  if (a.kind === "alias" && b.kind === "alias") return a.profileId === b.profileId && a.aliasId === b.aliasId;
  if (a.kind === "api" && b.kind === "api") return a.profileId === b.profileId && a.apiId === b.apiId;
  return false;
}

/**
 * The scope a presented token grants, or TOKEN_INVALID: malformed, unknown, wrong, expired, revoked, for
 * another alias or API than `expect`, for an alias that no longer stands (deleted, grant revoked) or for an API
 * that was deleted all look alike.
 */
export function verifyToken(
  state: HearthState,
  presented: string,
  now: number,
  expect?: TokenScope,
): TokenScope {
  return { ...findValidToken(state, presented, now, expect).scope };
}

/**
 * The lookup part of a presented token when some stored token has it, else null. Failed attempts count against
 * it, so guesses at one token are limited without a stranger's garbage holding back anyone else's.
 */
export function storedTokenLookup(state: HearthState, presented: string): string | null {
  if (!TOKEN_PATTERN.test(presented)) return null;
  const lookup = presented.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + LOOKUP_CHARS);
  return state.tokens.some((t) => t.lookup === lookup) ? lookup : null;
}

/** The record of a presented token that verifyToken accepts (its id and terms count its use); TOKEN_INVALID otherwise. */
export function findValidToken(
  state: HearthState,
  presented: string,
  now: number,
  expect?: TokenScope,
): Token {
  if (typeof presented !== "string" || !TOKEN_PATTERN.test(presented)) throw tokenInvalid();
  const digest = Buffer.from(sha256Hex(presented), "hex");
  const lookup = presented.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + LOOKUP_CHARS);
  const candidates = state.tokens.filter((t) => t.lookup === lookup);
  let match: Token | undefined;
  // Compare against something even when nothing matches the lookup, so both paths cost the same.
  for (const c of candidates.length > 0 ? candidates : [undefined]) {
    const stored = c === undefined ? DUMMY_DIGEST : Buffer.from(c.sha256, "hex");
    if (constantTimeEqual(digest, stored) && c !== undefined) match = c;
  }
  if (!match || match.revokedAt !== null) throw tokenInvalid();
  if (match.expiresAt !== null && Date.parse(match.expiresAt) <= now) throw tokenInvalid();
  if (expect !== undefined && !sameScope(match.scope, expect)) throw tokenInvalid();
  const scope = match.scope;
  if (
    scope.kind === "alias" &&
    !canInvoke(state, scope.profileId, { kind: "alias", aliasId: scope.aliasId })
  ) {
    throw tokenInvalid();
  }
  if (
    scope.kind === "api" &&
    !(
      state.apis.some((a) => a.id === scope.apiId && a.profileId === scope.profileId) &&
      state.profiles.some((p) => p.id === scope.profileId)
    )
  ) {
    throw tokenInvalid();
  }
  return match;
}
