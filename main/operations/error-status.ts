// The native half of the error table: every error code's HTTP status, and the error body every transport answers
// with (HTTP, the window's IPC, a streamed invocation's error event). The Lambda API's answers are in
// main/http/error-status.ts, over the same codes.
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
  "VM_FAULT",
  "VM_MEMORY_FULL",
  "SANDBOX_INIT_FAILED",
  "INVALID_CONFIG",
  // main/vm/pool.ts
  "POOL_CLOSED",
  "INVALID_PROFILE",
  "HOST_MEMORY_LOW",
  "ACQUIRE_ABORTED",
  "SQUEEZE_UNSUPPORTED",
  "SQUEEZE_RUNNING",
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
  "VM_BALLOON_FAILED",
  "VM_SOCKET_DIR_UNSAFE",
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
  "NOT_INSPECTABLE",
  "TUNNEL_EXISTS",
  "TOO_MANY_TUNNELS",
  "UNKNOWN_FRAME",
] as const;

export type RuntimeErrorCode = (typeof RUNTIME_ERROR_CODES)[number];
export type KnownErrorCode = ErrorCode | RuntimeErrorCode;

/** The code errors without one (or with one this table does not know) are answered as. */
export const INTERNAL_ERROR_CODE = "INTERNAL_ERROR";

/**
 * Every known code with the status the native API answers it with. Typed as a full Record so that a code added to
 * ERROR_CODES without a row here fails the type check, not a user at run time.
 */
