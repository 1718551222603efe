// The Lambda half of the error table: the error type and status the Lambda API answers each code with. The native
// statuses and the error body are in main/operations/error-status.ts, over the same codes.
import { errorBody, isKnownErrorCode, type KnownErrorCode } from "../operations/error-status.ts";

/** The error types Lambda's API answers with; SDKs turn the type into an exception class of that name. */
export type LambdaErrorType =
  | "InvalidParameterValueException"
  | "ResourceNotFoundException"
  | "ResourceConflictException"
  | "PolicyLengthExceededException"
  | "PreconditionFailedException"
  | "RequestEntityTooLargeException"
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

const bad: LambdaErrorAnswer = { status: 400, type: "InvalidParameterValueException" };
const missing: LambdaErrorAnswer = { status: 404, type: "ResourceNotFoundException" };
const conflict: LambdaErrorAnswer = { status: 409, type: "ResourceConflictException" };
const throttled: LambdaErrorAnswer = { status: 429, type: "TooManyRequestsException" };
const internal: LambdaErrorAnswer = { status: 500, type: "ServiceException" };

/**
 * Every known code with its Lambda answer. Typed as a full Record so that a code added to ERROR_CODES without a
 * row here fails the type check, not a user at run time.
 */
const LAMBDA_ANSWER: Record<KnownErrorCode, LambdaErrorAnswer> = {
  INVALID_INPUT: bad,
  PROFILE_NOT_FOUND: missing,
  PROFILE_EXISTS: conflict,
  PROFILE_IN_USE: conflict,
  // Drawing an unused account id failed: nothing the request can fix, and rare enough to be the server's fault.
  ACCOUNT_ID_EXHAUSTED: internal,
  // A wrong key id and a wrong secret look alike on purpose; AWS answers an unknown key this way too.
  CREDENTIALS_INVALID: { status: 403, type: "UnrecognizedClientException" },
  TASK_NOT_FOUND: missing,
  TASK_EXISTS: conflict,
  TASK_IN_USE: conflict,
  VERSION_NOT_FOUND: missing,
  ALIAS_NOT_FOUND: missing,
  ALIAS_EXISTS: conflict,
  GRANT_NOT_FOUND: missing,
  GRANT_EXISTS: conflict,
  STATEMENT_EXISTS: conflict,
  STATEMENT_NOT_FOUND: missing,
  FUNCTION_URL_EXISTS: conflict,
  FUNCTION_URL_NOT_FOUND: missing,
  POLICY_NOT_FOUND: missing,
  POLICY_TOO_LARGE: { status: 400, type: "PolicyLengthExceededException" },
  REVISION_MISMATCH: { status: 412, type: "PreconditionFailedException" },
  EVENT_CONFIG_NOT_FOUND: missing,
  SCHEDULE_NOT_FOUND: missing,
  SCHEDULE_EXISTS: conflict,
  SCHEDULE_LIMIT_EXCEEDED: conflict,
  // A cross-profile alias asks for more than the grant allows: the request is wrong, not the server.
  GRANT_LIMIT_EXCEEDED: bad,
  CUSTOMIZATION_NOT_ALLOWED: bad,
  FORBIDDEN: { status: 403, type: "AccessDeniedException" },
  TOKEN_INVALID: { status: 403, type: "AccessDeniedException" },
  TOKEN_NOT_FOUND: missing,
  // A valid token called more often than the rate its owner chose at mint time: back off for Retry-After.
  TOKEN_RATE_LIMITED: throttled,
  // A valid token minted for its owner's machine, presented on the shared listener: it is not for here.
  TOKEN_LOCAL_ONLY: { status: 403, type: "AccessDeniedException" },
  // Lambda's CreateFunction answers an unusable zip with InvalidParameterValueException too.
  IMPORT_INVALID: bad,
  IMPORT_UNSAFE_PATH: bad,
  IMPORT_SYMLINK: bad,
  IMPORT_TOO_MANY_ENTRIES: bad,
  IMPORT_TOO_LARGE: { status: 413, type: "RequestTooLargeException" },
  IMPORT_NO_TASK_JSON: bad,
  // A blob the store points at but cannot find is damage to the data directory, not a missing user resource.
  BLOB_NOT_FOUND: internal,
  BLOB_CORRUPT: internal,
  STORE_CORRUPT: internal,
  STORE_TOO_NEW: internal,
  STORE_LOCKED: internal,
  // The data directory is open to other users: the machine's set-up, refused at start, never a request's fault.
  DATA_DIR_INSECURE: internal,
  SECRET_KEY_INVALID: internal,
  SECRET_UNREADABLE: internal,
  API_NOT_FOUND: missing,
  API_EXISTS: conflict,
  AUTHORIZER_NOT_FOUND: missing,
  // A route still names the authorizer being removed: detach it from the route first.
  AUTHORIZER_IN_USE: conflict,
  // No credentials at all, as opposed to wrong ones (CREDENTIALS_INVALID, TOKEN_INVALID).
  UNAUTHENTICATED: { status: 403, type: "MissingAuthenticationTokenException" },
  // Too many failed authentications from one client address: it waits before trying again.
  TOO_MANY_ATTEMPTS: throttled,
  ROUTE_NOT_FOUND: { status: 404, type: "UnknownOperationException" },
  // Lambda answers an Invoke payload over 6 MB with this type (its SDK model names RequestTooLargeException).
  PAYLOAD_TOO_LARGE: { status: 413, type: "RequestEntityTooLargeException" },
  // The shared listener's certificate or key in the data directory is unusable: the owner's machine, not a request.
  TLS_IDENTITY_INVALID: internal,
  REMOTE_NOT_FOUND: missing,
  // A remote alias is invoked by its local name, so it may clash neither with another remote nor with a task.
  REMOTE_EXISTS: conflict,
  // The owner's listener showed another certificate than the link pinned: refused before a byte of the request.
  REMOTE_FINGERPRINT_MISMATCH: internal,
  REMOTE_UNREACHABLE: internal,
  // The owner's listener answered something that is not Hearth's answer (a proxy's page, a cut stream).
  REMOTE_PROTOCOL_ERROR: internal,
  // A share link was asked for while this Hearth has no shared listener: nothing beyond the machine could use it.
  SHARING_OFF: conflict,
  // Hearth is still building its image or starting its pool: the same request works in a moment. A 503, which
  // the AWS SDKs retry by themselves (a 500 they would too, but that says the server failed).
  STARTING: { status: 503, type: "ServiceUnavailableException" },
  // The request named a host the port is not bound to (DNS rebinding, or a proxy's name): Misdirected Request.
  HOST_NOT_ALLOWED: { status: 421, type: "AccessDeniedException" },
  // A profile has as many async invocations waiting as it may: Lambda throttles a full event queue with 429 too.
  ASYNC_QUEUE_FULL: throttled,
  EVENT_NOT_FOUND: missing,
  EVENT_EXISTS: conflict,
  EVENT_LIMIT_EXCEEDED: conflict,
  // The task's runtime has no debugger in this image (Python, a custom bootstrap), or it is not being debugged.
  INSPECT_UNAVAILABLE: conflict,
  // Every port Hearth offers debuggers on (9229–9299) is taken on 127.0.0.1.
  INSPECTOR_PORTS_BUSY: { status: 503, type: "ServiceUnavailableException" },
  // As many projects are open as the host follows at once.
  PROJECT_LIMIT_EXCEEDED: conflict,

  ENGINE_CLOSED: internal,
  TOO_MANY_REQUESTS: throttled,
  // Waiting too long for a sandbox means the profile's or task's concurrency is used up: throttling tells
  // clients and SDKs to back off and retry, as Lambda does when reserved concurrency runs out.
  SANDBOX_WAIT_TIMEOUT: throttled,
  SANDBOX_LOST: internal,
  NO_VM_AVAILABLE: internal,
  VM_FAULT: internal,
  VM_MEMORY_FULL: internal,
  // The scheduler attaches Lambda's own error shape when the handler failed to load; without it, the host failed.
  SANDBOX_INIT_FAILED: internal,
  POOL_CLOSED: internal,
  INVALID_PROFILE: internal,
  HOST_MEMORY_LOW: internal,
  AGENT_TIMEOUT: internal,
  NOT_CONNECTED: internal,
  NO_CONTROL_CHANNEL: internal,
  NO_SUCH_SLOT: internal,
  SANDBOX_DOWN: internal,
  SANDBOX_EMPTY: internal,
  SANDBOX_TIMEOUT: internal,
  VM_LOST: internal,
  LIBVIRT_UNREACHABLE: internal,
  CHANNEL_UNREACHABLE: internal,
  VM_CREATE_FAILED: internal,
  VM_DESTROY_FAILED: internal,
  // A libvirt domain, never a user's resource: not a 404, which a caller would read as "your function".
  VM_NOT_FOUND: internal,
  VM_RESTORE_FAILED: internal,
  VM_CPU_WEIGHT_FAILED: internal,
  VM_BALLOON_FAILED: internal,
  SQUEEZE_UNSUPPORTED: internal,
  SQUEEZE_RUNNING: internal,
  // A setting of the host's own (HEARTH_IDLE_MINUTES) is wrong: the host's fault, named in the message.
  INVALID_CONFIG: internal,
  VM_SOCKET_DIR_UNSAFE: internal,
  ACQUIRE_ABORTED: internal,
  VM_SAVE_FAILED: internal,
  SAVE_IMAGE_TRUNCATED: internal,
  SAVE_IMAGE_UNKNOWN: internal,
  SAVE_IMAGE_XML: internal,
  SAVE_IMAGE_XML_TOO_LARGE: internal,
  AGENT_ERROR: internal,
  CODE_CHECKSUM_MISMATCH: internal,
  // A debugger's tunnel to a sandbox started without the inspector, or one too many (inspector-tunnels.ts).
  NOT_INSPECTABLE: conflict,
  TUNNEL_EXISTS: conflict,
  TOO_MANY_TUNNELS: { status: 503, type: "ServiceUnavailableException" },
  CODE_UNPACK_FAILED: internal,
  RUNTIME_UNSUPPORTED: { status: 502, type: "InvalidRuntimeException" },
  SANDBOX_SPAWN_FAILED: internal,
  SLOT_BROKEN: internal,
  SYNC_FAILED: internal,
  UNKNOWN_FRAME: internal,
};

/** The status and error type the Lambda API answers a code with; ServiceException 500 for anything unknown. */
export function lambdaError(code: string): LambdaErrorAnswer {
  return isKnownErrorCode(code) ? { ...LAMBDA_ANSWER[code] } : { ...internal };
}

/**
 * The Lambda API's error answer: AWS sends the type in `x-amzn-ErrorType` and a body of `{Type, message}`, and
 * the SDKs read the type from either. "User" marks errors the caller can fix (4xx), "Service" the rest.
 */
export function lambdaErrorResponse(err: unknown): {
  status: number;
  headers: Record<string, string>;
  body: { Type: "User" | "Service"; message: string; Reason?: string };
} {
  const body = errorBody(err);
  const { status, type } = lambdaError(body.error.code);
  // A throttle says why, as Lambda's TooManyRequestsException does (ReservedFunctionConcurrentInvocationLimitExceeded…).
  const reason = (err as { reason?: unknown } | null)?.reason;
  return {
    status,
    headers: { "x-amzn-errortype": type, "content-type": "application/json" },
    body: {
      Type: status < 500 ? "User" : "Service",
      message: body.error.message,
      ...(typeof reason === "string" ? { Reason: reason } : {}),
    },
  };
}
