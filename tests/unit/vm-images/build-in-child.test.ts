// The build run beside the host: its counted steps reach the window's progress, every line its log, and a failed
// build rejects with the build's own last words, while the caller's event loop stays free throughout.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildImageInChild } from "../../../vm-images/builder/build-in-child.ts";
import { parseStepLine, stepLine } from "../../../vm-images/builder/build-image.ts";

const node = (script: string) => ({ file: process.execPath, args: ["-e", script] });

test("a printed step reads back as the step it announced; other lines are not steps", () => {
  assert.deepEqual(parseStepLine(stepLine(3, 8, "fetching kernel linux-image-6.1 (x)", 1234)), {
    n: 3,
    of: 8,
    message: "fetching kernel linux-image-6.1 (x)",
  });
  assert.equal(parseStepLine("modules: virtio_blk squashfs"), null);
  assert.equal(parseStepLine("[3/8] no time"), null);
});

test("steps and lines arrive as the child prints them, and the caller's timers keep running", async () => {
  const steps: string[] = [];
  const lines: string[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  try {
    await buildImageInChild({
      outDir: "/nonexistent",
      log: (l) => lines.push(l),
      onStep: (n, of, m) => steps.push(`${n}/${of} ${m}`),
      // A child that blocks its own loop for 400 ms between two steps, as the build's synchronous tools do.
      command: node(
        `console.error("[1/2] checking tools (0.0 s)");` +
          `const t = Date.now(); while (Date.now() - t < 400) {}` +
          `console.log("a plain line"); console.error("[2/2] writing the manifest (0.4 s)");`,
      ),
    });
  } finally {
    clearInterval(timer);
  }
  assert.deepEqual(steps, ["1/2 checking tools", "2/2 writing the manifest"]);
  assert.ok(lines.includes("a plain line"), lines.join("\n"));
  assert.equal(lines.length, 3);
  assert.ok(ticks >= 10, `the caller's timer ran ${ticks} times while the child was busy`);
});

test("a failed build rejects with its exit code and its last line", async () => {
  await assert.rejects(
    buildImageInChild({
      outDir: "/nonexistent",
      log: () => {},
      onStep: () => {},
      command: node(
        `console.error("[1/8] checking tools (0.0 s)");` +
          `console.error("hearth: TOOL_MISSING: \\"cpio\\" is not installed"); process.exit(1);`,
      ),
    }),
    (err: Error) => {
      assert.match(err.message, /exited with code 1: TOOL_MISSING: "cpio" is not installed$/);
      return true;
    },
  );
});
