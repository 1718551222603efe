// What the doctor says about the Node running Hearth: too old for Hearth, too old for the desktop tooling, past its end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { nodeChecks, satisfies, thisNodeChecks } from "../../../main/node-support.ts";

test("ranges as package.json files here write them", () => {
  assert.equal(satisfies("v20.19.0", ">=20.19.0"), true);
  assert.equal(satisfies("v20.18.3", ">=20.19.0"), false);
  assert.equal(satisfies("v22.12.0", ">= 22.12.0"), true);
  assert.equal(satisfies("v22.11.9", ">= 22.12.0"), false);
  assert.equal(satisfies("v24.0.0", ">=20"), true);
  // eslint's: a caret pins the major.
  const eslint = "^20.19.0 || ^22.13.0 || >=24";
  assert.equal(satisfies("v20.20.2", eslint), true);
  assert.equal(satisfies("v21.7.0", eslint), false);
  assert.equal(satisfies("v22.12.0", eslint), false);
  assert.equal(satisfies("v22.13.1", eslint), true);
  assert.equal(satisfies("v25.1.0", eslint), true);
  // Shapes it does not read are unknown, not a verdict.
  assert.equal(satisfies("v20.0.0", "20.x"), null);
});

test("a Node below Hearth's range fails the doctor and says what to install", () => {
  const [node] = nodeChecks({
    version: "v18.20.4",
    hearthRange: ">=20.19.0",
    desktopRange: ">= 22.12.0",
    today: "2026-12-06",
  });
  assert.equal(node!.ok, false);
  assert.equal(node!.optional, undefined);
  assert.match(node!.detail, /Node v18\.20\.4 runs here, and Hearth needs Node >=20\.19\.0/);
  assert.match(node!.fix!, /Node\.js 22/);
});

test("Node 20 runs Hearth; the desktop tooling and the end of life are warnings", () => {
  const checks = nodeChecks({
    version: "v20.20.2",
    hearthRange: ">=20.19.0",
    desktopRange: ">= 22.12.0",
    today: "2026-12-06",
  });
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok, c.optional ?? false]),
    [
      ["node", true, false],
      ["node for the desktop app", false, true],
      ["node support", false, true],
    ],
  );
  assert.match(checks[1]!.detail, /needs Node >= 22\.12\.0; Node v20\.20\.2 runs `hearth serve`/);
  assert.match(checks[2]!.detail, /Node 20 reached its end of life on 2026-04-30/);
  // Before the end of life, only the desktop line.
  assert.equal(
    nodeChecks({
      version: "v20.20.2",
      hearthRange: ">=20.19.0",
      desktopRange: ">= 22.12.0",
      today: "2026-01-10",
    }).length,
    2,
  );
});

test("Node 22.12 and newer: one line, all well", () => {
  const checks = nodeChecks({
    version: "v22.23.3",
    hearthRange: ">=20.19.0",
    desktopRange: ">= 22.12.0",
    today: "2026-12-06",
  });
  assert.deepEqual(checks, [{ name: "node", ok: true, detail: "Node v22.23.3 (Hearth needs >=20.19.0)" }]);
});

test("this machine's checks read Hearth's range from package.json", () => {
  const engines = (JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } }).engines
    .node;
  const [node] = thisNodeChecks();
  assert.equal(node!.name, "node");
  assert.ok(node!.detail.includes(process.version));
  assert.ok(node!.detail.includes(engines));
  assert.equal(node!.ok, satisfies(process.version, engines) !== false);
});
