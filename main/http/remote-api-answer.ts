// What of a remote API's answer reaches the teammate's origin: the body and the headers that describe it, never the
// owner's say over the teammate's browser (redirects, auth prompts, policies, CORS, cookies).
import { HearthError } from "../domain/model/errors.ts";
import type { RemoteApiAnswer } from "../remote/remote-api-call.ts";

/**
 * Headers about the body and its caching only. Anything else is the owner's: `Location` and `Refresh` would send the
 * teammate's browser elsewhere, CSP and CORS would set this origin's policy, `WWW-Authenticate` would prompt for
 * credentials in this origin's name.
 */
const ALLOWED_HEADERS = new Set([
  "content-type",
  "content-encoding",
  "content-language",
  "content-disposition",
  "cache-control",
  "etag",
  "last-modified",
  "expires",
  "vary",
  "retry-after",
  "x-request-id",
  "x-amzn-requestid",
  "apigw-requestid",
]);

/** Types a browser renders as a document that may run script; on this origin they are shown as text. */
const ACTIVE_TYPES =
  /^\s*(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl)\b/i;

/** The answer as this origin serves it; a redirect or a proxy challenge is refused as the owner's protocol error. */
export function remoteApiAnswer(answer: RemoteApiAnswer, name: string): RemoteApiAnswer {
  const { status } = answer;
  // 304 is a cache answer to the caller's own conditional request, not a redirect: it has no Location to follow.
  if ((status >= 300 && status < 400 && status !== 304) || status === 407 || status < 200 || status > 599) {
    throw new HearthError(
      "REMOTE_PROTOCOL_ERROR",
      `the remote API "${name}" answered HTTP ${status}; redirects and proxy challenges are not passed on`,
    );
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(answer.headers)) {
    const key = k.toLowerCase();
    if (ALLOWED_HEADERS.has(key)) headers[key] = v;
  }
  const type = headers["content-type"];
  if (type !== undefined && ACTIVE_TYPES.test(String(type))) {
    headers["content-type"] = "text/plain; charset=utf-8";
    headers["x-hearth-remote-content-type"] = String(type).slice(0, 200);
  }
  return { status, headers, body: answer.body };
}
