// The invoke payload editor's rules: what counts as a valid payload, and where a JSON mistake is.

export interface PayloadProblem {
  message: string;
  line: number;
  column: number;
}

/** An empty payload is sent as `{}` (Lambda's rule); anything else must parse as JSON. */
export function checkPayload(text: string): PayloadProblem | null {
  if (text.trim() === "") return null;
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const message = (err as Error).message;
    const at = positionOf(message, text);
    const { line, column } = lineAndColumn(text, at);
    return { message: cleanMessage(message), line, column };
  }
}

/** V8 says "… at position 12" or "(line 2 column 5)"; without either, the end of the text is the best guess. */
function positionOf(message: string, text: string): number {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) {
    const lines = text.split("\n");
    let pos = 0;
    for (let i = 0; i < Number(lc[1]) - 1 && i < lines.length; i++) pos += lines[i]!.length + 1;
    return pos + Number(lc[2]) - 1;
  }
  const p = /position (\d+)/.exec(message);
  return p ? Number(p[1]) : text.length;
}

export function lineAndColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

function cleanMessage(message: string): string {
  return message
    .replace(/^JSON\.parse: /, "")
    .replace(/ in JSON at position \d+.*$/, "")
    .replace(/ \(line \d+ column \d+\)$/, "")
    .replace(/, "[\s\S]*" is not valid JSON$/, "");
}

/** Pretty-prints a payload that parses; leaves anything else as it is. */
export function formatPayload(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
