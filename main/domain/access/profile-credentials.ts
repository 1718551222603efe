// Access keys of a profile: minting a pair, checking a presented secret, and recovering it for SigV4.
import { isoTime, type SecretSealer } from "../model/command-context.ts";
import { HearthError } from "../model/errors.ts";
import { hashSecret, verifySecret } from "../model/hashing.ts";
import { randomChars, type RandomSource } from "../model/random-source.ts";
import type { HearthState, Profile, ProfileCredential } from "../model/state.ts";

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** AWS secrets are 40 characters of this alphabet; SDKs and shells accept them as they are. */
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
export const ACCESS_KEY_ID_PATTERN = /^HKIA[A-Z0-9]{16}$/;

export interface IssuedCredentials {
  accessKeyId: string;
  /** Shown once, when minted; afterwards only its hash and its sealed copy exist. */
  secretAccessKey: string;
}

export function mintCredential(
  state: HearthState,
  random: RandomSource,
  sealer: SecretSealer,
  now: number,
): { record: ProfileCredential; issued: IssuedCredentials } {
  const taken = new Set(state.profiles.flatMap((p) => p.credentials.map((c) => c.accessKeyId)));
  let accessKeyId: string;
  do accessKeyId = `HKIA${randomChars(random, UPPER_ALNUM, 16)}`;
  while (taken.has(accessKeyId));
  const secretAccessKey = randomChars(random, SECRET_ALPHABET, 40);
  return {
    record: {
      accessKeyId,
      secretHash: hashSecret(secretAccessKey, random.bytes(16)),
      // Sealed as well as hashed: SigV4 verification recomputes an HMAC keyed by the raw secret.
      secretSealed: sealer.seal(secretAccessKey),
      createdAt: isoTime(now),
    },
    issued: { accessKeyId, secretAccessKey },
  };
}

function findCredential(
  state: HearthState,
  accessKeyId: string,
): { profile: Profile; credential: ProfileCredential } | undefined {
  for (const profile of state.profiles) {
    const credential = profile.credentials.find((c) => c.accessKeyId === accessKeyId);
    if (credential) return { profile, credential };
  }
  return undefined;
}

/** Whether some profile holds this access key id (ids are not secret; what they open is). */
export function accessKeyExists(state: HearthState, accessKeyId: string): boolean {
  return findCredential(state, accessKeyId) !== undefined;
}

const invalid = (): HearthError =>
  new HearthError("CREDENTIALS_INVALID", "the access key id or secret is not valid", "accessKeyId");

/** The profile whose key pair this is; a wrong id and a wrong secret fail alike. */
export function authenticateSecret(state: HearthState, accessKeyId: string, secret: string): string {
  const found = findCredential(state, accessKeyId);
  if (!found || !verifySecret(found.credential.secretHash, secret)) throw invalid();
  return found.profile.id;
}

/** The raw secret behind an access key id, for checking a SigV4 signature; the result must never be logged. */
export function openSigningSecret(
  state: HearthState,
  accessKeyId: string,
  sealer: Pick<SecretSealer, "open">,
): { profileId: string; secretAccessKey: string } {
  const found = findCredential(state, accessKeyId);
  if (!found) throw invalid();
  return { profileId: found.profile.id, secretAccessKey: sealer.open(found.credential.secretSealed) };
}
