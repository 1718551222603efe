// What an invocation's payload must be before it goes to a sandbox: UTF-8 text (bytes that are not are refused,
// not silently replaced) holding JSON that nests no deeper than the runtimes' JSON readers can follow.
import { HearthError } from "../model/errors.ts";

/** Objects and arrays inside each other at most this deep: Python's json gives up near 1,000 (its recursion limit). */
export const MAX_PAYLOAD_DEPTH = 512;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The payload's bytes as text; INVALID_INPUT naming `field` when they are not UTF-8. */
export function decodePayload(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new HearthError("INVALID_INPUT", `the ${field} is not valid UTF-8 text`, field);
  }
}

/** The deepest nesting of objects and arrays in JSON text, not counting brackets inside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) max = Math.max(max, ++depth);
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/** Refuses a payload that is not JSON, or nests deeper than MAX_PAYLOAD_DEPTH; an empty one passes (it means {}). */
export function checkPayloadJson(payload: string, field: string): void {
  if (payload.trim() === "") return;
  try {
    JSON.parse(payload);
  } catch (err) {
    throw new HearthError(
      "INVALID_INPUT",
      `the ${field} is not valid JSON: ${(err as Error).message}`,
      field,
    );
  }
  const depth = jsonDepth(payload);
  if (depth > MAX_PAYLOAD_DEPTH) {
    throw new HearthError(
      "INVALID_INPUT",
      `the ${field} nests ${depth} levels deep; at most ${MAX_PAYLOAD_DEPTH} are accepted`,
      field,
    );
  }
}
