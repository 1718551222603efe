// The guest's runtime check: a task runs only on the version its runtime names, else is refused with the list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  availableRuntimes,
  guestRuntimeProblem,
  nodeBinary,
  readGuestRuntimes,
} from "../../../vm-images/agent/guest-runtimes.ts";

const guest = {
  node: { "20": "v20.20.2", "22": "v22.23.5", "24": "v24.22.3" },
  python: "3.11",
  provided: true,
};

test("lists what the image carries", () => {
  assert.deepEqual(availableRuntimes(guest), [
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.11",
    "python3",
    "provided.al2023",
    "provided.al2",
  ]);
});

test("a runtime the image carries passes; another is refused naming what it has", () => {
  const runtimes = ["nodejs", "nodejs20.x", "nodejs22.x", "nodejs24.x", "python3", "python3.11"] as const;
  for (const ok of [...runtimes, "provided", "provided.al2", "provided.al2023"] as const) {
    assert.equal(guestRuntimeProblem(ok, guest), null, ok);
  }
  assert.match(
    guestRuntimeProblem("python3.12", guest)!,
    /has Python 3\.11, not 3\.12; this VM image has nodejs20\.x/,
  );
  const older = { node: { "20": "v20.20.2" }, python: "3.11", provided: false };
  assert.match(
    guestRuntimeProblem("nodejs24.x", older)!,
    /Node\.js 24 is not in this VM image; this VM image has nodejs20\.x, python3\.11/,
  );
  assert.match(
    guestRuntimeProblem("provided.al2023", older)!,
    /custom runtimes \(a bootstrap\) are not in this VM image; this VM image has nodejs20\.x, python3\.11, python3$/,
  );
});

test("each major starts its own binary", () => {
  assert.equal(nodeBinary("nodejs"), "/usr/bin/node");
  assert.equal(nodeBinary("nodejs24.x"), "/opt/node24/bin/node");
});

test("reads the image's record, and an image without one has only the agent's Node.js", () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-guest-runtimes-"));
  try {
    const file = join(dir, "runtimes.json");
    writeFileSync(file, JSON.stringify(guest));
    assert.deepEqual(readGuestRuntimes(file), guest);
    const none = readGuestRuntimes(join(dir, "missing.json"));
    assert.deepEqual(Object.keys(none.node), ["20"]);
    assert.equal(none.python, "");
    assert.equal(none.provided, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
