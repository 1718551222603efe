// Upgrades of the document from one schemaVersion to the next, applied in order when an older file is opened.
import { HearthError } from "../domain/model/errors.ts";
import { CURRENT_SCHEMA_VERSION } from "../domain/model/state.ts";

export type RawDocument = Record<string, unknown>;

/** Takes a document at version `from` and returns it at `from + 1` (the runner sets schemaVersion). */
export interface Migration {
  from: number;
  description: string;
  up(doc: RawDocument): RawDocument;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    from: 0,
    description: "documents from before schemaVersion (or hand-made ones) get the collections they lack",
    up: (doc) => {
      const out: RawDocument = { ...doc };
      for (const key of ["profiles", "tasks", "aliases", "grants", "tokens"]) {
        if (!Array.isArray(out[key])) out[key] = [];
      }
      return out;
    },
  },
  {
    from: 1,
    description: "APIs arrive: an empty list of them",
    up: (doc) => ({ ...doc, apis: Array.isArray(doc.apis) ? doc.apis : [] }),
  },
  {
    from: 2,
    description: "remote aliases arrive (teammates' shared aliases on other machines): an empty list of them",
    up: (doc) => ({ ...doc, remotes: Array.isArray(doc.remotes) ? doc.remotes : [] }),
  },
  {
    from: 3,
    description:
      "tokens say whether they work from another machine: those a share minted do, every other is local-only",
    up: (doc) => ({
      ...doc,
      tokens: Array.isArray(doc.tokens)
        ? doc.tokens.map((t: unknown) =>
            t !== null && typeof t === "object" ? { ...t, remote: mintedByShare(t as RawDocument) } : t,
          )
        : doc.tokens,
    }),
  },
  {
    from: 4,
    description: "saved test events arrive: an empty list of them",
    up: (doc) => ({ ...doc, testEvents: Array.isArray(doc.testEvents) ? doc.testEvents : [] }),
  },
  {
    from: 5,
    description:
      "functions get Lambda's resource policies and event-invoke configurations, profiles schedules: empty lists of each",
    up: (doc) => ({
      ...doc,
      permissions: Array.isArray(doc.permissions) ? doc.permissions : [],
      eventInvokeConfigs: Array.isArray(doc.eventInvokeConfigs) ? doc.eventInvokeConfigs : [],
      schedules: Array.isArray(doc.schedules) ? doc.schedules : [],
    }),
  },
  {
    from: 6,
    description: "functions get Lambda's function URLs: an empty list of them",
    up: (doc) => ({ ...doc, functionUrls: Array.isArray(doc.functionUrls) ? doc.functionUrls : [] }),
  },
];

/**
 * Whether a token from before the flag was minted by a share, which is not recorded as such: shares gave their
 * tokens the labels `shared as <name>` (an alias) and `shared API <name>` (an API) unless the owner chose one.
 * Those keep working for the teammates who hold them. Every other token becomes local-only, which is what
 * closes the hole, and a share made with a label of the owner's choosing is among them: its teammate is refused
 * with TOKEN_LOCAL_ONLY until the owner shares again (a new link) or mints with --remote.
 */
function mintedByShare(token: RawDocument): boolean {
  const label = token.label;
  return typeof label === "string" && /^shared (as|API) /.test(label);
}

/** A document without schemaVersion is version 0. */
export function schemaVersionOf(doc: RawDocument): number {
  const v = doc.schemaVersion;
  return typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : 0;
}

/**
 * Brings `doc` to `target`, one step at a time. A document newer than `target` was written by a newer Hearth
 * and is refused rather than guessed at; a missing step is a bug in the list and is refused too.
 */
export function migrateDocument(
  doc: RawDocument,
  migrations: readonly Migration[] = MIGRATIONS,
  target: number = CURRENT_SCHEMA_VERSION,
): { doc: RawDocument; from: number; applied: number[] } {
  const from = schemaVersionOf(doc);
  if (from > target) {
    throw new HearthError(
      "STORE_TOO_NEW",
      `the data was written by a newer Hearth (schema version ${from}, this one knows up to ${target}); upgrade Hearth`,
    );
  }
  let current = structuredClone(doc);
  const applied: number[] = [];
  for (let v = from; v < target; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) throw new HearthError("STORE_CORRUPT", `no migration from schema version ${v} to ${v + 1}`);
    current = { ...step.up(current), schemaVersion: v + 1 };
    applied.push(v);
  }
  return { doc: current, from, applied };
}
