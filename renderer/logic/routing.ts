// Where an alias sends its calls, as the window edits it: a version, and optionally a second version with a share of
// the traffic in whole percent. The host keeps that share as a weight between 0 and 1; the conversions live here.
import type { AliasView } from "../../main/contract.ts";

export type VersionRef = number | "$LATEST";

/** The second version and its share of the traffic, in percent (1..99). */
export interface SplitInput {
  additionalVersion: number;
  percent: number;
}

export type Routing = AliasView["routing"];

/** The editor's fields as typed: select and range values are strings until the form is sent. */
export interface RoutingDraft {
  version: string;
  splitOn: boolean;
  extra: string;
  percent: string;
}

export const toVersionRef = (v: string): VersionRef => (v === "$LATEST" ? "$LATEST" : Number(v));

/** A weight the host answers with, as the whole percent the window shows. */
export const percentOf = (weight: number): number => Math.round(weight * 100);

/** The host takes a split as the additional version's weight between 0 and 1, both excluded. */
export function splitOf(split: SplitInput | null | undefined) {
  if (!split) return null;
  return { additionalVersion: split.additionalVersion, weight: Math.round(split.percent * 100) / 10_000 };
}

export function splitProblem(version: VersionRef, split: SplitInput | null | undefined): string | null {
  if (!split) return null;
  if (version === "$LATEST") return "a split needs a published version as the main target, not $LATEST";
  if (split.additionalVersion === version) return "the second version must differ from the first";
  if (!(split.percent > 0 && split.percent < 100))
    return "the share of the second version must be between 1 and 99 %";
  return null;
}

/**
 * The fields a routing editor starts with: for a new alias $LATEST with no split (10 % ready for when it is turned on);
 * for an existing one its routing, with the task's first version offered as the second one if it has no split.
 */
export function routingDraft(routing: Routing | null, versions: number[]): RoutingDraft {
  if (!routing) return { version: "$LATEST", splitOn: false, extra: "", percent: "10" };
  return {
    version: String(routing.version),
    splitOn: routing.split !== null,
    extra: String(routing.split?.additionalVersion ?? versions[0] ?? ""),
    percent: String(percentOf(routing.split?.weight ?? 0.1)),
  };
}

/** Turning the split on picks a second version when none is chosen yet, so the form never sends an empty one. */
export function withSplit(draft: RoutingDraft, on: boolean, versions: number[]): RoutingDraft {
  const extra = on && !draft.extra && versions.length ? String(versions[0]) : draft.extra;
  return { ...draft, splitOn: on, extra };
}

/** What the aliases store sends: the version, and the split only while it is turned on. */
export function routingInput(draft: RoutingDraft): { version: VersionRef; split: SplitInput | null } {
  return {
    version: toVersionRef(draft.version),
    split: draft.splitOn ? { additionalVersion: Number(draft.extra), percent: Number(draft.percent) } : null,
  };
}

/** "version 2 90% · version 3 10%", for the aliases table. */
export function routingText(routing: Routing): string {
  const main = routing.version === "$LATEST" ? "$LATEST" : `version ${routing.version}`;
  if (!routing.split) return main;
  const extra = percentOf(routing.split.weight);
  return `${main} ${100 - extra}% · version ${routing.split.additionalVersion} ${extra}%`;
}

/** "2 (+ 10% to 3)", for the short list under a task. */
export function routingShortText(routing: Routing): string {
  const split = routing.split;
  return `${String(routing.version)}${split ? ` (+ ${percentOf(split.weight)}% to ${split.additionalVersion})` : ""}`;
}
