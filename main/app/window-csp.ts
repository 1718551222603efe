// The window's Content-Security-Policy on its file:// page, the same policy the browser-mode window gets with its
// files over HTTP (a page from file:// comes with no headers of its own, so the shell adds them).
import { WINDOW_CSP } from "../contract.ts";

/** What Electron's webRequest.onHeadersReceived tells of a response, as far as the policy needs. */
export interface ResponseDetails {
  resourceType: string;
  responseHeaders?: Record<string, string[]>;
}

/** Documents the window may show: its page and any frame in it. Scripts and styles take the page's policy. */
const DOCUMENTS = new Set(["mainFrame", "subFrame"]);

/**
 * The headers to answer a response with: a document gets the window's policy in place of any it came with;
 * anything else is left as it is (`{}` tells Electron to change nothing).
 */
export function withWindowCsp(details: ResponseDetails): { responseHeaders?: Record<string, string[]> } {
  if (!DOCUMENTS.has(details.resourceType)) return {};
  const headers = Object.fromEntries(
    Object.entries(details.responseHeaders ?? {}).filter(
      ([name]) => name.toLowerCase() !== "content-security-policy",
    ),
  );
  return { responseHeaders: { ...headers, "Content-Security-Policy": [WINDOW_CSP] } };
}
