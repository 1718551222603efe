// `hearth serve --ready-file` where the file cannot be written: refused before anything starts (the file being
// written once ready is tested with a real server in tests/vm/startup-port.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EXIT } from "../../../../main/cli/exit-codes.ts";
import { runHearth } from "./hearth-run.ts";

test("a ready file in a folder that does not exist is a usage error, said before the port opens", async (t) => {
  const data = mkdtempSync(join(tmpdir(), "hearth-ready-file-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const missing = join(data, "no-such-folder", "ready");
  const r = await runHearth(["serve", "--port", "0", "--ready-file", missing], {
    tty: false,
    env: { HEARTH_DATA: data },
  });
  assert.equal(r.code, EXIT.usage, r.stderr);
  assert.match(r.stderr, /--ready-file: .*no-such-folder is not a folder this user can write to/);
  assert.doesNotMatch(r.stderr, /open the window/, "no port was opened");
});
