// Who is calling the native API: the machine's owner (owner key), a profile (its access key), or a token's holder.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { InvokeRef } from "../../domain/authorization.ts";
import { HearthError } from "../../domain/errors.ts";
import { constantTimeEqual, sha256Hex } from "../../domain/hashing.ts";
import { findProfileByName, getTaskById } from "../../domain/lookups.ts";
import { authenticateSecret } from "../../domain/profile-credentials.ts";
import type { HearthState } from "../../domain/state.ts";
import { findValidToken } from "../../domain/tokens.ts";
import { PROFILE_HEADER } from "../../contract.ts";
import type { AuthFailures } from "./auth-failures.ts";

export type Caller =
  | { kind: "owner"; profileId: string | null }
  | { kind: "profile"; profileId: string }
  /**
   * A token's holder may invoke exactly `ref`, as `profileId` (the profile holding the alias); `tokenId` and
   * `client` (the caller's address) are what its usage and rate limit are counted by; `remote`, whether the token
   * may be used from another machine.
   */
  | {
      kind: "token";
      profileId: string;
      aliasId: string;
      ref: InvokeRef;
      tokenId: string;
      rateLimitPerMinute: number | null;
      remote: boolean;
      client: string;
    };

/**
 * The machine's owner, acting as the profile `named` (its id or name) or, without one, across profiles. `field` is
 * where the name came from, for the error when no profile has it.
 */
export function ownerCaller(state: HearthState, named: string | undefined, field: string): Caller {
  if (named === undefined || named === "") return { kind: "owner", profileId: null };
  const profile = state.profiles.find((p) => p.id === named) ?? findProfileByName(state, named);
  if (!profile) {
    throw new HearthError("PROFILE_NOT_FOUND", `no profile named "${named.slice(0, 64)}"`, field);
  }
  return { kind: "owner", profileId: profile.id };
}

const MISSING =
  "send Authorization: Bearer <owner key or token>, or Basic <access key id:secret>; " +
  "the owner key is in the data directory's owner.key";

export class NativeAuth {
  private readonly ownerDigest: Buffer;
  /** Access key id + sha256 of the secret → profile, so scrypt runs once per key pair, not per request. */
  private readonly verifiedSecrets = new Map<string, string>();

  constructor(
    ownerKey: string,
    private readonly failures: AuthFailures,
  ) {
    this.ownerDigest = createHash("sha256").update(ownerKey).digest();
  }

  /** Authenticates a request; failures count against the client's address and end in a wait after too many. */
  authenticate(state: HearthState, headers: IncomingHttpHeaders, client: string): Caller {
    const wait = this.failures.retryAfterMs(client);
    if (wait > 0) {
      throw Object.assign(
        new HearthError(
          "TOO_MANY_ATTEMPTS",
          `too many failed authentications from ${client}; try again in ${Math.ceil(wait / 1000)} s`,
        ),
        { retryAfterS: Math.ceil(wait / 1000) },
      );
    }
    try {
      return this.identify(state, headers, client);
    } catch (err) {
      if (err instanceof HearthError && err.code !== "PROFILE_NOT_FOUND") this.failures.fail(client);
      throw err;
    }
  }

  private identify(state: HearthState, headers: IncomingHttpHeaders, client: string): Caller {
    const header = headers.authorization;
    if (typeof header !== "string" || header.trim() === "") {
      throw new HearthError("UNAUTHENTICATED", `this request needs credentials: ${MISSING}`, "Authorization");
    }
    const [scheme = "", value = ""] = header.trim().split(/\s+/, 2);
    if (/^bearer$/i.test(scheme)) {
      if (value.startsWith("hok_")) return this.owner(state, value, headers);
      return this.token(state, value, client);
    }
    if (/^basic$/i.test(scheme)) return this.basic(state, value);
    throw new HearthError("UNAUTHENTICATED", `unsupported authorization scheme "${scheme}": ${MISSING}`);
  }

  private owner(state: HearthState, key: string, headers: IncomingHttpHeaders): Caller {
    const digest = createHash("sha256").update(key).digest();
    if (!constantTimeEqual(digest, this.ownerDigest)) {
      throw new HearthError("CREDENTIALS_INVALID", "the owner key is not valid", "Authorization");
    }
    const named = headers[PROFILE_HEADER];
    return ownerCaller(state, typeof named === "string" ? named : undefined, PROFILE_HEADER);
  }

  private token(state: HearthState, token: string, client: string): Caller {
    const record = findValidToken(state, token, Date.now());
    const scope = record.scope;
    if (scope.kind !== "alias") {
      throw new HearthError("TOKEN_INVALID", "the token is not valid for this request", "token");
    }
    const alias = state.aliases.find((a) => a.id === scope.aliasId)!;
    const task = getTaskById(state, alias.taskId);
    const ownerAccountId = state.profiles.find((p) => p.id === task.profileId)!.accountId;
    return {
      kind: "token",
      profileId: scope.profileId,
      aliasId: alias.id,
      ref: { task: task.name, qualifier: alias.name, ownerAccountId },
      tokenId: record.id,
      rateLimitPerMinute: record.rateLimitPerMinute ?? null,
      remote: record.remote,
      client,
    };
  }

  private basic(state: HearthState, encoded: string): Caller {
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) {
      throw new HearthError(
        "CREDENTIALS_INVALID",
        "Basic credentials must be <access key id>:<secret>",
        "Authorization",
      );
    }
    const accessKeyId = decoded.slice(0, colon);
    const secret = decoded.slice(colon + 1);
    const cacheKey = `${accessKeyId}:${sha256Hex(secret)}`;
    const cached = this.verifiedSecrets.get(cacheKey);
    // A cached pair still has to name a key the store holds: a removed key stops working at once.
    const stillHeld = state.profiles.some(
      (p) => p.id === cached && p.credentials.some((c) => c.accessKeyId === accessKeyId),
    );
    if (cached && stillHeld) {
      return { kind: "profile", profileId: cached };
    }
    const profileId = authenticateSecret(state, accessKeyId, secret);
    if (this.verifiedSecrets.size > 1000) this.verifiedSecrets.clear();
    this.verifiedSecrets.set(cacheKey, profileId);
    return { kind: "profile", profileId };
  }
}
