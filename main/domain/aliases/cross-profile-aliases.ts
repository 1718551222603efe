// Cross-profile aliases: a grantee's alias, in its own profile, on another profile's task, with its customizations.
import { z } from "zod";
import { aliasNameSchema, checkRouting, splitSchema, versionRefSchema } from "./alias-target.ts";
import { canonicalJson } from "../model/canonical-json.ts";
import { checkCustomizationAllowed, checkPlacementAllowed } from "./customization-allowance.ts";
import { isoTime, type CommandContext, type SecretSealer } from "../model/command-context.ts";
import { envBytes, envKeyProblem, environmentSchema, MAX_ENV_BYTES } from "../tasks/environment-rules.ts";
import { HearthError } from "../model/errors.ts";
import { newId } from "../model/ids.ts";
import { parseInput } from "../model/input-validation.ts";
import { findHeldAliasByName, getHeldAlias, getSharedTask, getTaskById } from "../model/lookups.ts";
import { randomHex, type RandomSource } from "../model/random-source.ts";
import type { Alias, AliasCustomization, Change, Grant, HearthState, Task } from "../model/state.ts";
import { descriptionSchema, memoryMbSchema, timeoutSSchema } from "../tasks/task-config.ts";
import { aliasViewOf, type AliasView } from "../model/views.ts";

const secretNameKeys = (map: Record<string, unknown>, ctx: z.RefinementCtx): void => {
  for (const key of Object.keys(map)) {
    const problem = envKeyProblem(key);
    if (problem !== null) ctx.addIssue({ code: "custom", path: [key], message: problem });
  }
};

const secretsSchema = z.record(z.string(), z.string()).superRefine(secretNameKeys);
/** In a reconfiguration a secret set to null is removed; others are set; unnamed ones stay as they are. */
const secretsPatchSchema = z.record(z.string(), z.string().nullable()).superRefine(secretNameKeys);
const runsInSchema = z.enum(["owner", "caller"], { error: 'must be "owner" or "caller"' });

const createSchema = z.strictObject({
  ownerAccountId: z.string(),
  task: z.string(),
  name: aliasNameSchema,
  description: descriptionSchema.default(""),
  version: versionRefSchema,
  split: splitSchema.nullable().default(null),
  environment: environmentSchema().default({}),
  secrets: secretsSchema.default({}),
  memoryMb: memoryMbSchema.nullable().default(null),
  timeoutS: timeoutSSchema.nullable().default(null),
  runsIn: runsInSchema.default("owner"),
});

/** Left-out fields keep their value; `environment` replaces the map; `memoryMb: null` returns to the task's. */
const configureSchema = z.strictObject({
  aliasId: z.string(),
  environment: environmentSchema().optional(),
  secrets: secretsPatchSchema.optional(),
  memoryMb: memoryMbSchema.nullable().optional(),
  timeoutS: timeoutSSchema.nullable().optional(),
  runsIn: runsInSchema.optional(),
});

function checkLimits(task: Task, grant: Grant, memoryMb: number | null, timeoutS: number | null): void {
  const { maxMemoryMb, maxTimeoutS } = grant.limits;
  if (memoryMb !== null && maxMemoryMb !== null && memoryMb > maxMemoryMb) {
    throw new HearthError(
      "GRANT_LIMIT_EXCEEDED",
      `memoryMb ${memoryMb} exceeds the owner's limit of ${maxMemoryMb} for task "${task.name}"`,
      "memoryMb",
    );
  }
  if (timeoutS !== null && maxTimeoutS !== null && timeoutS > maxTimeoutS) {
    throw new HearthError(
      "GRANT_LIMIT_EXCEEDED",
      `timeoutS ${timeoutS} exceeds the owner's limit of ${maxTimeoutS} for task "${task.name}"`,
      "timeoutS",
    );
  }
}

/** Overrides and secrets both end up in the sandbox's environment, so they share its rules. */
function checkEnvironmentAndSecrets(
  environment: Record<string, string>,
  secrets: Record<string, string>,
): void {
  for (const name of Object.keys(secrets)) {
    if (Object.hasOwn(environment, name)) {
      throw new HearthError(
        "INVALID_INPUT",
        `secrets.${name} is also set in environment; keep one of them`,
        `secrets.${name}`,
      );
    }
  }
  const bytes = envBytes(environment) + envBytes(secrets);
  if (bytes > MAX_ENV_BYTES) {
    throw new HearthError(
      "INVALID_INPUT",
      `environment and secrets must total at most ${MAX_ENV_BYTES} bytes (names plus values), got ${bytes}`,
      "secrets",
    );
  }
}

function sealSecrets(
  secrets: Record<string, string>,
  sealer: SecretSealer,
  random: RandomSource,
): Pick<AliasCustomization, "sealedSecrets" | "secretNames" | "secretsSalt"> {
  const names = Object.keys(secrets).sort();
  return {
    sealedSecrets: names.length === 0 ? null : sealer.seal(canonicalJson(secrets)),
    secretNames: names,
    secretsSalt: randomHex(random, 16),
  };
}