const NATIVE_STATUS: Record<KnownErrorCode, number> = {
  INVALID_INPUT: 400,
  PROFILE_NOT_FOUND: 404,
  PROFILE_EXISTS: 409,
  PROFILE_IN_USE: 409,
  // Drawing an unused account id failed: nothing the request can fix, and rare enough to be the server's fault.
  ACCOUNT_ID_EXHAUSTED: 500,
  // A wrong key id and a wrong secret look alike on purpose.
  CREDENTIALS_INVALID: 401,
  TASK_NOT_FOUND: 404,
  TASK_EXISTS: 409,
  TASK_IN_USE: 409,
  VERSION_NOT_FOUND: 404,
  ALIAS_NOT_FOUND: 404,
  ALIAS_EXISTS: 409,
  GRANT_NOT_FOUND: 404,
  GRANT_EXISTS: 409,
  STATEMENT_EXISTS: 409,
  STATEMENT_NOT_FOUND: 404,
  FUNCTION_URL_EXISTS: 409,
  FUNCTION_URL_NOT_FOUND: 404,
  POLICY_NOT_FOUND: 404,
  POLICY_TOO_LARGE: 400,
  REVISION_MISMATCH: 412,
  EVENT_CONFIG_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_EXISTS: 409,
  SCHEDULE_LIMIT_EXCEEDED: 409,
  // A cross-profile alias asks for more than the grant allows: the request is wrong, not the server.
  GRANT_LIMIT_EXCEEDED: 422,
  CUSTOMIZATION_NOT_ALLOWED: 422,
  FORBIDDEN: 403,
  TOKEN_INVALID: 401,
  TOKEN_NOT_FOUND: 404,
  // A valid token called more often than the rate its owner chose at mint time: back off for Retry-After.
  TOKEN_RATE_LIMITED: 429,
  // A valid token minted for its owner's machine, presented on the shared listener: it is not for here.
  TOKEN_LOCAL_ONLY: 403,
  IMPORT_INVALID: 400,
  IMPORT_UNSAFE_PATH: 400,
  IMPORT_SYMLINK: 400,
  IMPORT_TOO_MANY_ENTRIES: 400,
  IMPORT_TOO_LARGE: 413,
  IMPORT_NO_TASK_JSON: 400,
  // A blob the store points at but cannot find is damage to the data directory, not a missing user resource.
  BLOB_NOT_FOUND: 500,
  BLOB_CORRUPT: 500,
  STORE_CORRUPT: 500,
  STORE_TOO_NEW: 500,
  STORE_LOCKED: 503,
  // The data directory is open to other users: the machine's set-up, refused at start, never a request's fault.
  DATA_DIR_INSECURE: 500,
  SECRET_KEY_INVALID: 500,
  SECRET_UNREADABLE: 500,
  API_NOT_FOUND: 404,
  API_EXISTS: 409,
  AUTHORIZER_NOT_FOUND: 404,
  // A route still names the authorizer being removed: detach it from the route first.
  AUTHORIZER_IN_USE: 409,
  // No credentials at all, as opposed to wrong ones (CREDENTIALS_INVALID, TOKEN_INVALID).
  UNAUTHENTICATED: 401,
  // Too many failed authentications from one client address: it waits before trying again.
  TOO_MANY_ATTEMPTS: 429,
  ROUTE_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  // The shared listener's certificate or key in the data directory is unusable: the owner's machine, not a request.
  TLS_IDENTITY_INVALID: 500,
  REMOTE_NOT_FOUND: 404,
  // A remote alias is invoked by its local name, so it may clash neither with another remote nor with a task.
  REMOTE_EXISTS: 409,
  // The owner's listener showed another certificate than the link pinned: refused before a byte of the request.
  REMOTE_FINGERPRINT_MISMATCH: 502,
  REMOTE_UNREACHABLE: 502,
  // The owner's listener answered something that is not Hearth's answer (a proxy's page, a cut stream).
  REMOTE_PROTOCOL_ERROR: 502,
  // A share link was asked for while this Hearth has no shared listener: nothing beyond the machine could use it.
  SHARING_OFF: 409,
  // Hearth is still building its image or starting its pool: the same request works in a moment.
  STARTING: 503,
  // The request named a host the port is not bound to (DNS rebinding, or a proxy's name): Misdirected Request.
  HOST_NOT_ALLOWED: 421,
  // A profile has as many async invocations waiting as it may: it backs off and sends again later.
  ASYNC_QUEUE_FULL: 429,
  EVENT_NOT_FOUND: 404,
  EVENT_EXISTS: 409,
  // A task holds at most MAX_TEST_EVENTS saved events per profile: the request is refused, nothing is dropped.
  EVENT_LIMIT_EXCEEDED: 409,
  // The task's runtime has no debugger in this image (Python, a custom bootstrap), or it is not being debugged.
  INSPECT_UNAVAILABLE: 409,
  // Every port Hearth offers debuggers on (9229–9299) is taken on 127.0.0.1.
  INSPECTOR_PORTS_BUSY: 503,
  // As many projects are open as the host follows at once.
  PROJECT_LIMIT_EXCEEDED: 409,

  ENGINE_CLOSED: 503,
  TOO_MANY_REQUESTS: 429,
  // Waiting too long for a sandbox means the profile's or task's concurrency is used up: throttling tells
  // clients and SDKs to back off and retry, as Lambda does when reserved concurrency runs out.
  SANDBOX_WAIT_TIMEOUT: 429,
  SANDBOX_LOST: 502,
  NO_VM_AVAILABLE: 503,
  VM_FAULT: 503,
  VM_MEMORY_FULL: 503,
  // The scheduler attaches Lambda's own error shape when the handler failed to load; without it, the host failed.
  SANDBOX_INIT_FAILED: 502,
  POOL_CLOSED: 503,
  INVALID_PROFILE: 500,
  HOST_MEMORY_LOW: 503,
  AGENT_TIMEOUT: 504,
  NOT_CONNECTED: 503,
  NO_CONTROL_CHANNEL: 500,
  NO_SUCH_SLOT: 500,
  SANDBOX_DOWN: 502,
  SANDBOX_EMPTY: 500,
  SANDBOX_TIMEOUT: 504,
  VM_LOST: 502,
  LIBVIRT_UNREACHABLE: 503,
  CHANNEL_UNREACHABLE: 500,
  VM_CREATE_FAILED: 500,
  VM_DESTROY_FAILED: 500,
  // A libvirt domain, never a user's resource: not a 404, which a caller would read as "your function".
  VM_NOT_FOUND: 500,
  VM_RESTORE_FAILED: 500,
  VM_CPU_WEIGHT_FAILED: 500,
  VM_BALLOON_FAILED: 500,
  SQUEEZE_UNSUPPORTED: 500,
  SQUEEZE_RUNNING: 500,
  INVALID_CONFIG: 500,
  VM_SOCKET_DIR_UNSAFE: 500,
  ACQUIRE_ABORTED: 500,
  VM_SAVE_FAILED: 500,
  SAVE_IMAGE_TRUNCATED: 500,
  SAVE_IMAGE_UNKNOWN: 500,
  SAVE_IMAGE_XML: 500,
  SAVE_IMAGE_XML_TOO_LARGE: 500,
  AGENT_ERROR: 500,
  CODE_CHECKSUM_MISMATCH: 500,
  // A debugger's tunnel to a sandbox started without the inspector, or one too many (inspector-tunnels.ts).
  NOT_INSPECTABLE: 409,
  TUNNEL_EXISTS: 409,
  TOO_MANY_TUNNELS: 503,
  CODE_UNPACK_FAILED: 502,
  RUNTIME_UNSUPPORTED: 502,
  SANDBOX_SPAWN_FAILED: 502,
  SLOT_BROKEN: 502,
  SYNC_FAILED: 500,
  UNKNOWN_FRAME: 500,
};

/** Every code the table answers explicitly; the tests hold this against ERROR_CODES. */
export const KNOWN_ERROR_CODES: readonly KnownErrorCode[] = [...ERROR_CODES, ...RUNTIME_ERROR_CODES];

export function isKnownErrorCode(code: unknown): code is KnownErrorCode {
  return typeof code === "string" && Object.hasOwn(NATIVE_STATUS, code);
}

/** The status the native API answers a code with; 500 for anything the table does not know. */
export function nativeStatus(code: string): number {
  return isKnownErrorCode(code) ? NATIVE_STATUS[code] : 500;
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
