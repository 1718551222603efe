// An alias's name and what it points at: the rules shared by same-profile and cross-profile aliases.
import { z } from "zod";
import { HearthError } from "../model/errors.ts";
import { checkVersionRef } from "../model/lookups.ts";
import type { AliasRouting, Task } from "../model/state.ts";

/** Lambda's alias name rule: not all digits (that would read as a version), and so never `$LATEST` either. */
export const ALIAS_NAME_PATTERN = /^(?!^[0-9]+$)[A-Za-z0-9_-]{1,128}$/;

export const aliasNameSchema = z
  .string()
  .regex(ALIAS_NAME_PATTERN, "must be 1 to 128 letters, digits, - or _, and not only digits");

export const versionRefSchema = z.union([z.literal("$LATEST"), z.number().int().min(1)], {
  error: 'must be a published version number (1, 2, …) or "$LATEST"',
});

export const splitSchema = z.strictObject({
  additionalVersion: z
    .number({ error: "must be a published version number" })
    .int({ error: "must be a published version number" })
    .min(1, "must be a published version number"),
  weight: z
    .number({ error: "must be a number between 0 and 1" })
    .gt(0, "must be between 0 and 1, both excluded")
    .lt(1, "must be between 0 and 1, both excluded"),
});

/** Checks a routing against the task's published versions, as Lambda checks an alias's RoutingConfig. */
export function checkRouting(task: Task, routing: AliasRouting): void {
  checkVersionRef(task, routing.version, "version");
  const split = routing.split;
  if (split === null) return;
  if (routing.version === "$LATEST") {
    throw new HearthError(
      "INVALID_INPUT",
      'version cannot be "$LATEST" when traffic is split; publish a version and point the alias at it',
      "version",
    );
  }
  checkVersionRef(task, split.additionalVersion, "split.additionalVersion");
  if (split.additionalVersion === routing.version) {
    throw new HearthError(
      "INVALID_INPUT",
      "split.additionalVersion must differ from version",
      "split.additionalVersion",
    );
  }
}
