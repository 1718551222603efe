// Checks the AWS Signature Version 4 on a Lambda API request, so AWS SDKs and the awscli authenticate as a profile.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { HearthError, isHearthError } from "../../domain/model/errors.ts";

/** A request as it came off the wire. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent, still percent-encoded, without the query: SigV4 signs the encoded form. */
  path: string;
  /** The raw query string, without the leading `?` (empty when there is none). */
  query: string;
  /** Node's header object: lower-case names, a string or (for repeated headers) an array. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  body: Buffer | Uint8Array | string;
}

export interface SigV4VerifyOptions {
  /** The secret behind an access key id, or null when there is no such key. Never logged here. */
  lookupSecret: (accessKeyId: string) => string | null | Promise<string | null>;
  /** The service the scope must name; the SDKs and the awscli sign Lambda calls as "lambda". */
  service?: string;
  /** Milliseconds since the epoch; injectable so tests can move the clock. */
  now?: () => number;
  /** How far the request's date may be from now; AWS allows 5 minutes either way. */
  maxSkewMs?: number;
  /**
   * Whether a request may declare `x-amz-content-sha256: UNSIGNED-PAYLOAD`. Off by default: then the signature
   * does not cover the body, and a captured request could be replayed with another event for minutes. The SDKs
   * and the awscli sign Lambda bodies, so they never need it.
   */
  allowUnsignedPayload?: boolean;
}

export interface VerifiedCaller {
  accessKeyId: string;
  /** The region the client signed for; Hearth answers for any, but may echo it in ARNs. */
  region: string;
}

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const FIVE_MINUTES_MS = 5 * 60_000;

const refuse = (detail: string, field = "authorization"): HearthError =>
  new HearthError("CREDENTIALS_INVALID", detail, field);

/**
 * One message for a wrong secret and an unknown key id alike, so an answer never tells whether a key exists.
 */
const MISMATCH = "the request signature does not match; check the access key id and secret access key";

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (d: SourceData): string | Uint8Array =>
  typeof d === "string"
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

/** SHA-256 and HMAC-SHA256 from node's crypto, in the shape the signer asks for (a Checksum constructor). */
export class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    // The signer makes a fresh object per digest; resetting one mid-use would be a bug on its side.
    throw new Error("NodeSha256 does not reset");
  }
}

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=a;b, Signature=hex` */
function parseAuthorization(header: string | undefined, service: string): ParsedAuthorization {
  if (header === undefined || header === "")
    throw refuse(
      "the request has no Authorization header; sign it with SigV4 (an AWS SDK or the awscli does)",
    );
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM)
    throw refuse(`the Authorization header must use ${SIGV4_ALGORITHM}, not "${algorithm.slice(0, 40)}"`);
  const parts = new Map<string, string>();
  for (const piece of header.slice(space + 1).split(",")) {
    const eq = piece.indexOf("=");
    const key = piece.slice(0, eq).trim();
    if (eq < 0 || parts.has(key)) throw refuse("the Authorization header is malformed");
    parts.set(key, piece.slice(eq + 1).trim());
  }
  const credential = parts.get("Credential");
  const signedHeaders = parts.get("SignedHeaders");
  const signature = parts.get("Signature");
  if (parts.size !== 3 || credential === undefined || signedHeaders === undefined || signature === undefined)
    throw refuse("the Authorization header must hold exactly Credential, SignedHeaders and Signature");

  const scope = credential.split("/");
  const [accessKeyId, date, region, scopeService, terminator] = scope;
  if (scope.length !== 5 || !accessKeyId || !/^[A-Za-z0-9]{1,128}$/.test(accessKeyId))
    throw refuse(
      "the Authorization header's Credential must be <access key id>/<date>/<region>/<service>/aws4_request",
    );
  if (!date || !/^\d{8}$/.test(date)) throw refuse("the credential scope's date must be YYYYMMDD");
  if (!region || !/^[a-z0-9-]{1,64}$/.test(region))
    throw refuse("the credential scope's region must be a region name such as us-east-1");
  if (scopeService !== service)
    throw refuse(`the credential scope's service must be "${service}", not "${scopeService?.slice(0, 40)}"`);
  if (terminator !== "aws4_request") throw refuse('the credential scope must end in "aws4_request"');

  const names = signedHeaders.split(";");
  if (!names.every((n) => HEADER_NAME.test(n)))
    throw refuse("SignedHeaders must be lower-case header names separated by semicolons");
  for (const required of ["host", "x-amz-date"])
    if (!names.includes(required)) throw refuse(`SignedHeaders must include ${required}`);
  if (!/^[0-9a-f]{64}$/.test(signature)) throw refuse("the Signature must be 64 lower-case hex digits");
  return { accessKeyId, date, region, service, signedHeaders: names, signature };
}

function headerValue(headers: SignedRequest["headers"], name: string): string | undefined {
  // Own properties only: a listed name such as "constructor" must not reach the object's prototype.
  const v = Object.hasOwn(headers, name) ? headers[name] : undefined;
  // Repeated headers are joined with commas, as the canonical request does.
  return v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
}

