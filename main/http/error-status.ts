// The one table from error codes to HTTP answers: a status for the native API, a type and status for the Lambda API.
import { ERROR_CODES, isHearthError, type ErrorCode } from "../domain/model/errors.ts";

/**
 * Codes raised below the domain, by the scheduler, the pool, the guest session, the libvirt driver and the guest
 * agent (whose error frames reach the host as GuestError with the agent's code). They are plain strings there,
 * so they are listed here to give every one of them an explicit answer.
 */
export const RUNTIME_ERROR_CODES = [
  // main/invoke/sandbox-scheduler.ts
  "ENGINE_CLOSED",
  "TOO_MANY_REQUESTS",
  "SANDBOX_WAIT_TIMEOUT",
  "SANDBOX_LOST",
  "NO_VM_AVAILABLE",
  "VM_MEMORY_FULL",
  "SANDBOX_INIT_FAILED",
  // main/vm/pool.ts
  "POOL_CLOSED",
  "INVALID_PROFILE",
  "HOST_MEMORY_LOW",
  "ACQUIRE_ABORTED",
  // main/vm/guest-session.ts
  "AGENT_TIMEOUT",
  "NOT_CONNECTED",
  "NO_CONTROL_CHANNEL",
  "NO_SUCH_SLOT",
  "SANDBOX_DOWN",
  "SANDBOX_EMPTY",
  "SANDBOX_TIMEOUT",
  "VM_LOST",
  // main/vm/libvirt-driver.ts
  "LIBVIRT_UNREACHABLE",
  "CHANNEL_UNREACHABLE",
  "VM_CREATE_FAILED",
  "VM_DESTROY_FAILED",
  "VM_NOT_FOUND",
  "VM_RESTORE_FAILED",
  "VM_SAVE_FAILED",
  "VM_CPU_WEIGHT_FAILED",
  // main/vm/save-image.ts
  "SAVE_IMAGE_TRUNCATED",
  "SAVE_IMAGE_UNKNOWN",
  "SAVE_IMAGE_XML",
  "SAVE_IMAGE_XML_TOO_LARGE",
  // vm-images/agent (error frames)
  "AGENT_ERROR",
  "CODE_CHECKSUM_MISMATCH",
  "CODE_UNPACK_FAILED",
  "RUNTIME_UNSUPPORTED",
  "SANDBOX_SPAWN_FAILED",
  "SLOT_BROKEN",
  "SYNC_FAILED",
  "UNKNOWN_FRAME",
] as const;

export type RuntimeErrorCode = (typeof RUNTIME_ERROR_CODES)[number];
export type KnownErrorCode = ErrorCode | RuntimeErrorCode;

/** The error types Lambda's API answers with; SDKs turn the type into an exception class of that name. */
export type LambdaErrorType =
  | "InvalidParameterValueException"
  | "ResourceNotFoundException"
  | "ResourceConflictException"
  | "PolicyLengthExceededException"
  | "AccessDeniedException"
  | "UnrecognizedClientException"
  | "RequestTooLargeException"
  | "TooManyRequestsException"
  | "InvalidRuntimeException"
  | "MissingAuthenticationTokenException"
  | "UnknownOperationException"
  | "ServiceException"
  // Not in Lambda's model (its ServiceException is a 500): an SDK makes it an exception of this name, and retries
  // it by its status, 503, as it retries any 502-504.
  | "ServiceUnavailableException";

export interface LambdaErrorAnswer {
  status: number;
  type: LambdaErrorType;
}

/** The code errors without one (or with one this table does not know) are answered as. */
export const INTERNAL_ERROR_CODE = "INTERNAL_ERROR";

const bad: LambdaErrorAnswer = { status: 400, type: "InvalidParameterValueException" };
const missing: LambdaErrorAnswer = { status: 404, type: "ResourceNotFoundException" };
const conflict: LambdaErrorAnswer = { status: 409, type: "ResourceConflictException" };
const throttled: LambdaErrorAnswer = { status: 429, type: "TooManyRequestsException" };
const internal: LambdaErrorAnswer = { status: 500, type: "ServiceException" };

