// The configuration a sandbox runs with, and the key that decides which sandboxes may share a process.
import { aliasVersions } from "../aliases/alias-routing.ts";
import { canonicalJson } from "../model/canonical-json.ts";
import type { SecretSealer } from "../model/command-context.ts";
import { openSecrets } from "../aliases/cross-profile-aliases.ts";
import { keepAllowed } from "../aliases/customization-allowance.ts";
import { HearthError } from "../model/errors.ts";
import { sha256Hex } from "../model/hashing.ts";
import { findVersion, getTaskById } from "../model/lookups.ts";
import type { CodeRef, HearthState, Runtime, TaskConfig, VersionRef } from "../model/state.ts";

/** What runs: a task at one version, optionally reached through an alias whose customizations then apply. */
export interface SandboxTarget {
  taskId: string;
  /** A concrete pick: for an alias with a split, the engine first draws one with pickAliasVersion. */
  version: VersionRef;
  aliasId?: string | null;
}

/** The same fields as main/vm/protocol.ts's SandboxSpec (domain may not import main/vm; a test pins the match). */
export interface SandboxSpecFields {
  runtime: Runtime;
  handler: string;
  functionName: string;
  functionVersion: string;
  memoryMb: number;
  timeoutMs: number;
  env: Record<string, string>;
  /**
   * Names in `env` whose values come from someone other than the task's owner (a cross-profile alias's overrides
   * and secrets). The guest agent never lets one of them steer a runtime's start.
   */
  callerEnv: string[];
}

export interface SandboxConfig {
  /**
   * sha256 over everything that shapes the sandbox (owner, task, version, code sha, every config value, the
   * VM's profile, a salted hash of the secrets). Sandboxes are keyed by it: two aliases whose customizations
   * differ never share a process.
   */
  configKey: string;
  ownerProfileId: string;
  /** The profile whose VMs run it: the owner's, or the alias holder's for a cross-profile alias with runsIn "caller". */
  vmProfileId: string;
  taskId: string;
  version: VersionRef;
  aliasId: string | null;
  code: CodeRef;
  /** Names whose values in spec.env are secrets: redact them in anything logged. */
  secretNames: string[];
  spec: SandboxSpecFields;
}

const REDACTED = "[secret]";

/** The configuration with secret values replaced, for logs, events and error reports. */
export function redactSandboxConfig(config: SandboxConfig): SandboxConfig {
  const env = { ...config.spec.env };
  for (const name of config.secretNames) if (Object.hasOwn(env, name)) env[name] = REDACTED;
  return {
    ...config,
    secretNames: [...config.secretNames],
    code: { ...config.code },
    spec: { ...config.spec, env },
  };
}

function resolveConfig(
  state: HearthState,
  taskId: string,
  version: VersionRef,
): { config: TaskConfig; code: CodeRef } {
  const task = getTaskById(state, taskId);
  if (version === "$LATEST") return { config: task.latest.config, code: task.latest.code };
  const v = findVersion(task, version);
  if (!v)
    throw new HearthError("VERSION_NOT_FOUND", `task "${task.name}" has no version ${version}`, "version");
  return { config: v.config, code: v.code };
}

/**
 * The effective configuration of a target: the version's configuration, then an alias's customizations
 * (memory, timeout, environment overrides, then secrets, opened with the caller's `sealer`). The returned
 * object serializes (JSON, util.inspect) with secret values redacted; `spec` itself does not, since it is
 * what travels to the guest.
 */
export function sandboxConfig(
  state: HearthState,
  target: SandboxTarget,
  sealer: Pick<SecretSealer, "open">,
): SandboxConfig {
  const task = getTaskById(state, target.taskId);
  const { config, code } = resolveConfig(state, task.id, target.version);
  let memoryMb = config.memoryMb;
  let timeoutS = config.timeoutS;
  let plainEnv: Record<string, string> = { ...config.environment };
  let secrets: Record<string, string> = {};
  let secretsSalt = "";
  let callerEnv: string[] = [];
  let vmProfileId = task.profileId;
  const aliasId = target.aliasId ?? null;
  if (aliasId !== null) {
    const alias = state.aliases.find((a) => a.id === aliasId);
    if (!alias || alias.taskId !== task.id) {
      throw new HearthError(
        "ALIAS_NOT_FOUND",
        `no alias with id "${aliasId}" on task "${task.name}"`,
        "aliasId",
      );
    }
    if (!aliasVersions(alias.routing).includes(target.version)) {
      throw new HearthError(
        "INVALID_INPUT",
        `alias "${alias.name}" does not route to version ${target.version}`,
        "version",
      );
    }
    const grant = alias.grantId === null ? null : state.grants.find((g) => g.id === alias.grantId);
    if (grant === undefined) {
      throw new HearthError("ALIAS_NOT_FOUND", `alias "${alias.name}" lost its grant`, "aliasId");
    }
    const c = alias.customization;
    if (c !== null && grant !== null) {
      memoryMb = c.memoryMb ?? memoryMb;
      timeoutS = c.timeoutS ?? timeoutS;
      // Checked when the alias was made; checked again here, so a grant narrowed since takes effect at once.
      const overrides = keepAllowed(grant, config, c.environment);
      plainEnv = { ...plainEnv, ...overrides };
      secrets = keepAllowed(grant, config, openSecrets(c, sealer));
      callerEnv = [...Object.keys(overrides), ...Object.keys(secrets)];
      secretsSalt = c.secretsSalt;
      // Only with the owner's consent on the grant, checked again here so that withdrawing it takes effect at
      // once; without it the alias runs in the owner's VMs. "code" keeps the owner's environment at home.
      const placement = grant.limits.callerPlacement ?? "none";
      if (c.runsIn === "caller" && placement !== "none") {
        vmProfileId = alias.profileId;
        if (placement === "code") plainEnv = { ...overrides };
      }
    }
  }
  for (const name of Object.keys(secrets)) delete plainEnv[name];
  const secretNames = Object.keys(secrets).sort();
  const spec: SandboxSpecFields = {
    runtime: config.runtime,
    handler: config.handler,
    functionName: task.name,
    functionVersion: String(target.version),
    memoryMb,
    timeoutMs: timeoutS * 1000,
    env: { ...plainEnv, ...secrets },
    callerEnv: [...new Set(callerEnv)].sort(),
  };
  const configKey = sha256Hex(
    canonicalJson({
      key: 1,
      ownerProfileId: task.profileId,
      vmProfileId,
      taskId: task.id,
      version: target.version,
      codeSha256: code.sha256,
      ...spec,
      env: plainEnv,
      // Salted so a logged key is no offline test of a guessed secret.
      secrets: secretNames.length === 0 ? null : sha256Hex(secretsSalt + canonicalJson(secrets)),
    }),
  );
  const result: SandboxConfig = {
    configKey,
    ownerProfileId: task.profileId,
    vmProfileId,
    taskId: task.id,
    version: target.version,
    aliasId,
    code: { ...code },
    secretNames,
    spec,
  };
  const redacted = (): SandboxConfig => redactSandboxConfig(result);
  Object.defineProperty(result, "toJSON", { value: redacted, enumerable: false });
  Object.defineProperty(result, Symbol.for("nodejs.util.inspect.custom"), {
    value: redacted,
    enumerable: false,
  });
  return result;
}
