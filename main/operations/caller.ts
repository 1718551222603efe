// Who calls an operation, over any transport: the machine's owner (acting as a profile or across profiles), a
// profile, or a token's holder; and what each may call, by the operation's access level.
import type { Operation, OperationName } from "../contract.ts";
import type { InvokeRef } from "../domain/access/authorization.ts";
import { HearthError } from "../domain/model/errors.ts";
import { findProfileByName } from "../domain/model/lookups.ts";
import type { HearthState } from "../domain/model/state.ts";

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

/** Where a caller names the profile it acts as: a header over HTTP, a field of the call's envelope over IPC. */
export interface ProfileSource {
  field: string;
  where: string;
}

/** Operations the owner key may call without naming a profile: they then span every profile. */
const OWNER_WIDE = new Set<OperationName>(["listProfiles", "pool", "poolHistory"]);

/** Checks that the caller may call an operation of this access level; answers with the profile it acts as. */
export function actingProfile(
  name: OperationName,
  o: Operation,
  caller: Caller,
  source: ProfileSource,
): string | null {
  switch (o.access) {
    case "public":
      return null;
    case "owner":
      if (caller.kind !== "owner") {
        throw new HearthError("FORBIDDEN", "only the machine's owner (owner key) may do this");
      }
      return caller.profileId;
    case "profile":
    case "invoke":
      if (caller.kind === "token") {
        if (o.access === "invoke") return caller.profileId;
        throw new HearthError("FORBIDDEN", "a token may only invoke the alias it was minted for");
      }
      if (caller.profileId === null && !OWNER_WIDE.has(name)) {
        throw new HearthError("INVALID_INPUT", `name the profile to act as in ${source.where}`, source.field);
      }
      return caller.profileId;
  }
}
