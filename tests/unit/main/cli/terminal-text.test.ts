// Task text made safe for a terminal: C0 (but tab and, in multi-line text, newline), DEL and C1 shown as escapes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeControls, escapeLine, jsonText } from "../../../../main/cli/terminal-text.ts";

test("every C0 control but tab and newline, DEL and every C1 control show as escapes", () => {
  assert.equal(
    escapeControls("a\u001b[2Jb\u0007\r\nc\td\u007f\u009b31m\u0085\u0000"),
    "a\\x1b[2Jb\\x07\\x0d\nc\td\\x7f\\u009b31m\\u0085\\x00",
  );
  for (let c = 0; c <= 0x9f; c++) {
    const ch = String.fromCharCode(c);
    const control = c < 0x20 || c >= 0x7f;
    const kept = !control || ch === "\t" || ch === "\n";
    assert.equal(escapeControls(ch) === ch, kept, `U+${c.toString(16).padStart(4, "0")}`);
  }
  // Printable text, non-ASCII letters and the characters just past C1 are left alone.
  assert.equal(escapeControls("héllo ☃ \u00a0 \\x1b"), "héllo ☃ \u00a0 \\x1b");
});

test("a single line shows its own newlines too, so it cannot forge lines of its own", () => {
  assert.equal(
    escapeLine("ok\nEND RequestId: fake\r\u001b]0;title\u0007"),
    "ok\\x0aEND RequestId: fake\\x0d\\x1b]0;title\\x07",
  );
  assert.equal(escapeLine("a\tb"), "a\tb");
});

test("escaping twice changes nothing more: escaped text holds no control characters", () => {
  const once = escapeLine("\u001b\u009b\n");
  assert.equal(escapeLine(once), once);
  assert.equal(escapeControls(once), once);
});

test("JSON escapes DEL and C1 as well, and still parses to the same value", () => {
  const value = { line: "x\u001b[31m\u009b2J\u007f\u0085y", n: 1 };
  const text = jsonText(value);
  assert.doesNotMatch(text, /\p{Cc}/u);
  assert.match(text, /\\u009b2J\\u007f\\u0085y/);
  assert.deepEqual(JSON.parse(text), value);
  assert.deepEqual(JSON.parse(jsonText(value, 2)), value);
  assert.equal(jsonText(undefined), "null");
});
