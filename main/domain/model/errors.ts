// The one error type of the data layer: a stable code for programs, a message a user can act on, the field at fault.

/**
 * Every code the domain and the store raise. The HTTP layer maps them to statuses in one table, so a new code
 * belongs here first.
 */
export const ERROR_CODES = [
  "INVALID_INPUT",
  "PROFILE_NOT_FOUND",
  "PROFILE_EXISTS",
  "PROFILE_IN_USE",
  "ACCOUNT_ID_EXHAUSTED",
  "CREDENTIALS_INVALID",
  "TASK_NOT_FOUND",
  "TASK_EXISTS",
  "TASK_IN_USE",
  "VERSION_NOT_FOUND",
  "ALIAS_NOT_FOUND",
  "ALIAS_EXISTS",
  "GRANT_NOT_FOUND",
  "GRANT_EXISTS",
  "STATEMENT_EXISTS",
  "STATEMENT_NOT_FOUND",
  "FUNCTION_URL_EXISTS",
  "FUNCTION_URL_NOT_FOUND",
  "POLICY_NOT_FOUND",
  "POLICY_TOO_LARGE",
  "REVISION_MISMATCH",
  "EVENT_CONFIG_NOT_FOUND",
  "SCHEDULE_NOT_FOUND",
  "SCHEDULE_EXISTS",
  "SCHEDULE_LIMIT_EXCEEDED",
  "GRANT_LIMIT_EXCEEDED",
  "CUSTOMIZATION_NOT_ALLOWED",
  "FORBIDDEN",
  "TOKEN_INVALID",
  "TOKEN_NOT_FOUND",
  "TOKEN_RATE_LIMITED",
  "TOKEN_LOCAL_ONLY",
  "IMPORT_INVALID",
  "IMPORT_UNSAFE_PATH",
  "IMPORT_SYMLINK",
  "IMPORT_TOO_MANY_ENTRIES",
  "IMPORT_TOO_LARGE",
  "IMPORT_NO_TASK_JSON",
  "BLOB_NOT_FOUND",
  "BLOB_CORRUPT",
  "STORE_CORRUPT",
  "STORE_TOO_NEW",
  "STORE_LOCKED",
  "DATA_DIR_INSECURE",
  "SECRET_KEY_INVALID",
  "SECRET_UNREADABLE",
  "API_NOT_FOUND",
  "API_EXISTS",
  "AUTHORIZER_NOT_FOUND",
  "AUTHORIZER_IN_USE",
  "UNAUTHENTICATED",
  "TOO_MANY_ATTEMPTS",
  "ROUTE_NOT_FOUND",
  "PAYLOAD_TOO_LARGE",
  "TLS_IDENTITY_INVALID",
  "REMOTE_NOT_FOUND",
  "REMOTE_EXISTS",
  "REMOTE_FINGERPRINT_MISMATCH",
  "REMOTE_UNREACHABLE",
  "REMOTE_PROTOCOL_ERROR",
  "STARTING",
  "SHARING_OFF",
  "HOST_NOT_ALLOWED",
  "ASYNC_QUEUE_FULL",
  "EVENT_NOT_FOUND",
  "EVENT_EXISTS",
  "EVENT_LIMIT_EXCEEDED",
  "INSPECT_UNAVAILABLE",
  "INSPECTOR_PORTS_BUSY",
  "PROJECT_LIMIT_EXCEEDED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class HearthError extends Error {
  readonly code: ErrorCode;
  /** The message without the code, for UIs that show the code separately. */
  readonly detail: string;
  /** Dotted path of the input field at fault (`memoryMb`, `environment.AWS_REGION`), when one is. */
  declare readonly field?: string;

  constructor(code: ErrorCode, detail: string, field?: string) {
    super(`${code}: ${detail}`);
    this.name = "HearthError";
    this.code = code;
    this.detail = detail;
    if (field !== undefined) this.field = field;
  }

  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export function isHearthError(err: unknown, code?: ErrorCode): err is HearthError {
  return err instanceof HearthError && (code === undefined || err.code === code);
}
