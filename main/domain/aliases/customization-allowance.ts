// Which variables a grantee's alias may set in the owner's sandbox: an allow-list the owner decides, never a deny-list.
import { aliasVersions } from "./alias-routing.ts";
import { isInterpreterVariable } from "../tasks/environment-rules.ts";
import { HearthError } from "../model/errors.ts";
import { findVersion } from "../model/lookups.ts";
import type { AliasRouting, Grant, Task, TaskConfig } from "../model/state.ts";

/** The configuration a version of the task runs with, or null for a version that does not exist. */
function configOf(task: Task, version: AliasRouting["version"]): TaskConfig | null {
  if (version === "$LATEST") return task.latest.config;
  return findVersion(task, version)?.config ?? null;
}

/**
 * The names a grantee may set for one configuration: the grant's explicit list, or by default the names the
 * task declares in that configuration's environment. Interpreter and loader variables are never in it, even
 * where the owner declared or listed one: a caller's value for them would run the caller's code.
 */
export function allowedNames(grant: Grant, config: TaskConfig): Set<string> {
  const names = grant.limits.allowedEnvironment ?? Object.keys(config.environment);
  return new Set(names.filter((n) => !isInterpreterVariable(n)));
}

/** What the owner allows across the versions an alias routes to: a name must be allowed for each of them. */
function allowedForRouting(task: Task, grant: Grant, routing: AliasRouting): Set<string> {
  const perVersion = aliasVersions(routing)
    .map((v) => configOf(task, v))
    .filter((c): c is TaskConfig => c !== null)
    .map((c) => allowedNames(grant, c));
  const [first, ...rest] = perVersion;
  if (first === undefined) return new Set();
  return new Set([...first].filter((n) => rest.every((set) => set.has(n))));
}

/**
 * Names only a list the owner wrote into the grant (the grantee sees that list anyway); the names a task
 * declares are the owner's to keep, so the default rule is only described.
 */
function describe(grant: Grant, allowed: Set<string>): string {
  if (grant.limits.allowedEnvironment == null)
    return "by default only variables the owner declares may be set; ask the owner to allow it in the grant";
  if (allowed.size === 0) return "the grant allows no variables";
  return `the grant allows ${[...allowed].sort().join(", ")}`;
}

/**
 * Refuses, with the field named, any environment override or secret the owner did not allow. Checked when an
 * alias is created or reconfigured; sandboxConfig applies the same rule again at every invocation, so a grant
 * narrowed later (or a version that declares less) takes effect at once.
 */
export function checkCustomizationAllowed(
  task: Task,
  grant: Grant,
  routing: AliasRouting,
  environment: Record<string, string>,
  secretNames: string[],
): void {
  const allowed = allowedForRouting(task, grant, routing);
  const fields = [
    ...Object.keys(environment).map((n) => ({ name: n, field: `environment.${n}` })),
    ...secretNames.map((n) => ({ name: n, field: `secrets.${n}` })),
  ];
  for (const { name, field } of fields) {
    if (isInterpreterVariable(name)) {
      throw new HearthError(
        "CUSTOMIZATION_NOT_ALLOWED",
        `${field}: ${name} steers how the runtime starts or what it loads; an alias on another profile's task can never set it`,
        field,
      );
    }
    if (!allowed.has(name)) {
      throw new HearthError(
        "CUSTOMIZATION_NOT_ALLOWED",
        `${field}: task "${task.name}" does not let you set ${name} (${describe(grant, allowed)})`,
        field,
      );
    }
  }
}

/** Refuses `runsIn: "caller"` unless the grant lets the owner's code go into the grantee's VMs. */
export function checkPlacementAllowed(task: Task, grant: Grant, runsIn: "owner" | "caller"): void {
  if (runsIn === "caller" && (grant.limits.callerPlacement ?? "none") === "none") {
    throw new HearthError(
      "CUSTOMIZATION_NOT_ALLOWED",
      `runsIn: the owner of task "${task.name}" has not agreed to its code running in your VMs; leave runsIn "owner"`,
      "runsIn",
    );
  }
}

/** Keeps only the entries the owner allows for the configuration that runs. */
export function keepAllowed(
  grant: Grant,
  config: TaskConfig,
  values: Record<string, string>,
): Record<string, string> {
  const allowed = allowedNames(grant, config);
  return Object.fromEntries(Object.entries(values).filter(([k]) => allowed.has(k)));
}
