// How a failed command reads on stderr: `hearth: CODE: message (field: x)` and, where one helps, a hint.
import { CommanderError } from "commander";
import { HearthApiError } from "../client/http-client.ts";
import { CliError } from "./exit-codes.ts";

/** What to do next, for the codes where the message alone leaves the user guessing. */
const HINTS: Record<string, string> = {
  UNAUTHENTICATED:
    "give credentials: --token (or HEARTH_TOKEN), AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or run where HEARTH_DATA holds the server's owner.key",
  CREDENTIALS_INVALID:
    "the key does not match this Hearth: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or that HEARTH_DATA is the data directory the server uses",
  TOKEN_INVALID:
    "the token was revoked, has expired or is for another alias: mint a new one with `hearth token mint <task> <alias>`",
  PROFILE_NOT_FOUND:
    "list profiles with `hearth profile ls`, or create one with `hearth profile create <name>`",
  PROFILE_EXISTS: "list profiles with `hearth profile ls`",
  TASK_NOT_FOUND: "list your tasks with `hearth task ls`, or import one with `hearth import <folder>`",
  TASK_EXISTS: "to replace its code: `hearth update-code <task> <folder-or-zip>`",
  TASK_IN_USE:
    "see who holds aliases on it with `hearth grant ls`, and revoke with `hearth grant revoke <id>`",
  VERSION_NOT_FOUND:
    "publish a version with `hearth publish <task>`; `hearth task show <task>` lists its versions",
  ALIAS_NOT_FOUND: "list aliases with `hearth alias ls --task <task>`",
  ALIAS_EXISTS: "change where it points with `hearth alias update <task> <name> --version <v>`",
  GRANT_NOT_FOUND: "list grants with `hearth grant ls`",
  TOKEN_NOT_FOUND: "list tokens with `hearth token ls`",
  TOKEN_LOCAL_ONLY:
    "the token's owner minted it for their own machine: ask them for a share link (`hearth share <task> <alias>`)",
  IMPORT_NO_TASK_JSON: "add a task.json beside the code, or pass --name, --runtime and --handler",
  TOO_MANY_ATTEMPTS: "too many failed logins from this address: wait, then check the credentials",
  STORE_LOCKED:
    "a Hearth is running on this data directory: let it do this (it answers at the URL in serve.json)",
  FORBIDDEN:
    "a token only invokes its alias, and another profile's task runs only through an alias on its grant or the ARN its policy names for you; manage things with the owner key or an access key",
};

function codeOf(err: unknown): string | undefined {
  if (err instanceof CliError || err instanceof HearthApiError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return err instanceof Error ? /^([A-Z][A-Z_]+): /.exec(err.message)?.[1] : undefined;
}

/** The lines printed for an error, or null when commander already printed its own. */
export function formatError(err: unknown): string | null {
  if (err instanceof CommanderError) return null;
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  const hint = err instanceof CliError ? err.options.hint : code ? HINTS[code] : undefined;
  let head = code && !message.startsWith(`${code}:`) ? `${code}: ${message}` : message;
  const field = (err as { field?: unknown } | null)?.field;
  if (typeof field === "string" && !head.includes("(field: ")) head += ` (field: ${field})`;
  return `hearth: ${head}\n${hint ? `hint: ${hint}\n` : ""}`;
}