/** `20240101T120000Z` to milliseconds, or NaN when it is not such a date. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  // Date.parse rolls 20240231 over to March: a date that does not round-trip is not a date.
  return Number.isNaN(ms) || new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, "") !== s ? NaN : ms;
}

/** The query string as the signer wants it: decoded keys and values, repeated keys as arrays. */
function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    // decodeURIComponent, not URLSearchParams: SigV4 clients encode a space as %20, and a `+` means a plus.
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1));
    const prev = query[key];
    query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return query;
}

function toBuffer(body: SignedRequest["body"]): Buffer {
  return typeof body === "string"
    ? Buffer.from(body, "utf8")
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** Stands in for an unknown key's secret, so a request for one costs what a wrong signature costs. */
const NO_SUCH_KEY_SECRET = "hearth-sigv4-no-such-access-key-0000000000";

/** What the headers alone establish about a signed request: who it claims to be, and when it was signed. */
export interface SignatureClaim {
  auth: ParsedAuthorization;
  signedAt: number;
}

/**
 * The checks a request's headers settle before its body is read: a well-formed Authorization header for the
 * service, and a date within the allowed skew. The signature itself covers the body, so it waits for verifySigV4.
 */
export function checkSigV4Headers(
  headers: SignedRequest["headers"],
  opts: Pick<SigV4VerifyOptions, "service" | "now" | "maxSkewMs"> = {},
): SignatureClaim {
  const service = opts.service ?? "lambda";
  const now = (opts.now ?? Date.now)();
  const maxSkewMs = opts.maxSkewMs ?? FIVE_MINUTES_MS;
  const auth = parseAuthorization(headerValue(headers, "authorization"), service);

  const amzDate = headerValue(headers, "x-amz-date") ?? "";
  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt))
    throw refuse("the x-amz-date header must be a date such as 20240101T120000Z", "x-amz-date");
  if (!amzDate.startsWith(auth.date))
    throw refuse("the credential scope's date must be the day of x-amz-date", "x-amz-date");
  if (Math.abs(now - signedAt) > maxSkewMs) {
    throw refuse(
      `the request was signed at ${new Date(signedAt).toISOString()}, more than ${maxSkewMs / 60_000} minutes ` +
        `from this host's clock (${new Date(now).toISOString()}); check the clocks`,
      "x-amz-date",
    );
  }
  return { auth, signedAt };
}

/**
 * Verifies a SigV4-signed request: recomputes the signature over the headers the request lists, with the secret
 * of the key it names, and compares in constant time. Returns the caller's key id, or throws CREDENTIALS_INVALID.
 */
export async function verifySigV4(req: SignedRequest, opts: SigV4VerifyOptions): Promise<VerifiedCaller> {
  const service = opts.service ?? "lambda";
  const { auth, signedAt } = checkSigV4Headers(req.headers, opts);

  const body = toBuffer(req.body);
  const declared = headerValue(req.headers, "x-amz-content-sha256");
  if (declared !== undefined) {
    if (declared === UNSIGNED_PAYLOAD) {
      if (!opts.allowUnsignedPayload)
        throw refuse("UNSIGNED-PAYLOAD is not accepted: sign the body", "x-amz-content-sha256");
    } else if (declared !== createHash("sha256").update(body).digest("hex")) {
      // The signer would trust the header; the body must be checked against it here.
      throw refuse("x-amz-content-sha256 is not the SHA-256 of the body", "x-amz-content-sha256");
    }
  }

  const headers = Object.create(null) as Record<string, string>;
  for (const name of auth.signedHeaders) {
    const v = headerValue(req.headers, name);
    if (v === undefined) throw refuse(`the signed header ${name} is missing from the request`);
    headers[name] = v;
  }

  let query: Record<string, string | string[]>;
  try {
    query = parseQuery(req.query);
  } catch {
    throw refuse("the query string is not valid percent-encoding", "query");
  }

  let secret: string | null;
  try {
    secret = await opts.lookupSecret(auth.accessKeyId);
  } catch (err) {
    // openSigningSecret refuses an unknown id this way; it means the same as null.
    if (!isHearthError(err, "CREDENTIALS_INVALID")) throw err;
    secret = null;
  }

  const signer = new SignatureV4({
    service,
    region: auth.region,
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret ?? NO_SUCH_KEY_SECRET },
    sha256: NodeSha256,
    // Off, or the signer would add an x-amz-content-sha256 header the client may not have signed.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method.toUpperCase(),
      protocol: "https:",
      hostname: headers.host ?? "",
      path: req.path,
      query,
      headers,
      body,
    },
    { signingDate: new Date(signedAt), signableHeaders: new Set(auth.signedHeaders) },
  );
  const m = /SignedHeaders=([^,]*), Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? "");
  const expected = Buffer.from(m?.[2] ?? "", "hex");
  const presented = Buffer.from(auth.signature, "hex");
  const same = expected.length === 32 && timingSafeEqual(expected, presented);
  // The header list is checked too: the signer signs x-amz-date whether or not the client listed it.
  if (!same || secret === null || m?.[1] !== auth.signedHeaders.join(";")) throw refuse(MISMATCH);
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}
