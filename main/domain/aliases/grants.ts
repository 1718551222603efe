// Grants: a task owner lets another profile build aliases on a task, within limits, until it revokes them.
import { z } from "zod";
import { removeGrants } from "../model/cascade.ts";
import { isoTime, type CommandContext } from "../model/command-context.ts";
import { envKeyProblem, isInterpreterVariable } from "../tasks/environment-rules.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { findGrant, getOwnTask, getProfile } from "../model/lookups.ts";
import type { Change, Grant, HearthState } from "../model/state.ts";
import { memoryMbSchema, timeoutSSchema } from "../tasks/task-config.ts";
import { listGrantViews, type GrantView } from "../model/views.ts";

const createSchema = z.strictObject({
  task: z.string(),
  granteeProfileId: z.string(),
  /** Ceilings for the grantee's memoryMb / timeoutS customizations; null leaves only Lambda's own bounds. */
  maxMemoryMb: memoryMbSchema.nullable().default(null),
  maxTimeoutS: timeoutSSchema.nullable().default(null),
  /**
   * The variable names the grantee's aliases may set; null (the default) allows the names the task declares in
   * its environment. Interpreter and loader variables are refused here, since no caller may ever set them.
   */
  allowedEnvironment: z
    .array(z.string())
    .max(100, "must list at most 100 names")
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        const problem = envKeyProblem(name);
        if (problem !== null) ctx.addIssue({ code: "custom", path: [i], message: `${name} ${problem}` });
        else if (isInterpreterVariable(name))
          ctx.addIssue({
            code: "custom",
            path: [i],
            message: `${name} steers how the runtime starts or what it loads; no alias on another profile may set it`,
          });
      });
    })
    .nullable()
    .default(null),
  /** Off by default: the owner's code (and, if said, its environment) goes into the grantee's VMs only so. */
  callerPlacement: z
    .enum(["none", "code", "code-and-environment"], {
      error: 'must be "none", "code" or "code-and-environment"',
    })
    .default("none"),
});

const revokeSchema = z.strictObject({ grantId: z.string() });

export function createGrant(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof createSchema>,
  ctx: Pick<CommandContext, "now" | "random">,
): Change<GrantView> {
  const v = parseInput(createSchema, input);
  const task = getOwnTask(state, ownerProfileId, v.task);
  const grantee = getProfile(state, v.granteeProfileId);
  if (grantee.id === ownerProfileId) {
    throw new HearthError(
      "INVALID_INPUT",
      "granteeProfileId is your own profile; create a same-profile alias instead",
      "granteeProfileId",
    );
  }
  if (findGrant(state, task.id, grantee.id)) {
    throw new HearthError(
      "GRANT_EXISTS",
      `profile "${grantee.name}" already has a grant on task "${task.name}"; revoke it to change its limits`,
      "granteeProfileId",
    );
  }
  const grant: Grant = {
    id: newId("grt", ctx.random, (id) => state.grants.some((g) => g.id === id)),
    ownerProfileId,
    taskId: task.id,
    granteeProfileId: grantee.id,
    limits: {
      maxMemoryMb: v.maxMemoryMb,
      maxTimeoutS: v.maxTimeoutS,
      allowedEnvironment: v.allowedEnvironment === null ? null : [...new Set(v.allowedEnvironment)].sort(),
      callerPlacement: v.callerPlacement,
    },
    createdAt: isoTime(ctx.now),
  };
  const next = structuredClone(state);
  next.grants.push(grant);
  const view = listGrantViews(next, ownerProfileId).find((g) => g.id === grant.id) as GrantView;
  return { state: next, result: view };
}

/**
 * Revokes a grant the actor gave. The aliases the grantee built on it are removed (with their tokens), so
 * nothing keeps invoking the task through it.
 */
export function revokeGrant(
  state: HearthState,
  ownerProfileId: string,
  input: z.input<typeof revokeSchema>,
): Change<{ removedAliases: { profileId: string; aliasName: string }[] }> {
  const v = parseInput(revokeSchema, input);
  const grant = state.grants.find((g) => g.id === v.grantId && g.ownerProfileId === ownerProfileId);
  if (!grant) {
    throw new HearthError("GRANT_NOT_FOUND", `no grant with id "${v.grantId}" on your tasks`, "grantId");
  }
  const removedAliases = state.aliases
    .filter((a) => a.grantId === grant.id)
    .map((a) => ({ profileId: a.profileId, aliasName: a.name }));
  const next = structuredClone(state);
  removeGrants(next, new Set([grant.id]));
  return { state: next, result: { removedAliases } };
}
