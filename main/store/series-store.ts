// A bounded time series on disk: records appended in batches to numbered JSON-lines segments; when the folder
// passes its size bound the oldest segment goes, so metrics never grow without end and survive restarts.
import { appendFile, readdir, readFile, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { makePrivateDir, PRIVATE_FILE_MODE } from "./private-data-dir.ts";

export interface SeriesStoreOptions {
  /** The folder's bound: segments go, oldest first, until it holds at most this many bytes. */
  maxBytes: number;
  /** A segment is closed at this size; a twentieth of the bound by default (at least 16 KB). */
  segmentBytes?: number;
  /** Appended records are written at most this long after they came. */
  flushMs?: number;
  /** Told of a write that failed (a full disk); the records stay queued for the next flush. */
  onError?: (err: Error) => void;
}

interface Segment {
  seq: number;
  bytes: number;
  count: number;
  /** Smallest and largest `t` in it: a scan reads only the segments its range touches. */
  firstT: number;
  lastT: number;
}

const SEGMENT_RE = /^seg-(\d{8})\.jsonl$/;
/** A flush writes at most this much at once; more waits for the next round (a burst must not make one huge write). */
const MAX_QUEUED = 100_000;

function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(8, "0")}.jsonl`;
}

export class SeriesStore<T extends { t: number }> {
  private readonly segments: Segment[] = [];
  private pending: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly segmentBytes: number;
  private readonly flushMs: number;
  private opened = false;
  /** Set by open(): writes wait for the folder to be read first. */
  private opening: Promise<void> | null = null;
  /** Records dropped because a burst outran the disk (the queue is bounded too). */
  dropped = 0;
  /** Called after the oldest segment went, with how many records (the oldest) went with it. */
  onEvict: ((count: number) => void) | null = null;

  constructor(
    readonly dir: string,
    private readonly o: SeriesStoreOptions,
    private readonly decode: (value: unknown) => T | null,
  ) {
    if (!(o.maxBytes >= 64 * 1024))
      throw new Error(`INVALID_CONFIG: a series needs at least 64 KB, not ${o.maxBytes}`);
    this.segmentBytes = Math.max(
      16 * 1024,
      Math.min(o.segmentBytes ?? Math.floor(o.maxBytes / 20), o.maxBytes / 4),
    );
    this.flushMs = o.flushMs ?? 1000;
  }

  /** Reads what earlier runs kept (oldest first); a line a crash cut off is dropped from the file. */
  open(): Promise<T[]> {
    const reading = this.read();
    this.opening = reading.then(
      () => undefined,
      () => undefined,
    );
    return reading;
  }

  private async read(): Promise<T[]> {
    await makePrivateDir(this.dir);
    const names = (await readdir(this.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    const out: T[] = [];
    for (const name of names) {
      const seq = Number(SEGMENT_RE.exec(name)![1]);
      const file = join(this.dir, name);
      const buf = await readFile(file);
      let end = buf.length;
      if (end > 0 && buf[end - 1] !== 0x0a) {
        end = buf.lastIndexOf(0x0a) + 1;
        await truncate(file, end);
      }
      const seg: Segment = { seq, bytes: end, count: 0, firstT: Infinity, lastT: -Infinity };
      for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
        if (!line) continue;
        const rec = this.parse(line);
        if (!rec) continue;
        out.push(rec);
        seg.count++;
        seg.firstT = Math.min(seg.firstT, rec.t);
        seg.lastT = Math.max(seg.lastT, rec.t);
      }
      this.segments.push(seg);
    }
    this.opened = true;
    return out;
  }

  private parse(line: string): T | null {
    try {
      return this.decode(JSON.parse(line));
    } catch {
      return null;
    }
  }

  /** Queues a record; it is on disk within flushMs. Cheap: the invoke path calls it. */
  append(rec: T): void {
    if (this.pending.length >= MAX_QUEUED) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push(rec);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch((err: unknown) => this.o.onError?.(err as Error));
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** The folder's size as kept (written segments). */
  get bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Writes everything queued; resolves once that and every write begun before it is done. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    const run = this.writing.then(() => this.write(batch));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async write(batch: T[]): Promise<void> {
    if (batch.length === 0) return;
    await this.opening;
    if (!this.opened) throw new Error("the series store was not opened");
    let i = 0;
    try {
      while (i < batch.length) {
        let seg = this.segments.at(-1);
        if (!seg || seg.bytes >= this.segmentBytes) {
          seg = { seq: (seg?.seq ?? 0) + 1, bytes: 0, count: 0, firstT: Infinity, lastT: -Infinity };
          this.segments.push(seg);
        }
        // Fill this segment up to its size, then go on in a new one.
        const lines: string[] = [];
        let bytes = 0;
        let firstT = seg.firstT;
        let lastT = seg.lastT;
        while (i < batch.length && seg.bytes + bytes < this.segmentBytes) {
          const line = JSON.stringify(batch[i]) + "\n";
          lines.push(line);
          bytes += Buffer.byteLength(line);
          firstT = Math.min(firstT, batch[i]!.t);
          lastT = Math.max(lastT, batch[i]!.t);
          i++;
        }
        await appendFile(join(this.dir, segmentName(seg.seq)), lines.join(""), { mode: PRIVATE_FILE_MODE });
        seg.bytes += bytes;
        seg.count += lines.length;
        seg.firstT = firstT;
        seg.lastT = lastT;
      }
    } catch (err) {
      // What was not written goes back to the front of the queue for the next flush.
      this.pending = [...batch.slice(i), ...this.pending];
      throw err;
    }
    await this.evict();
  }

  private async evict(): Promise<void> {
    while (this.segments.length > 1 && this.bytes > this.o.maxBytes) {
      const oldest = this.segments.shift()!;
      await rm(join(this.dir, segmentName(oldest.seq)), { force: true });
      this.onEvict?.(oldest.count);
    }
  }

  /**
   * Records with since ≤ t < until, read from the segments the range touches and the queue; oldest segment first,
   * or newest first with `newestFirst` (then `stop` ends the scan early once it returns true).
   */
  async scan(
    q: { since?: number; until?: number; newestFirst?: boolean },
    visit: (rec: T) => boolean | void,
  ): Promise<void> {
    await this.writing;
    const since = q.since ?? -Infinity;
    const until = q.until ?? Infinity;
    const inRange = (r: T): boolean => r.t >= since && r.t < until;
    const segs = this.segments.filter((s) => s.lastT >= since && s.firstT < until);
    const queued = this.pending.filter(inRange);
    const order = q.newestFirst ? [...segs].reverse() : segs;
    if (q.newestFirst) {
      for (let j = queued.length - 1; j >= 0; j--) if (visit(queued[j]!) === true) return;
    }
    for (const seg of order) {
      let text: string;
      try {
        text = await readFile(join(this.dir, segmentName(seg.seq)), "utf8");
      } catch {
        continue; // evicted meanwhile
      }
      const recs: T[] = [];
      for (const line of text.split("\n")) {
        if (!line) continue;
        const r = this.parse(line);
        if (r && inRange(r)) recs.push(r);
      }
      if (q.newestFirst) recs.reverse();
      for (const r of recs) if (visit(r) === true) return;
    }
    if (!q.newestFirst) for (const r of queued) if (visit(r) === true) return;
  }

  /** The size of the folder's files on disk, as the file system reports them (for checks of the bound). */
  async diskBytes(): Promise<number> {
    let n = 0;
    for (const s of this.segments) {
      n += await stat(join(this.dir, segmentName(s.seq))).then(
        (x) => x.size,
        () => 0,
      );
    }
    return n;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
