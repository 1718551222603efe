// Which version an invocation through an alias runs: Lambda's weighted routing, driven by an injected uniform draw.
import type { AliasRouting, VersionRef } from "../model/state.ts";

/**
 * `u` is uniform in [0, 1): the engine passes a fresh draw per invocation, tests a seeded one. Draws below the
 * split's weight go to `additionalVersion`, so `weight` is exactly its share of traffic.
 */
export function pickAliasVersion(routing: AliasRouting, u: number): VersionRef {
  if (!(u >= 0 && u < 1)) throw new RangeError(`routing draw must be in [0, 1), got ${u}`);
  const split = routing.split;
  if (split !== null && u < split.weight) return split.additionalVersion;
  return routing.version;
}

/** Every version an alias can route to: the sandboxes worth keeping warm for it. */
export function aliasVersions(routing: AliasRouting): VersionRef[] {
  return routing.split === null ? [routing.version] : [routing.version, routing.split.additionalVersion];
}
