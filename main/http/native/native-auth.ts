// Who is calling the native API: the machine's owner (owner key), a profile (its access key), or a token's holder.
import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HearthError } from "../../domain/model/errors.ts";
import { constantTimeEqual, sha256Hex } from "../../domain/model/hashing.ts";
import { getTaskById } from "../../domain/model/lookups.ts";
import { authenticateSecret } from "../../domain/access/profile-credentials.ts";
import type { HearthState } from "../../domain/model/state.ts";
import { findValidToken } from "../../domain/access/tokens.ts";
import { PROFILE_HEADER } from "../../contract.ts";
import { ownerCaller, type Caller } from "../../operations/caller.ts";
import {
  accessKeyFailureKey,
  MALFORMED_FAILURES,
  OWNER_FAILURES,
  tokenFailureKey,
  tooManyAttempts,
  type AuthFailures,
} from "./auth-failures.ts";

/** The shared listener names the caller it authenticates by this module's type. */
export type { Caller };

const MISSING =
  "send Authorization: Bearer <owner key or token>, or Basic <access key id:secret>; " +
  "the owner key is in the data directory's owner.key";

/** What a request presents, read from its headers alone. */
type Presented =
  | { kind: "none" }
  | { kind: "owner"; key: string }
  | { kind: "token"; token: string }
  | { kind: "basic"; accessKeyId: string; secret: string }
  | { kind: "malformed"; error: HearthError };

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

  /**
   * Authenticates a request from its headers alone, so it can run before a body is read. No credentials is
   * refused without counting; a valid credential is taken before its key's wait is looked at; a wrong one counts
   * against its key from this address, and past the limit is answered TOO_MANY_ATTEMPTS until the window passes.
   */
  authenticate(state: HearthState, headers: IncomingHttpHeaders, client: string): Caller {
    const presented = this.presented(headers);
    if (presented.kind === "none") {
      throw new HearthError("UNAUTHENTICATED", `this request needs credentials: ${MISSING}`, "Authorization");
    }
    let failure: HearthError | null = null;
    try {
      const caller = this.quickCheck(state, presented, headers, client);
      if (caller) return caller;
    } catch (err) {
      // A valid owner key naming a profile that does not exist is a wrong name, not a wrong key.
      if (!(err instanceof HearthError) || err.code === "PROFILE_NOT_FOUND") throw err;
      failure = err;
    }
    const key = this.failureKey(state, presented);
    const wait = this.failures.retryAfterMs(client, key);
    if (wait > 0) throw tooManyAttempts(client, wait);
    if (failure === null && presented.kind === "basic") {
      // A key pair not seen before: its scrypt check is the costly one, so it runs behind the wait.
      try {
        return this.basicSlow(state, presented.accessKeyId, presented.secret);
      } catch (err) {
        if (!(err instanceof HearthError)) throw err;
        failure = err;
      }
    }
    this.failures.fail(client, key);
    throw failure ?? new HearthError("UNAUTHENTICATED", MISSING, "Authorization");
  }

  private presented(headers: IncomingHttpHeaders): Presented {
    const header = headers.authorization;
    if (typeof header !== "string" || header.trim() === "") return { kind: "none" };
    const [scheme = "", value = ""] = header.trim().split(/\s+/, 2);
    if (/^bearer$/i.test(scheme)) {
      return value.startsWith("hok_") ? { kind: "owner", key: value } : { kind: "token", token: value };
    }
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0) {
        const error = new HearthError(
          "CREDENTIALS_INVALID",
          "Basic credentials must be <access key id>:<secret>",
          "Authorization",
        );
        return { kind: "malformed", error };
      }
      return { kind: "basic", accessKeyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    const error = new HearthError(
      "UNAUTHENTICATED",
      `unsupported authorization scheme "${scheme.slice(0, 40)}": ${MISSING}`,
    );
    return { kind: "malformed", error };
  }

  private failureKey(state: HearthState, presented: Presented): string {
    switch (presented.kind) {
      case "owner":
        return OWNER_FAILURES;
      case "token":
        return tokenFailureKey(state, presented.token);
      case "basic":
        return accessKeyFailureKey(state, presented.accessKeyId);
      default:
        return MALFORMED_FAILURES;
    }
  }

  /** The caller when a cheap check settles it; null when only the costly check of a new key pair can. */
  private quickCheck(
    state: HearthState,
    presented: Presented,
    headers: IncomingHttpHeaders,
    client: string,
  ): Caller | null {
    switch (presented.kind) {
      case "owner":
        return this.owner(state, presented.key, headers);
      case "token":
        return this.token(state, presented.token, client);
      case "basic":
        return this.basicCached(state, presented.accessKeyId, presented.secret);
      case "malformed":
        throw presented.error;
      case "none":
        return null;
    }
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

  /** A key pair verified before, if the store still holds its key: a removed key stops working at once. */
  private basicCached(state: HearthState, accessKeyId: string, secret: string): Caller | null {
    const cached = this.verifiedSecrets.get(`${accessKeyId}:${sha256Hex(secret)}`);
    const stillHeld = state.profiles.some(
      (p) => p.id === cached && p.credentials.some((c) => c.accessKeyId === accessKeyId),
    );
    return cached && stillHeld ? { kind: "profile", profileId: cached } : null;
  }

  private basicSlow(state: HearthState, accessKeyId: string, secret: string): Caller {
    const profileId = authenticateSecret(state, accessKeyId, secret);
    if (this.verifiedSecrets.size > 1000) this.verifiedSecrets.clear();
    this.verifiedSecrets.set(`${accessKeyId}:${sha256Hex(secret)}`, profileId);
    return { kind: "profile", profileId };
  }
}
