// Hearth's document on disk (lowdb): loaded and migrated once, changed only by serialized, all-or-nothing updates.
import { chmod, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { Low } from "lowdb";
import { HearthError } from "../domain/model/errors.ts";
import { CURRENT_SCHEMA_VERSION, emptyState, type Change, type HearthState } from "../domain/model/state.ts";
import { AtomicJsonFile } from "./atomic-json-file.ts";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.ts";
import { MIGRATIONS, migrateDocument, type Migration, type RawDocument } from "./migrations.ts";
import { makePrivateDir, PRIVATE_FILE_MODE } from "./private-data-dir.ts";
import { firstProblem, stateSchema } from "./state-schema.ts";

export const DOCUMENT_FILE = "hearth.json";

export interface DocumentStoreOptions {
  /** Replaces the migration list (tests); the target stays CURRENT_SCHEMA_VERSION. */
  migrations?: readonly Migration[];
  /** Take the data directory's lock (default true); a second process would undo this one's writes. */
  lock?: boolean;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function serialize(state: HearthState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export class DocumentStore {
  readonly path: string;
  private readonly db: Low<unknown>;
  private readonly lock: DataDirLock | null;
  private current: HearthState;
  private lastWritten: string;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(file: AtomicJsonFile, db: Low<unknown>, lock: DataDirLock | null, state: HearthState) {
    this.path = file.path;
    this.db = db;
    this.lock = lock;
    this.current = deepFreeze(state);
    this.lastWritten = serialize(state);
  }

  /**
   * Opens (creating if needed) `<dir>/hearth.json`. An older document is migrated, its original kept as
   * `hearth.json.v<N>.bak`; an invalid one is refused with the first problem named, and left untouched.
   */
  static async open(dir: string, options: DocumentStoreOptions = {}): Promise<DocumentStore> {
    await makePrivateDir(dir);
    const lock = options.lock === false ? null : await lockDataDir(dir);
    try {
      const file = new AtomicJsonFile(join(dir, DOCUMENT_FILE));
      const db = new Low<unknown>(file, null);
      await db.read();
      if (db.data === null) {
        const fresh = emptyState();
        db.data = fresh;
        await db.write();
        return new DocumentStore(file, db, lock, fresh);
      }
      if (typeof db.data !== "object" || Array.isArray(db.data)) {
        throw new HearthError(
          "STORE_CORRUPT",
          `${file.path} does not hold a JSON object; restore it from a backup`,
        );
      }
      const { doc, from, applied } = migrateDocument(
        db.data as RawDocument,
        options.migrations ?? MIGRATIONS,
      );
      const parsed = stateSchema.safeParse(doc);
      if (!parsed.success) {
        throw new HearthError(
          "STORE_CORRUPT",
          `${file.path} is not a valid Hearth document (${firstProblem(parsed.error)}); restore it from a backup`,
        );
      }
      if (applied.length > 0) {
        const backup = `${file.path}.v${from}.bak`;
        await copyFile(file.path, backup);
        // copyFile gives the copy the original's mode, which an older Hearth may have left open.
        await chmod(backup, PRIVATE_FILE_MODE);
        db.data = parsed.data;
        await db.write();
      }
      db.data = parsed.data;
      return new DocumentStore(file, db, lock, parsed.data);
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  /** The committed state, deep-frozen: read it freely, change it only through update(). */
  get state(): HearthState {
    return this.current;
  }

  read<R>(fn: (state: HearthState) => R): R {
    return fn(this.current);
  }

  /**
   * Runs `fn` on a deep copy of the state, after every earlier update has been written, and writes what it
   * returns. If `fn` throws, or the write fails, nothing is written and the state stays as it was.
   */
  update<R>(fn: (draft: HearthState) => Change<R>): Promise<R> {
    const run = this.queue.then(() => this.apply(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async apply<R>(fn: (draft: HearthState) => Change<R>): Promise<R> {
    if (this.closed) throw new Error("the document store is closed");
    const { state, result } = fn(structuredClone(this.current) as HearthState);
    if (state.schemaVersion !== CURRENT_SCHEMA_VERSION) {
      throw new Error(
        `an update returned schemaVersion ${state.schemaVersion}, expected ${CURRENT_SCHEMA_VERSION}`,
      );
    }
    const parsed = stateSchema.safeParse(state);
    if (!parsed.success) {
      // A bug, not a user error: refusing here keeps a bad document from being the one the next start reads.
      throw new Error(`refusing to write an invalid document: ${firstProblem(parsed.error)}`);
    }
    const text = serialize(parsed.data);
    if (text !== this.lastWritten) {
      const previous = this.db.data;
      this.db.data = parsed.data;
      try {
        await this.db.write();
      } catch (err) {
        this.db.data = previous;
        throw err;
      }
      this.lastWritten = text;
    }
    this.current = deepFreeze(parsed.data);
    return result;
  }

  /** Waits for queued updates, then releases the data directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    await this.lock?.release();
  }
}
