// The one error a call to another machine's Hearth fails with: this side's reason, or the owner's code passed on.

/**
 * A failed remote call. `code` is this side's (REMOTE_UNREACHABLE, REMOTE_FINGERPRINT_MISMATCH,
 * REMOTE_PROTOCOL_ERROR) or the owner's own code passed through (TOKEN_INVALID for a revoked, expired or foreign
 * token, SANDBOX_TIMEOUT, …), with a message that says which side said it.
 */
export class RemoteInvokeError extends Error {
  readonly detail: string;
  declare readonly status?: number;
  declare readonly retryAfterS?: number;

  constructor(
    readonly code: string,
    detail: string,
    extra: { status?: number; retryAfterS?: number } = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = "RemoteInvokeError";
    this.detail = detail;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterS !== undefined) this.retryAfterS = extra.retryAfterS;
  }
}
