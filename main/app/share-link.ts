// Finds the hearth:// share link a launch carries (Linux and Windows pass it as an argument; macOS by open-url).
// Reading and checking the link itself is main/domain/sharing/share-link.ts's, the same rules as `hearth remote add`.
export { parseShareLink } from "../domain/sharing/share-link.ts";

export const SHARE_LINK_PROTOCOL = "hearth";

/** The first argument that is a hearth:// link, if any. */
export function shareLinkArgument(argv: readonly string[]): string | undefined {
  return argv.find((a) => a.toLowerCase().startsWith(`${SHARE_LINK_PROTOCOL}://`));
}