/**
 * Every known code with its native status and its Lambda answer. Typed as a full Record so that a code added to
 * ERROR_CODES without a row here fails the type check, not a user at run time.
 */
const TABLE: Record<KnownErrorCode, { native: number; lambda: LambdaErrorAnswer }> = {
  INVALID_INPUT: { native: 400, lambda: bad },
  PROFILE_NOT_FOUND: { native: 404, lambda: missing },
  PROFILE_EXISTS: { native: 409, lambda: conflict },
  PROFILE_IN_USE: { native: 409, lambda: conflict },
  // Drawing an unused account id failed: nothing the request can fix, and rare enough to be the server's fault.
  ACCOUNT_ID_EXHAUSTED: { native: 500, lambda: internal },
  // A wrong key id and a wrong secret look alike on purpose; AWS answers an unknown key this way too.
  CREDENTIALS_INVALID: { native: 401, lambda: { status: 403, type: "UnrecognizedClientException" } },
  TASK_NOT_FOUND: { native: 404, lambda: missing },
  TASK_EXISTS: { native: 409, lambda: conflict },
  TASK_IN_USE: { native: 409, lambda: conflict },
  VERSION_NOT_FOUND: { native: 404, lambda: missing },
  ALIAS_NOT_FOUND: { native: 404, lambda: missing },
  ALIAS_EXISTS: { native: 409, lambda: conflict },
  GRANT_NOT_FOUND: { native: 404, lambda: missing },
  GRANT_EXISTS: { native: 409, lambda: conflict },
  // A cross-profile alias asks for more than the grant allows: the request is wrong, not the server.
  GRANT_LIMIT_EXCEEDED: { native: 422, lambda: bad },
  CUSTOMIZATION_NOT_ALLOWED: { native: 422, lambda: bad },
  FORBIDDEN: { native: 403, lambda: { status: 403, type: "AccessDeniedException" } },
  TOKEN_INVALID: { native: 401, lambda: { status: 403, type: "AccessDeniedException" } },
  TOKEN_NOT_FOUND: { native: 404, lambda: missing },
  // A valid token called more often than the rate its owner chose at mint time: back off for Retry-After.
  TOKEN_RATE_LIMITED: { native: 429, lambda: throttled },
  // A valid token minted for its owner's machine, presented on the shared listener: it is not for here.
  TOKEN_LOCAL_ONLY: { native: 403, lambda: { status: 403, type: "AccessDeniedException" } },
  // Lambda's CreateFunction answers an unusable zip with InvalidParameterValueException too.
  IMPORT_INVALID: { native: 400, lambda: bad },
  IMPORT_UNSAFE_PATH: { native: 400, lambda: bad },
  IMPORT_SYMLINK: { native: 400, lambda: bad },
  IMPORT_TOO_MANY_ENTRIES: { native: 400, lambda: bad },
  IMPORT_TOO_LARGE: { native: 413, lambda: { status: 413, type: "RequestTooLargeException" } },
  IMPORT_NO_TASK_JSON: { native: 400, lambda: bad },
  // A blob the store points at but cannot find is damage to the data directory, not a missing user resource.
  BLOB_NOT_FOUND: { native: 500, lambda: internal },
  BLOB_CORRUPT: { native: 500, lambda: internal },
  STORE_CORRUPT: { native: 500, lambda: internal },
  STORE_TOO_NEW: { native: 500, lambda: internal },
  STORE_LOCKED: { native: 503, lambda: internal },
  // The data directory is open to other users: the machine's set-up, refused at start, never a request's fault.
  DATA_DIR_INSECURE: { native: 500, lambda: internal },
  SECRET_KEY_INVALID: { native: 500, lambda: internal },
  SECRET_UNREADABLE: { native: 500, lambda: internal },
  API_NOT_FOUND: { native: 404, lambda: missing },
  API_EXISTS: { native: 409, lambda: conflict },
  // No credentials at all, as opposed to wrong ones (CREDENTIALS_INVALID, TOKEN_INVALID).
  UNAUTHENTICATED: { native: 401, lambda: { status: 403, type: "MissingAuthenticationTokenException" } },
  // Too many failed authentications from one client address: it waits before trying again.
  TOO_MANY_ATTEMPTS: { native: 429, lambda: throttled },
  ROUTE_NOT_FOUND: { native: 404, lambda: { status: 404, type: "UnknownOperationException" } },
  PAYLOAD_TOO_LARGE: { native: 413, lambda: { status: 413, type: "RequestTooLargeException" } },
  // The shared listener's certificate or key in the data directory is unusable: the owner's machine, not a request.
  TLS_IDENTITY_INVALID: { native: 500, lambda: internal },
  REMOTE_NOT_FOUND: { native: 404, lambda: missing },
  // A remote alias is invoked by its local name, so it may clash neither with another remote nor with a task.
  REMOTE_EXISTS: { native: 409, lambda: conflict },
  // The owner's listener showed another certificate than the link pinned: refused before a byte of the request.
  REMOTE_FINGERPRINT_MISMATCH: { native: 502, lambda: internal },
  REMOTE_UNREACHABLE: { native: 502, lambda: internal },
  // The owner's listener answered something that is not Hearth's answer (a proxy's page, a cut stream).
  REMOTE_PROTOCOL_ERROR: { native: 502, lambda: internal },
  // A share link was asked for while this Hearth has no shared listener: nothing beyond the machine could use it.
  SHARING_OFF: { native: 409, lambda: conflict },
  // Hearth is still building its image or starting its pool: the same request works in a moment. A 503, which
  // the AWS SDKs retry by themselves (a 500 they would too, but that says the server failed).
  STARTING: { native: 503, lambda: { status: 503, type: "ServiceUnavailableException" } },
  // The request named a host the port is not bound to (DNS rebinding, or a proxy's name): Misdirected Request.
  HOST_NOT_ALLOWED: { native: 421, lambda: { status: 421, type: "AccessDeniedException" } },
  // A profile has as many async invocations waiting as it may: Lambda throttles a full event queue with 429 too.
  ASYNC_QUEUE_FULL: { native: 429, lambda: throttled },

  ENGINE_CLOSED: { native: 503, lambda: internal },
  TOO_MANY_REQUESTS: { native: 429, lambda: throttled },
  // Waiting too long for a sandbox means the profile's or task's concurrency is used up: throttling tells
  // clients and SDKs to back off and retry, as Lambda does when reserved concurrency runs out.
  SANDBOX_WAIT_TIMEOUT: { native: 429, lambda: throttled },
  SANDBOX_LOST: { native: 502, lambda: internal },
  NO_VM_AVAILABLE: { native: 503, lambda: internal },
  VM_MEMORY_FULL: { native: 503, lambda: internal },
  // The scheduler attaches Lambda's own error shape when the handler failed to load; without it, the host failed.
  SANDBOX_INIT_FAILED: { native: 502, lambda: internal },
  POOL_CLOSED: { native: 503, lambda: internal },
  INVALID_PROFILE: { native: 500, lambda: internal },
  HOST_MEMORY_LOW: { native: 503, lambda: internal },
  AGENT_TIMEOUT: { native: 504, lambda: internal },
  NOT_CONNECTED: { native: 503, lambda: internal },
  NO_CONTROL_CHANNEL: { native: 500, lambda: internal },
  NO_SUCH_SLOT: { native: 500, lambda: internal },
  SANDBOX_DOWN: { native: 502, lambda: internal },
  SANDBOX_EMPTY: { native: 500, lambda: internal },
  SANDBOX_TIMEOUT: { native: 504, lambda: internal },
  VM_LOST: { native: 502, lambda: internal },
  LIBVIRT_UNREACHABLE: { native: 503, lambda: internal },
  CHANNEL_UNREACHABLE: { native: 500, lambda: internal },
  VM_CREATE_FAILED: { native: 500, lambda: internal },
  VM_DESTROY_FAILED: { native: 500, lambda: internal },
  // A libvirt domain, never a user's resource: not a 404, which a caller would read as "your function".
  VM_NOT_FOUND: { native: 500, lambda: internal },
  VM_RESTORE_FAILED: { native: 500, lambda: internal },
  VM_CPU_WEIGHT_FAILED: { native: 500, lambda: internal },
  ACQUIRE_ABORTED: { native: 500, lambda: internal },
  VM_SAVE_FAILED: { native: 500, lambda: internal },
  SAVE_IMAGE_TRUNCATED: { native: 500, lambda: internal },
  SAVE_IMAGE_UNKNOWN: { native: 500, lambda: internal },
  SAVE_IMAGE_XML: { native: 500, lambda: internal },
  SAVE_IMAGE_XML_TOO_LARGE: { native: 500, lambda: internal },
  AGENT_ERROR: { native: 500, lambda: internal },
  CODE_CHECKSUM_MISMATCH: { native: 500, lambda: internal },
  CODE_UNPACK_FAILED: { native: 502, lambda: internal },
  RUNTIME_UNSUPPORTED: { native: 502, lambda: { status: 502, type: "InvalidRuntimeException" } },
  SANDBOX_SPAWN_FAILED: { native: 502, lambda: internal },
  SLOT_BROKEN: { native: 502, lambda: internal },
  SYNC_FAILED: { native: 500, lambda: internal },
  UNKNOWN_FRAME: { native: 500, lambda: internal },
};

