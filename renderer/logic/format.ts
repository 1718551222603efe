// How numbers and times read in the window: durations, ages, sizes.

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return formatAge(ms);
}

/** "42 s", "3 min", "2 h 5 min", "3 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** "just now", "5 min ago", or the date for older moments. */
export function formatWhen(iso: string | null, now: number): string {
  if (iso === null) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = now - t;
  if (d < 0) return `in ${formatAge(-d)}`;
  if (d < 10_000) return "just now";
  if (d < 48 * 3600_000) return `${formatAge(d)} ago`;
  return new Date(t).toLocaleDateString();
}

/** A measured duration as the metrics keep it, to the hundredth: "12.34 ms"; "—" when there is none. */
export function formatPreciseMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? "—" : `${ms.toFixed(2)} ms`;
}

/** The local time of day to the millisecond, "14:03:22.123": calls a few ms apart stay apart. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** Peak memory against the limit: "45 / 256 MB"; "—" before any call ran. */
export function formatMemory(usedMb: number, limitMb: number): string {
  return limitMb > 0 ? `${usedMb} / ${limitMb} MB` : "—";
}
