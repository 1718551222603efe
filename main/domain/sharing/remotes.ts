// Remote aliases: a teammate's shared alias on another machine, imported from a share link into a profile and
// invoked there by its local name. The token is sealed on the way in and opened only to make the call.
import { z } from "zod";
import { isoTime, type CommandContext, type SecretSealer } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { getProfile } from "../model/lookups.ts";
import { checkShareLinkParts, parseShareLink, type ShareLinkParts } from "./share-link.ts";
import type { Change, HearthState, RemoteAlias } from "../model/state.ts";
import { remoteViewOf, type RemoteView } from "../model/views.ts";

/**
 * A local name is called like a task's, by the native API and by Lambda's (whose function names are at most 64
 * characters); not only digits, so it never reads as a version.
 */
export const REMOTE_NAME_PATTERN = /^(?!^[0-9]+$)[A-Za-z0-9_-]{1,64}$/;

const remoteNameSchema = z
  .string()
  .regex(REMOTE_NAME_PATTERN, "must be 1 to 64 letters, digits, - or _, and not only digits");

/** A link as pasted, or its parts as a window that already read it hands them over; `name` overrides the link's. */
const addSchema = z.strictObject({
  link: z.string().optional(),
  endpoint: z.string().optional(),
  token: z.string().optional(),
  fingerprint: z.string().optional(),
  kind: z.string().optional(),
  name: remoteNameSchema.optional(),
});

const removeSchema = z.strictObject({ remote: z.string().min(1, "must not be empty") });

export type AddRemoteInput = z.input<typeof addSchema>;

/** A remote alias of the profile, by its local name. */
export function findRemoteByName(
  state: HearthState,
  profileId: string,
  name: string,
): RemoteAlias | undefined {
  return state.remotes.find((r) => r.profileId === profileId && r.name === name);
}

/** A remote alias of the profile by id or local name; anyone else's is reported missing. */
export function getRemote(
  state: HearthState,
  profileId: string,
  idOrName: string,
  field = "remote",
): RemoteAlias {
  const r = state.remotes.find(
    (x) => x.profileId === profileId && (x.id === idOrName || x.name === idOrName),
  );
  if (!r) {
    throw new HearthError(
      "REMOTE_NOT_FOUND",
      `no remote alias "${idOrName.slice(0, 128)}" in your profile`,
      field,
    );
  }
  return r;
}

/** The name is the remote's handle for invoking: it may clash neither with another remote nor with a task. */
export function checkRemoteNameFree(state: HearthState, profileId: string, name: string): void {
  const profile = getProfile(state, profileId);
  if (findRemoteByName(state, profileId, name)) {
    throw new HearthError(
      "REMOTE_EXISTS",
      `profile "${profile.name}" already has a remote alias "${name}"; remove it first or pick another name`,
      "name",
    );
  }
  if (state.tasks.some((t) => t.profileId === profileId && t.name === name)) {
    throw new HearthError(
      "TASK_EXISTS",
      `profile "${profile.name}" has a task "${name}", and a remote alias is invoked by its name; pick another name`,
      "name",
    );
  }
}

function linkParts(v: z.output<typeof addSchema>): ShareLinkParts {
  const { link, name: _name, ...fields } = v;
  const given = Object.entries(fields).filter(([, x]) => x !== undefined);
  if (link !== undefined) {
    if (given.length > 0) {
      throw new HearthError(
        "INVALID_INPUT",
        "give either the share link or its endpoint, token and fingerprint, not both",
        given[0]![0],
      );
    }
    return parseShareLink(link);
  }
  if (given.length === 0) {
    throw new HearthError(
      "INVALID_INPUT",
      "link is required: paste the hearth://share link you were sent",
      "link",
    );
  }
  return checkShareLinkParts(fields);
}

/** Imports a share link into the profile as a remote alias named `name`, or the name the link carries. */
export function addRemote(
  state: HearthState,
  profileId: string,
  input: AddRemoteInput,
  ctx: CommandContext,
): Change<RemoteView> {
  const v = parseInput(addSchema, input);
  const parts = linkParts(v);
  const name = v.name ?? parts.name;
  if (name === undefined) {
    throw new HearthError(
      "INVALID_INPUT",
      "name is required: the link carries none, so name the remote alias",
      "name",
    );
  }
  if (!REMOTE_NAME_PATTERN.test(name)) {
    throw new HearthError(
      "INVALID_INPUT",
      `the link's name "${name}" is longer than a local name may be (64 characters): name the remote alias`,
      "name",
    );
  }
  checkRemoteNameFree(state, profileId, name);
  const remote: RemoteAlias = {
    id: newId("rmt", ctx.random, (id) => state.remotes.some((r) => r.id === id)),
    profileId,
    name,
    endpoint: parts.endpoint,
    fingerprint: parts.fingerprint,
    sealedToken: ctx.sealer.seal(parts.token),
    ...(parts.kind === "api" ? { kind: "api" as const } : {}),
    createdAt: isoTime(ctx.now),
  };
  const next = structuredClone(state);
  next.remotes.push(remote);
  return { state: next, result: remoteViewOf(remote) };
}

/** Forgets a remote alias (by id or local name). The owner's token stays valid until the owner revokes it. */
export function removeRemote(
  state: HearthState,
  profileId: string,
  input: z.input<typeof removeSchema>,
): Change<RemoteView> {
  const v = parseInput(removeSchema, input);
  getProfile(state, profileId);
  const remote = getRemote(state, profileId, v.remote);
  const next = structuredClone(state);
  next.remotes = next.remotes.filter((r) => r.id !== remote.id);
  return { state: next, result: remoteViewOf(remote) };
}

/** Records a call through the remote alias (what the window lists as its last use). */
export function markRemoteUsed(
  state: HearthState,
  profileId: string,
  remoteId: string,
  ctx: Pick<CommandContext, "now">,
): Change<RemoteView> {
  const next = structuredClone(state);
  const remote = getRemote(next, profileId, remoteId);
  remote.lastUsedAt = isoTime(ctx.now);
  return { state: next, result: remoteViewOf(remote) };
}

/** What the remote invoker needs to make the call: the only place the token is opened. */
export interface RemoteCallTarget {
  remoteId: string;
  name: string;
  endpoint: string;
  fingerprint: string;
  token: string;
}

export function remoteCallTarget(
  state: HearthState,
  profileId: string,
  idOrName: string,
  sealer: Pick<SecretSealer, "open">,
): RemoteCallTarget {
  const r = getRemote(state, profileId, idOrName);
  return {
    remoteId: r.id,
    name: r.name,
    endpoint: r.endpoint,
    fingerprint: r.fingerprint,
    token: sealer.open(r.sealedToken),
  };
}
