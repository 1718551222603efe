// Who is calling the Lambda API: the profile whose access key signed the request (SigV4), and the region it named.
import type { FastifyRequest } from "fastify";
import { openSigningSecret } from "../../domain/profile-credentials.ts";
import type { HearthStore } from "../../store/hearth-store.ts";
import { verifySigV4 } from "./sigv4-verify.ts";
import { HearthError } from "../../domain/errors.ts";
import type { AuthFailures } from "../native/auth-failures.ts";

export interface LambdaCaller {
  profileId: string;
  accountId: string;
  region: string;
}

/** Verifies the request's signature against the profile's secret; throws CREDENTIALS_INVALID otherwise. */
export async function lambdaCaller(
  req: FastifyRequest,
  body: Buffer,
  store: HearthStore,
  failures?: AuthFailures,
): Promise<LambdaCaller> {
  const wait = failures?.retryAfterMs(req.ip) ?? 0;
  if (wait > 0) {
    throw Object.assign(
      new HearthError(
        "TOO_MANY_ATTEMPTS",
        `too many failed authentications; try again in ${Math.ceil(wait / 1000)} s`,
      ),
      { retryAfterS: Math.ceil(wait / 1000) },
    );
  }
  try {
    return await verifiedCaller(req, body, store);
  } catch (err) {
    failures?.fail(req.ip);
    throw err;
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
