// How big a task's code may be, coming in: Lambda's own limits, checked before and while anything is unpacked.

export interface ImportLimits {
  /** The zip as uploaded, and the zip Hearth stores after repacking. */
  maxZipBytes: number;
  maxEntries: number;
  /** All files together, unpacked. */
  maxTotalBytes: number;
  /** task.json itself. */
  maxManifestBytes: number;
}

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxZipBytes: 50 * 1024 * 1024,
  maxEntries: 10_000,
  maxTotalBytes: 250 * 1024 * 1024,
  maxManifestBytes: 64 * 1024,
};

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
}
