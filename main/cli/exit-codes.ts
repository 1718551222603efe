// What the `hearth` command's exit status means, and which status each kind of failure ends with.
import { CommanderError } from "commander";
import { HearthApiError } from "../client/http-client.ts";
import { isKnownErrorCode, nativeStatus } from "../operations/error-status.ts";

export const EXIT = {
  ok: 0,
  /** Hearth refused the request (4xx): bad input, not found, not allowed. */
  refused: 1,
  /** The command line itself is wrong (commander's own errors, and ours of the same kind). */
  usage: 2,
  /** The invoked task failed: its handler threw, timed out, ran out of memory or could not load. */
  taskFailed: 3,
  /** No Hearth answered at the URL. */
  unreachable: 4,
  /** Hearth failed to answer (5xx). */
  hearthFailed: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The text `hearth --help` ends with. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  the request was refused (bad input, not found, not allowed: a 4xx answer)
  2  usage error (unknown command or option, a malformed option value)
  3  the invoked task itself failed (its handler threw, timed out or could not load)
  4  Hearth is not reachable (start it with \`hearth serve\` or npm start)
  5  Hearth failed (a 5xx answer)`;

/** A failure the CLI found or shaped itself: a code like the server's, a message, and the exit status it means. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly exitCode: ExitCode,
    readonly options: { field?: string; hint?: string } = {},
  ) {
    super(`${code}: ${detail}${options.field ? ` (field: ${options.field})` : ""}`);
    this.name = "CliError";
  }
}

/** A command line that cannot be run as written. */
export function usageError(detail: string, hint?: string): CliError {
  return new CliError("USAGE", detail, EXIT.usage, hint ? { hint } : {});
}

/** 4xx means the request was refused, 5xx that Hearth failed; anything else is treated as a refusal. */
export function exitCodeForStatus(status: number): ExitCode {
  return status >= 500 ? EXIT.hearthFailed : EXIT.refused;
}

/**
 * An error code of Hearth's (from the server, or raised by the store when the CLI works on it directly), by the
 * status the native API answers it with; a code that table does not know counts as a refusal.
 */
export function exitCodeForErrorCode(code: string): ExitCode {
  return isKnownErrorCode(code) ? exitCodeForStatus(nativeStatus(code)) : EXIT.refused;
}

/**
 * The exit status an error ends the command with. Errors without a known shape (a bug, a library's error)
 * count as refusals unless their message starts with a known code.
 */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof HearthApiError) return exitCodeForStatus(err.status);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[A-Z][A-Z_]+$/.test(code)) return exitCodeForErrorCode(code);
  const lead = err instanceof Error ? /^([A-Z][A-Z_]+): /.exec(err.message)?.[1] : undefined;
  if (lead !== undefined) return exitCodeForErrorCode(lead);
  return EXIT.refused;
}
