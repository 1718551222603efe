// Where the window may go: its own page (any hash or query of it) and nothing else; http(s) links open outside.
import { fileURLToPath } from "node:url";

/** Whether `url` is the app's own page, the file `indexFile` (an absolute path). */
export function isAppUrl(url: string, indexFile: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== "file:") return false;
  try {
    // The path alone decides: the window's router may use the hash and the query.
    return fileURLToPath(u) === indexFile;
  } catch {
    return false;
  }
}

/** The link to hand to the system browser, when it is one a browser should open (http or https only). */
export function externalUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}
