// Share links: `hearth://share?endpoint=…&token=…&fingerprint=sha256:…&name=…`, written by the owner's Hearth and
// read by the teammate's, with every part checked and the one at fault named.
import { z } from "zod";
import { ALIAS_NAME_PATTERN } from "../aliases/alias-target.ts";
import { HearthError } from "../model/errors.ts";
import { parseInput } from "../model/input-validation.ts";
import { TOKEN_PATTERN, TOKEN_PREFIX } from "../access/tokens.ts";

export const SHARE_LINK_PREFIX = "hearth://share";
/** Links arrive from chat messages and other programs: anything longer is not one of ours. */
export const MAX_SHARE_LINK_LENGTH = 4096;
/** A pinned certificate: `sha256:` and the 64 lowercase hex digits of its DER's SHA-256. */
export const PINNED_FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{64}$/;

export interface ShareLinkParts {
  /** The owner's shared listener: `https://host:port` (and a path, behind a proxy), no trailing slash. */
  endpoint: string;
  /** The token minted for the shared alias or API (`hth_…`). */
  token: string;
  /** `sha256:<64 lowercase hex>` of the listener's certificate. */
  fingerprint: string;
  /** The name the owner shares it under; the teammate's local name unless they pick another. */
  name?: string;
  /** "api": the endpoint is a token API's address (`…/apis/<name>`), called route by route; absent: an alias. */
  kind?: "api";
}

const endpointSchema = z
  .string()
  .max(2048, "is too long")
  .transform((s, ctx) => {
    let u: URL | null = null;
    try {
      u = new URL(s);
    } catch {
      // Reported below.
    }
    // The shared listener speaks only TLS; a link must not smuggle credentials, a query or a fragment along.
    if (u === null || u.protocol !== "https:" || u.hostname === "") {
      ctx.addIssue({ code: "custom", message: "must be an https URL (https://host:port)" });
      return z.NEVER;
    }
    if (u.username || u.password || u.search || u.hash) {
      ctx.addIssue({
        code: "custom",
        message: "must be an https URL without credentials, query or fragment",
      });
      return z.NEVER;
    }
    return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
  });

/** Accepts the digits with or without colons (openssl prints them with), in either case; answers one form. */
export const fingerprintSchema = z
  .string()
  .regex(
    /^sha256:(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){31})$/,
    "must be sha256: and the certificate's 64 hex digits",
  )
  .transform((s) => `sha256:${s.slice("sha256:".length).replaceAll(":", "").toLowerCase()}`);

const partsSchema = z.strictObject({
  endpoint: endpointSchema,
  token: z.string().regex(TOKEN_PATTERN, `must be a Hearth token (${TOKEN_PREFIX}…)`),
  fingerprint: fingerprintSchema,
  name: z
    .string()
    .regex(ALIAS_NAME_PATTERN, "must be 1 to 128 letters, digits, - or _, and not only digits")
    .optional(),
  kind: z.enum(["alias", "api"], { error: 'must be "alias" or "api"' }).optional(),
});

/** Checks and normalizes the parts of a link (the same rules whether they come from a link or from fields). */
export function checkShareLinkParts(parts: unknown): ShareLinkParts {
  const p = parseInput(partsSchema, parts);
  return {
    endpoint: p.endpoint,
    token: p.token,
    fingerprint: p.fingerprint,
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.kind === "api" ? { kind: "api" as const } : {}),
  };
}

/** Writes a share link; the parts are checked first, so a link this writes always parses back. */
export function formatShareLink(parts: ShareLinkParts): string {
  const p = checkShareLinkParts(parts);
  const query = new URLSearchParams({ endpoint: p.endpoint, token: p.token, fingerprint: p.fingerprint });
  if (p.name !== undefined) query.set("name", p.name);
  if (p.kind === "api") query.set("kind", "api");
  return `${SHARE_LINK_PREFIX}?${query.toString()}`;
}

/** Reads a share link; throws INVALID_INPUT naming the part at fault (`link` when it is not a share link at all). */
export function parseShareLink(link: string): ShareLinkParts {
  if (typeof link !== "string") throw new HearthError("INVALID_INPUT", "the link must be a string", "link");
  const text = link.trim();
  if (text.length > MAX_SHARE_LINK_LENGTH) {
    throw new HearthError(
      "INVALID_INPUT",
      `the link is longer than ${MAX_SHARE_LINK_LENGTH} characters`,
      "link",
    );
  }
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {
    // Reported below.
  }
  if (
    url === null ||
    url.protocol !== "hearth:" ||
    url.hostname.toLowerCase() !== "share" ||
    !["", "/"].includes(url.pathname) ||
    url.hash !== ""
  ) {
    throw new HearthError(
      "INVALID_INPUT",
      `not a share link: expected ${SHARE_LINK_PREFIX}?endpoint=…&token=…&fingerprint=sha256:…&name=…`,
      "link",
    );
  }
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (Object.hasOwn(params, k)) throw new HearthError("INVALID_INPUT", `the link names ${k} twice`, k);
    params[k] = v;
  }
  return checkShareLinkParts(params);
}
