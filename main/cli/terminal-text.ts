// Text from tasks made safe to print: control characters shown as escapes, so output cannot drive the terminal.
//
// Log lines, results and error messages come from task code, a remote owner's included. A terminal acts on the
// control characters in them instead of showing them: ESC and CSI sequences move the cursor, rewrite lines already
// printed, set the window title or answer back into the shell's input, and a bare \r or \n forges a line of
// Hearth's own (an END, a REPORT). So every C0 control but the tab, DEL and every C1 control (U+0080–U+009F,
// which some terminals take as 8-bit ESC sequences: U+009B is CSI) are printed as `\x1b`, `\x7f`, `\u009b`.
// Backslashes are left as they are: the escapes are for reading, not for parsing back.

/** Unicode's control characters (category Cc): exactly C0, DEL and C1. */
const CONTROL = /\p{Cc}/gu;
/** What JSON.stringify leaves as it is among them: it escapes every C0 control itself. */
const DEL_AND_C1 = /[\u007f-\u009f]/g;

function escapeOne(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** Several lines of text (a table, a message, pretty JSON): its newlines and tabs stay, other controls show. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => (c === "\t" || c === "\n" ? c : escapeOne(c)));
}

/** One line (a log line): even a newline inside it shows as `\x0a`, so it cannot pass for lines of its own. */
export function escapeLine(line: string): string {
  return line.replace(CONTROL, (c) => (c === "\t" ? c : escapeOne(c)));
}

/**
 * JSON text with DEL and C1 controls written as `\u` escapes too: the same value for any JSON parser, and no
 * character a terminal would act on, whether the JSON goes to a terminal, a pipe or a file.
 */
export function jsonText(value: unknown, indent?: number): string {
  // JSON.stringify(undefined) is undefined, not text: such a value prints as null. DEL and C1 can only stand
  // inside strings (JSON's own syntax is printable ASCII), where a \u escape means the same character.
  return (JSON.stringify(value, null, indent) ?? "null").replace(
    DEL_AND_C1,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