/** Every code the table answers explicitly; the tests hold this against ERROR_CODES. */
export const KNOWN_ERROR_CODES: readonly KnownErrorCode[] = [...ERROR_CODES, ...RUNTIME_ERROR_CODES];

export function isKnownErrorCode(code: unknown): code is KnownErrorCode {
  return typeof code === "string" && Object.hasOwn(TABLE, code);
}

/** The status the native API answers a code with; 500 for anything the table does not know. */
export function nativeStatus(code: string): number {
  return isKnownErrorCode(code) ? TABLE[code].native : 500;
}

/** The status and error type the Lambda API answers a code with; ServiceException 500 for anything unknown. */
export function lambdaError(code: string): LambdaErrorAnswer {
  return isKnownErrorCode(code) ? { ...TABLE[code].lambda } : { ...internal };
}

/** The code an error carries, when it is one of ours (HearthError, SchedulerError, GuestError, PoolError, …). */
export function errorCode(err: unknown): KnownErrorCode | null {
  if (isHearthError(err)) return err.code;
  if (err instanceof Error && isKnownErrorCode((err as { code?: unknown }).code))
    return (err as Error & { code: KnownErrorCode }).code;
  return null;
}

export interface NativeErrorBody {
  error: { code: string; message: string; field?: string };
}

