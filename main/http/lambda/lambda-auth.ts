// Who is calling the Lambda API: the profile whose access key signed the request (SigV4), and the region it named.
import type { FastifyRequest } from "fastify";
import { HearthError } from "../../domain/model/errors.ts";
import { openSigningSecret } from "../../domain/access/profile-credentials.ts";
import type { HearthState } from "../../domain/model/state.ts";
import type { HearthStore } from "../../store/hearth-store.ts";
import {
  accessKeyFailureKey,
  MALFORMED_FAILURES,
  tooManyAttempts,
  type AuthFailures,
} from "../native/auth-failures.ts";
import { checkSigV4Headers, verifySigV4 } from "./sigv4-verify.ts";

export interface LambdaCaller {
  profileId: string;
  accountId: string;
  region: string;
}

/** The access key id a signed request names, leniently: only to know what its failures count against. */
function failureKey(state: HearthState, req: FastifyRequest): string {
  const header = req.headers.authorization;
  const m = typeof header === "string" ? /Credential=([A-Za-z0-9]{1,128})\//.exec(header) : null;
  return m ? accessKeyFailureKey(state, m[1]!) : MALFORMED_FAILURES;
}

/** A wrong signature counts against its key from this address; past the limit it is answered with the wait. */
function counted(err: unknown, req: FastifyRequest, state: HearthState, failures?: AuthFailures): unknown {
  if (!(err instanceof HearthError) || !failures) return err;
  const key = failureKey(state, req);
  const wait = failures.retryAfterMs(req.ip, key);
  if (wait > 0) return tooManyAttempts(req.ip, wait);
  failures.fail(req.ip, key);
  return err;
}

/**
 * What the request line and headers settle, before any body is read: an unsigned request is refused (without
 * counting: a page's bare request holds back nobody), and a malformed or stale signature header counts as a
 * failure. The signature covers the body, so it is checked once the body is in (lambdaCaller).
 */
export function lambdaHeadersCheck(req: FastifyRequest, store: HearthStore, failures?: AuthFailures): void {
  const header = req.headers.authorization;
  if (typeof header !== "string" || header.trim() === "") {
    throw new HearthError(
      "CREDENTIALS_INVALID",
      "the request has no Authorization header; sign it with SigV4 (an AWS SDK or the awscli does)",
      "authorization",
    );
  }
  try {
    checkSigV4Headers(req.headers);
  } catch (err) {
    throw counted(err, req, store.documents.state, failures);
  }
}

/**
 * Verifies the request's signature against the profile's secret; throws CREDENTIALS_INVALID otherwise. A valid
 * signature is taken before its key's wait is looked at, so failures of others never lock a real client out.
 */
export async function lambdaCaller(
  req: FastifyRequest,
  body: Buffer,
  store: HearthStore,
  failures?: AuthFailures,
): Promise<LambdaCaller> {
  lambdaHeadersCheck(req, store, failures);
  try {
    return await verifiedCaller(req, body, store);
  } catch (err) {
    throw counted(err, req, store.documents.state, failures);
  }
}

async function verifiedCaller(req: FastifyRequest, body: Buffer, store: HearthStore): Promise<LambdaCaller> {
  const [path, query = ""] = req.raw.url!.split("?", 2) as [string, string?];
  const state = store.documents.state;
  let profileId = "";
  const { region } = await verifySigV4(
    { method: req.method, path, query, headers: req.headers, body },
    {
      lookupSecret: (accessKeyId) => {
        const found = openSigningSecret(state, accessKeyId, store.secrets);
        profileId = found.profileId;
        return found.secretAccessKey;
      },
    },
  );
  const accountId = state.profiles.find((p) => p.id === profileId)!.accountId;
  return { profileId, accountId, region };
}

/** The bytes a route's body arrived as, for signature checks (JSON routes are re-serialized by the parser). */
export function rawBody(req: FastifyRequest): Buffer {
  return (
    (req as FastifyRequest & { rawBody?: Buffer }).rawBody ??
    (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0))
  );
}