/** The decrypted secret map of a customization; only the sandbox configuration should need it. */
export function openSecrets(
  customization: AliasCustomization,
  sealer: Pick<SecretSealer, "open">,
): Record<string, string> {
  if (customization.sealedSecrets === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(sealer.open(customization.sealedSecrets));
  } catch (err) {
    if (err instanceof HearthError) throw err;
    throw new HearthError("SECRET_UNREADABLE", "an alias's sealed secrets are not valid JSON");
  }
  const result = z.record(z.string(), z.string()).safeParse(parsed);
  if (!result.success)
    throw new HearthError("SECRET_UNREADABLE", "an alias's sealed secrets are not a string map");
  return result.data;
}

/**
 * Creates, in the grantee's profile, an alias on a task another profile shared with it. The task is named by
 * its owner's account id and its name; without a live grant it reads as missing.
 */
export function createCrossProfileAlias(
  state: HearthState,
  holderProfileId: string,
  input: z.input<typeof createSchema>,
  ctx: CommandContext,
): Change<AliasView> {
  const v = parseInput(createSchema, input);
  const { task, grant } = getSharedTask(state, holderProfileId, v.ownerAccountId, v.task);
  if (findHeldAliasByName(state, holderProfileId, task.id, v.name)) {
    throw new HearthError(
      "ALIAS_EXISTS",
      `you already have an alias "${v.name}" on task "${task.name}"`,
      "name",
    );
  }
  const routing = { version: v.version, split: v.split };
  checkRouting(task, routing);
  checkLimits(task, grant, v.memoryMb, v.timeoutS);
  checkEnvironmentAndSecrets(v.environment, v.secrets);
  checkCustomizationAllowed(task, grant, routing, v.environment, Object.keys(v.secrets));
  checkPlacementAllowed(task, grant, v.runsIn);
  const now = isoTime(ctx.now);
  const alias: Alias = {
    id: newId("als", ctx.random, (id) => state.aliases.some((a) => a.id === id)),
    profileId: holderProfileId,
    taskId: task.id,
    name: v.name,
    description: v.description,
    routing,
    grantId: grant.id,
    customization: {
      environment: v.environment,
      ...sealSecrets(v.secrets, ctx.sealer, ctx.random),
      memoryMb: v.memoryMb,
      timeoutS: v.timeoutS,
      runsIn: v.runsIn,
    },
    createdAt: now,
    updatedAt: now,
  };
  const next = structuredClone(state);
  next.aliases.push(alias);
  return { state: next, result: aliasViewOf(next, alias) };
}

/** Changes the customizations of a cross-profile alias the actor holds. */
export function configureCrossProfileAlias(
  state: HearthState,
  holderProfileId: string,
  input: z.input<typeof configureSchema>,
  ctx: CommandContext,
): Change<AliasView> {
  const v = parseInput(configureSchema, input);
  const next = structuredClone(state);
  const alias = getHeldAlias(next, holderProfileId, v.aliasId);
  const grant = next.grants.find((g) => g.id === alias.grantId);
  const c = alias.customization;
  if (!grant || c === null) {
    throw new HearthError(
      "INVALID_INPUT",
      `alias "${alias.name}" is on your own task; change the task's configuration instead`,
      "aliasId",
    );
  }
  const task = getTaskById(next, alias.taskId);
  const memoryMb = v.memoryMb === undefined ? c.memoryMb : v.memoryMb;
  const timeoutS = v.timeoutS === undefined ? c.timeoutS : v.timeoutS;
  checkLimits(task, grant, memoryMb, timeoutS);
  const environment = v.environment ?? c.environment;
  let secrets: Record<string, string> | undefined;
  if (v.secrets !== undefined) {
    secrets = openSecrets(c, ctx.sealer);
    for (const [name, value] of Object.entries(v.secrets)) {
      if (value === null) delete secrets[name];
      else secrets[name] = value;
    }
  }
  // Checking against the current secrets needs them opened even when only the environment changes.
  const current = secrets ?? openSecrets(c, ctx.sealer);
  checkEnvironmentAndSecrets(environment, current);
  checkCustomizationAllowed(task, grant, alias.routing, environment, Object.keys(current));
  checkPlacementAllowed(task, grant, v.runsIn ?? c.runsIn);
  alias.customization = {
    ...c,
    environment,
    ...(secrets === undefined ? {} : sealSecrets(secrets, ctx.sealer, ctx.random)),
    memoryMb,
    timeoutS,
    runsIn: v.runsIn ?? c.runsIn,
  };
  alias.updatedAt = isoTime(ctx.now);
  return { state: next, result: aliasViewOf(next, alias) };
}
