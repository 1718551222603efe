// Invocation logs on disk: one append-only file per task with a size cap and rotation, searchable afterwards.
import { appendFile, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LogRecord } from "../domain/model/log-record.ts";
import { makePrivateDir, PRIVATE_FILE_MODE } from "./private-data-dir.ts";

export type { LogRecord } from "../domain/model/log-record.ts";

/** A record as a caller who is not the task's owner reads it: the error it was told, nothing more. */
export function recordForCaller(r: LogRecord): LogRecord {
  const { callerError, error, ...rest } = r;
  const shown = callerError ?? error;
  return shown === undefined ? rest : { ...rest, error: shown };
}

export interface LogQuery {
  invocation?: string;
  /** Only records of invocations this profile made, as that caller reads them (recordForCaller). */
  caller?: string;
  text?: string;
  since?: string;
  until?: string;
  limit?: number;
}

export interface LogFilesOptions {
  /** A task's current file is rotated when it passes this size. */
  maxFileBytes?: number;
  /** Rotated files kept per task, beside the current one. */
  keepFiles?: number;
  /**
   * Every task's logs together stay within this: past it, the oldest rotated files (of any task) go first, then
   * the least recently written current files. 200 MB by default.
   */
  maxTotalBytes?: number;
}

const TASK_ID_RE = /^[A-Za-z0-9_-]{1,80}$/;

export class LogFiles {
  private readonly maxFileBytes: number;
  private readonly keepFiles: number;
  /** Appends per task go one after another: rotation must not interleave with a write. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly sizes = new Map<string, number>();
  private readonly maxTotalBytes: number;
  /** Bytes in every task's files together, as far as this process wrote and last counted; null: not counted yet. */
  private total: number | null = null;
  private trimming: Promise<void> | null = null;

  constructor(
    readonly dir: string,
    o: LogFilesOptions = {},
  ) {
    this.maxFileBytes = o.maxFileBytes ?? 8 * 1024 * 1024;
    this.keepFiles = o.keepFiles ?? 4;
    this.maxTotalBytes = o.maxTotalBytes ?? 200 * 1024 * 1024;
    // A bound below one file would remove what was just written.
    this.maxFileBytes = Math.min(this.maxFileBytes, Math.max(4096, Math.floor(this.maxTotalBytes / 4)));
  }

  /** Every log file with its size and last write, as the disk has them. */
  private async files(): Promise<{ task: string; name: string; size: number; mtimeMs: number }[]> {
    const out: { task: string; name: string; size: number; mtimeMs: number }[] = [];
    const tasks = await readdir(this.dir).catch(() => [] as string[]);
    for (const task of tasks) {
      if (!TASK_ID_RE.test(task)) continue;
      const names = await readdir(join(this.dir, task)).catch(() => [] as string[]);
      for (const name of names) {
        if (!/^(current|\d+)\.log$/.test(name)) continue;
        const st = await stat(join(this.dir, task, name)).catch(() => null);
        if (st) out.push({ task, name, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
    return out;
  }

  /** Keeps all tasks' logs within the bound: the oldest rotated files go first, then idle tasks' current ones. */
  private async trim(): Promise<void> {
    const files = await this.files();
    let total = files.reduce((n, f) => n + f.size, 0);
    const order = files.sort(
      (a, b) => Number(a.name === "current.log") - Number(b.name === "current.log") || a.mtimeMs - b.mtimeMs,
    );
    for (const f of order) {
      if (total <= this.maxTotalBytes) break;
      // The file written last stays whatever happens: it holds what its owner is looking for now.
      if (f === order.at(-1)) break;
      await rm(join(this.dir, f.task, f.name), { force: true });
      if (f.name === "current.log") this.sizes.delete(f.task);
      total -= f.size;
    }
    this.total = total;
  }

  /** The bytes every task's logs hold now, as counted on disk. */
  async totalBytes(): Promise<number> {
    await Promise.all(this.queues.values());
    await this.trimming;
    return (await this.files()).reduce((n, f) => n + f.size, 0);
  }

  private taskDir(taskId: string): string {
    if (!TASK_ID_RE.test(taskId)) throw new Error(`INVALID_INPUT: "${taskId}" is not a task id`);
    return join(this.dir, taskId);
  }

  /** Appends records to a task's log; resolves once they are written. */
  append(taskId: string, records: LogRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const text = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const prev = this.queues.get(taskId) ?? Promise.resolve();
    const next = prev.then(() => this.write(taskId, text));
    this.queues.set(
      taskId,
      next.catch(() => undefined),
    );
    return next;
  }

  private async write(taskId: string, text: string): Promise<void> {
    const dir = this.taskDir(taskId);
    const current = join(dir, "current.log");
    let size = this.sizes.get(taskId);
    if (size === undefined) {
      // Logs hold what tasks print, payloads and secrets included: the owner's alone.
      await makePrivateDir(dir);
      size = await stat(current).then(
        (s) => s.size,
        () => 0,
      );
      // A crash can leave half a record at the end: start on a fresh line so the next one stays readable.
      if (size > 0) {
        const tail = await readFile(current).then((b) => b.subarray(-1).toString());
        if (tail !== "\n") text = `\n${text}`;
      }
    }
    if (size > 0 && size + text.length > this.maxFileBytes) {
      await rm(join(dir, `${this.keepFiles}.log`), { force: true });
      for (let i = this.keepFiles - 1; i >= 1; i--) {
        await rename(join(dir, `${i}.log`), join(dir, `${i + 1}.log`)).catch(() => {});
      }
      await rename(current, join(dir, "1.log"));
      size = 0;
    }
    await appendFile(current, text, { mode: PRIVATE_FILE_MODE });
    const bytes = Buffer.byteLength(text);
    this.sizes.set(taskId, size + bytes);
    this.total ??= (await this.files()).reduce((n, f) => n + f.size, 0) - bytes;
    this.total += bytes;
    if (this.total > this.maxTotalBytes && !this.trimming) {
      this.trimming = this.trim().finally(() => (this.trimming = null));
      await this.trimming;
    }
  }

  /** Records matching the query, oldest first, from the newest files back until the limit is met. */
  async query(taskId: string, q: LogQuery = {}): Promise<LogRecord[]> {
    await (this.queues.get(taskId) ?? Promise.resolve());
    const dir = this.taskDir(taskId);
    const limit = Math.min(q.limit ?? 1000, 10_000);
    const files = ["current.log", ...Array.from({ length: this.keepFiles }, (_, i) => `${i + 1}.log`)];
    const out: LogRecord[] = [];
    const needle = q.text?.toLowerCase();
    for (const f of files) {
      let text: string;
      try {
        text = await readFile(join(dir, f), "utf8");
      } catch {
        continue;
      }
      const lines = text.split("\n");
      const matched: LogRecord[] = [];
      for (const l of lines) {
        if (!l) continue;
        let r: LogRecord;
        try {
          r = JSON.parse(l) as LogRecord;
        } catch {
          continue; // a line cut by a crash mid-write
        }
        if (q.invocation && r.inv !== q.invocation) continue;
        if (q.caller && r.caller !== q.caller) continue;
        // Before the text filter too: a search must not tell a caller what the owner's full error says.
        if (q.caller) r = recordForCaller(r);
        if (q.since && r.t < q.since) continue;
        if (q.until && r.t > q.until) continue;
        if (needle && !(r.line ?? r.error ?? "").toLowerCase().includes(needle)) continue;
        matched.push(r);
      }
      const room = limit - out.length;
      out.unshift(...matched.slice(Math.max(0, matched.length - room)));
      if (out.length >= limit) break;
    }
    return out;
  }
}
