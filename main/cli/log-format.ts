// How a log record reads: `time  requestId  line`, with an invocation's start and end as Lambda's START/END/REPORT.
import type { LogRecord } from "../contract.ts";

export function formatLogRecord(r: LogRecord): string[] {
  const prefix = `${r.t}  ${r.inv}  `;
  switch (r.kind) {
    case "start":
      return [`${prefix}START RequestId: ${r.inv} Version: ${r.version ?? "$LATEST"}`];
    case "end": {
      const duration = r.durationMs === undefined ? "" : `\tDuration: ${r.durationMs.toFixed(2)} ms`;
      const memory =
        r.memoryMb === undefined || r.maxMemoryUsedMb === undefined
          ? ""
          : `\tMemory Size: ${r.memoryMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB`;
      const init = r.initMs === undefined ? "" : `\tInit Duration: ${r.initMs.toFixed(2)} ms`;
      const status = r.ok === false ? `\tStatus: error${r.error ? `\tError: ${r.error}` : ""}` : "";
      return [
        `${prefix}END RequestId: ${r.inv}`,
        `${prefix}REPORT RequestId: ${r.inv}${duration}${memory}${init}${status}`,
      ];
    }
    default:
      return [`${prefix}${r.line ?? ""}`];
  }
}

/** What identifies a record, to print it once when the kept log and the live tail overlap. */
export function logRecordKey(r: LogRecord): string {
  return `${r.t}|${r.inv}|${r.kind}|${r.stream ?? ""}|${r.line ?? ""}`;
}
