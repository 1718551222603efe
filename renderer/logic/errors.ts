// Turns whatever a call threw into something a user can read and act on: a code, a sentence, and the field at fault.

export interface ReadableError {
  code: string;
  message: string;
  field?: string;
  /** The HTTP status, in browser mode. */
  status?: number;
}

/** Codes that mean the window's credentials no longer work: the key screen takes over. */
const AUTH_CODES = new Set(["UNAUTHENTICATED", "CREDENTIALS_INVALID"]);

export function isAuthError(e: ReadableError | null): boolean {
  return e !== null && AUTH_CODES.has(e.code);
}

/** Errors cross the HTTP client as HearthApiError and Electron's context bridge as "CODE: message (field: x)". */
export function readableError(err: unknown): ReadableError {
  if (typeof err === "object" && err !== null) {
    const o = err as {
      code?: unknown;
      detail?: unknown;
      field?: unknown;
      status?: unknown;
      message?: unknown;
    };
    if (typeof o.code === "string" && typeof o.detail === "string") {
      return {
        code: o.code,
        message: o.detail,
        ...(typeof o.field === "string" ? { field: o.field } : {}),
        ...(typeof o.status === "number" ? { status: o.status } : {}),
      };
    }
    if (typeof o.message === "string") return fromMessage(o.message, err instanceof TypeError);
  }
  return fromMessage(String(err), false);
}

function fromMessage(text: string, network: boolean): ReadableError {
  // fetch() rejects with a TypeError when nothing answers at all.
  if (network && /fetch|network/i.test(text)) {
    return {
      code: "HOST_UNREACHABLE",
      message: "Hearth is not answering. Is `hearth serve` (or the app) still running?",
    };
  }
  const m = /^(?:Error: )?([A-Z][A-Z0-9_]{2,}): ([\s\S]*?)(?: \(field: ([^)]+)\))?$/.exec(text.trim());
  if (m) return { code: m[1]!, message: m[2]!, ...(m[3] ? { field: m[3] } : {}) };
  return { code: "ERROR", message: text || "something went wrong" };
}

/** One line for a toast or an inline error. */
export function describeError(e: ReadableError): string {
  return `${e.message}${e.field ? ` (${e.field})` : ""}`;
}

/** What to do about the errors a new user meets most. */
const HINTS: Record<string, string> = {
  TASK_NOT_FOUND: "Check the task's name, or import it first (Tasks).",
  ALIAS_NOT_FOUND: "The alias may have been deleted; pick another target.",
  VERSION_NOT_FOUND: "Publish a version first (Tasks → the task → Publish).",
  NO_VM_AVAILABLE: "The pool has no VM for this profile yet; watch it warm up in Pool and try again.",
  SANDBOX_WAIT_TIMEOUT: "The VMs are busy or still booting; try again in a few seconds.",
  SANDBOX_TIMEOUT: "The task ran past its timeout; raise it in the task's configuration.",
  HOST_UNREACHABLE: "Start it again with `hearth serve` and reload this page.",
  GRANT_NOT_FOUND: "The owner has to share the task with this profile first (Grants).",
  GRANT_LIMIT_EXCEEDED: "Stay within the limits the task's owner set on the grant.",
  TOO_MANY_REQUESTS: "Too many invocations at once; wait for some to finish.",
  SHARING_OFF:
    "Start Hearth with `hearth serve --share ADDRESS` (an address your teammate reaches), then share again.",
  TOKEN_RATE_LIMITED: "The token's owner limited how often it may be called; wait a little and call again.",
  ASYNC_QUEUE_FULL: "This profile has as many async invocations waiting as it may; wait for some to run.",
};

export function errorHint(code: string): string | null {
  return HINTS[code] ?? null;
}
