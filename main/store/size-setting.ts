// A size bound people set in megabytes (HEARTH_METRICS_MB, HEARTH_LOGS_MB): read once, checked, given in bytes.

/** `raw` megabytes in bytes, `defaultMb` when unset; anything else than a number from 1 to `maxMb` is refused. */
export function megabytesSetting(
  name: string,
  raw: string | number | undefined,
  defaultMb: number,
  maxMb: number,
): number {
  if (raw === undefined || raw === "") return defaultMb * 1024 * 1024;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > maxMb)
    throw new Error(
      `INVALID_CONFIG: ${name} must be a number of megabytes from 1 to ${maxMb}, not "${String(raw)}"`,
    );
  return Math.round(n * 1024 * 1024);
}