/** The message an error without a known code is answered with: its own text may hold paths or internals. */
const INTERNAL_MESSAGE = `${INTERNAL_ERROR_CODE}: Hearth failed to answer this request; its log has the details`;

/**
 * The native API's error body. Only errors with a known code pass their message through; anything else (a
 * library's error, a bug's TypeError) becomes a generic internal error, so no stack or path reaches a client.
 */
export function errorBody(err: unknown): NativeErrorBody {
  if (isHearthError(err)) {
    const { code, message, field } = err.toJSON();
    return { error: field === undefined ? { code, message } : { code, message, field } };
  }
  const code = errorCode(err);
  if (code !== null) return { error: { code, message: (err as Error).message } };
  return { error: { code: INTERNAL_ERROR_CODE, message: INTERNAL_MESSAGE } };
}

/** Status and body together, for the native API's error handler. */
export function nativeErrorResponse(err: unknown): { status: number; body: NativeErrorBody } {
  const body = errorBody(err);
  return { status: nativeStatus(body.error.code), body };
}

/**
 * The Lambda API's error answer: AWS sends the type in `x-amzn-ErrorType` and a body of `{Type, message}`, and
 * the SDKs read the type from either. "User" marks errors the caller can fix (4xx), "Service" the rest.
 */
export function lambdaErrorResponse(err: unknown): {
  status: number;
  headers: Record<string, string>;
  body: { Type: "User" | "Service"; message: string };
} {
  const body = errorBody(err);
  const { status, type } = lambdaError(body.error.code);
  return {
    status,
    headers: { "x-amzn-errortype": type, "content-type": "application/json" },
    body: { Type: status < 500 ? "User" : "Service", message: body.error.message },
  };
}
