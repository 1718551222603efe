// How the CLI prints: JSON for scripts, aligned tables and short sizes and ages for people, progress on stderr.
import { escapeControls, escapeLine, jsonText } from "./terminal-text.ts";

/** Where out() and note() write; a test hands in its own. */
export interface OutputStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Writes text that may hold a task's words (log lines, results, error messages). On a terminal its control
 * characters are shown as escapes (terminal-text.ts says why); to a pipe or a file it goes as it is, so
 * `hearth logs task > file` keeps a task's output byte for byte.
 */
export function writeText(stream: OutputStream, text: string): void {
  const safe = stream.isTTY ? escapeControls(text) : text;
  stream.write(safe.endsWith("\n") ? safe : `${safe}\n`);
}

/**
 * Writes lines that each must stay one line (log lines): on a terminal a line's own newlines and carriage
 * returns are escaped too, so a task cannot print what looks like a line of Hearth's (an END, a REPORT).
 */
export function writeLines(stream: OutputStream, lines: string[]): void {
  const shown = stream.isTTY ? lines.map(escapeLine) : lines;
  stream.write(`${shown.join("\n")}\n`);
}

/** Results go to stdout, so they can be piped; everything about the run (progress, hints) goes to stderr. */
export function out(text: string): void {
  writeText(process.stdout, text);
}

export function note(text: string): void {
  writeText(process.stderr, text);
}

export function outLines(lines: string[]): void {
  writeLines(process.stdout, lines);
}

export function noteLines(lines: string[]): void {
  writeLines(process.stderr, lines);
}

/** Pretty JSON with every control character escaped (C1 included), safe on a terminal as it is. */
export function json(value: unknown): string {
  return `${jsonText(value, 2)}\n`;
}

/** One value on one line, for streams of JSON lines (`logs --follow --json`). */
export function jsonLine(value: unknown): string {
  return jsonText(value);
}

/** Prints `value` as JSON when asked, else the human text (computed only then). */
export function print(asJson: boolean | undefined, value: unknown, human: () => string): void {
  out(asJson ? json(value) : human());
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** A duration as its largest whole unit: 45s, 12m, 3h, 2d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "never", or the ISO time and how far from `now` it is. */
export function formatWhen(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const d = Date.parse(iso) - now;
  return d >= 0 ? `${iso} (in ${formatAge(d)})` : `${iso} (${formatAge(-d)} ago)`;
}

/** Single-quotes a word for a POSIX shell, so a printed command can be pasted as is. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Progress that rewrites one line on a terminal and prints whole lines elsewhere (logs, CI, tests). */
export class Progress {
  private lastLength = 0;

  constructor(private readonly tty = Boolean(process.stderr.isTTY)) {}

  /** A step: its own line. */
  step(text: string): void {
    this.clear();
    note(text);
  }

  /** A figure that keeps changing: shown in place on a terminal, skipped elsewhere. */
  update(text: string): void {
    if (!this.tty) return;
    process.stderr.write(`\r${text.padEnd(this.lastLength)}`);
    this.lastLength = text.length;
  }

  clear(): void {
    if (!this.tty || this.lastLength === 0) return;
    process.stderr.write(`\r${" ".repeat(this.lastLength)}\r`);
    this.lastLength = 0;
  }
}
