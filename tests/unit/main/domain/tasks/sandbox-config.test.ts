// Effective sandbox configuration: version config, then alias customizations and secrets; the key separates them all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import type { SandboxSpec } from "../../../../../main/vm/protocol.ts";
import { createAlias } from "../../../../../main/domain/aliases/aliases.ts";
import {
  configureCrossProfileAlias,
  createCrossProfileAlias,
} from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { redactSandboxConfig, sandboxConfig } from "../../../../../main/domain/tasks/sandbox-config.ts";
import { updateTaskCode } from "../../../../../main/domain/tasks/tasks.ts";
import { crossWorld, TEST_ALLOWED_ENV } from "../cross-world.ts";
import { expectError, fakeSealer, sha } from "../domain-world.ts";

test("an own task's version runs with its frozen configuration in the owner's VMs", () => {
  const { w, owner, taskId } = crossWorld();
  const v1 = sandboxConfig(w.state, { taskId, version: 1 }, fakeSealer);
  const spec: SandboxSpec = v1.spec;
  assert.deepEqual(spec, {
    runtime: "nodejs",
    handler: "index.handler",
    functionName: "resize",
    functionVersion: "1",
    memoryMb: 256,
    timeoutMs: 10_000,
    env: { OWNER_DB: "postgres://owner-only" },
    callerEnv: [],
  });
  assert.equal(v1.vmProfileId, owner);
  assert.equal(v1.ownerProfileId, owner);
  assert.deepEqual(v1.code, { sha256: sha("a"), size: 10 });
  assert.match(v1.configKey, /^[0-9a-f]{64}$/);
  const v2 = sandboxConfig(w.state, { taskId, version: 2 }, fakeSealer);
  assert.equal(v2.spec.timeoutMs, 20_000);
  assert.notEqual(v2.configKey, v1.configKey);
  // Same inputs, same key.
  assert.equal(sandboxConfig(w.state, { taskId, version: 1 }, fakeSealer).configKey, v1.configKey);
  expectError(
    () => sandboxConfig(w.state, { taskId, version: 3 }, fakeSealer),
    "VERSION_NOT_FOUND",
    "version",
  );
});

test("$LATEST's key follows its code", () => {
  const { w, owner, taskId } = crossWorld();
  const before = sandboxConfig(w.state, { taskId, version: "$LATEST" }, fakeSealer);
  assert.equal(before.spec.functionVersion, "$LATEST");
  w.apply((s) => updateTaskCode(s, owner, { task: "resize", code: { sha256: sha("b"), size: 1 } }, w.ctx));
  const after = sandboxConfig(w.state, { taskId, version: "$LATEST" }, fakeSealer);
  assert.equal(after.code.sha256, sha("b"));
  assert.notEqual(after.configKey, before.configKey);
});

test("a cross-profile alias layers memory, timeout, environment and secrets over the version", () => {
  const { w, caller, ownerAccount, taskId } = crossWorld({
    allowedEnvironment: [...TEST_ALLOWED_ENV, "OWNER_DB"],
  });
  const a = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "prod",
        version: 1,
        memoryMb: 512,
        timeoutS: 5,
        environment: { BUCKET: "mine" },
        secrets: { OWNER_DB: "postgres://callers-own", API_KEY: "k-123-secret" },
        runsIn: "caller",
      },
      w.ctx,
    ),
  );
  const cfg = sandboxConfig(w.state, { taskId, version: 1, aliasId: a.id }, fakeSealer);
  assert.equal(cfg.spec.memoryMb, 512);
  assert.equal(cfg.spec.timeoutMs, 5000);
  assert.deepEqual(cfg.spec.env, {
    OWNER_DB: "postgres://callers-own",
    BUCKET: "mine",
    API_KEY: "k-123-secret",
  });
  assert.equal(cfg.vmProfileId, caller);
  assert.deepEqual(cfg.secretNames, ["API_KEY", "OWNER_DB"]);
  // Every value the grantee set is named, so the guest never lets one of them steer a runtime's start.
  assert.deepEqual(cfg.spec.callerEnv, ["API_KEY", "BUCKET", "OWNER_DB"]);
  assert.equal(cfg.aliasId, a.id);
  // Logging the config (JSON or inspect) never shows secret values; the spec sent to the guest still has them.
  for (const text of [
    JSON.stringify(cfg),
    inspect(cfg, { depth: 5 }),
    JSON.stringify(redactSandboxConfig(cfg)),
  ]) {
    assert.ok(!text.includes("k-123-secret"), text);
    assert.ok(!text.includes("callers-own"), text);
    assert.ok(text.includes("BUCKET"));
  }
  w.apply((s) => configureCrossProfileAlias(s, caller, { aliasId: a.id, runsIn: "owner" }, w.ctx));
  assert.equal(
    sandboxConfig(w.state, { taskId, version: 1, aliasId: a.id }, fakeSealer).vmProfileId,
    w.state.tasks[0]?.profileId,
  );
});

test("aliases whose customizations differ never share a key; equal ones do", () => {
  const { w, caller, owner, ownerAccount, taskId } = crossWorld();
  const make = (name: string, extra: Record<string, unknown>) =>
    w.apply((s) =>
      createCrossProfileAlias(
        s,
        caller,
        { ownerAccountId: ownerAccount, task: "resize", name, version: 1, ...extra },
        w.ctx,
      ),
    ).id;
  const ids = {
    plain: make("plain", {}),
    plainTwin: make("plain-twin", {}),
    env: make("env", { environment: { X: "1" } }),
    memory: make("memory", { memoryMb: 1024 }),
    timeout: make("timeout", { timeoutS: 9 }),
    callerVm: make("caller-vm", { runsIn: "caller" }),
    secretA: make("secret-a", { secrets: { S: "a" } }),
    secretB: make("secret-b", { secrets: { S: "b" } }),
  };
  const own = w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 1 }, w.ctx)).id;
  const key = (aliasId: string | null) =>
    sandboxConfig(w.state, { taskId, version: 1, aliasId }, fakeSealer).configKey;
  assert.equal(key(ids.plain), key(ids.plainTwin));
  assert.equal(key(own), key(null));
  assert.equal(key(ids.plain), key(null));
  const distinct = [ids.plain, ids.env, ids.memory, ids.timeout, ids.callerVm, ids.secretA, ids.secretB].map(
    key,
  );
  assert.equal(new Set(distinct).size, distinct.length);
});

test("an alias only runs versions it routes to", () => {
  const { w, caller, ownerAccount, taskId } = crossWorld();
  const a = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "canary",
        version: 1,
        split: { additionalVersion: 2, weight: 0.1 },
      },
      w.ctx,
    ),
  );
  assert.equal(
    sandboxConfig(w.state, { taskId, version: 2, aliasId: a.id }, fakeSealer).spec.functionVersion,
    "2",
  );
  expectError(
    () => sandboxConfig(w.state, { taskId, version: "$LATEST", aliasId: a.id }, fakeSealer),
    "INVALID_INPUT",
    "version",
  );
  expectError(
    () => sandboxConfig(w.state, { taskId, version: 1, aliasId: "als_missing" }, fakeSealer),
    "ALIAS_NOT_FOUND",
  );
});

test("the grantee's VMs run the owner's code only with the owner's consent, and its environment only if said", () => {
  for (const callerPlacement of ["none", "code", "code-and-environment"] as const) {
    const { w, caller, ownerAccount, taskId } = crossWorld({ callerPlacement });
    const input = {
      ownerAccountId: ownerAccount,
      task: "resize",
      name: "here",
      version: 1 as const,
      environment: { BUCKET: "mine" },
    };
    if (callerPlacement === "none") {
      expectError(
        () => createCrossProfileAlias(w.state, caller, { ...input, runsIn: "caller" }, w.ctx),
        "CUSTOMIZATION_NOT_ALLOWED",
        "runsIn",
      );
      continue;
    }
    const a = w.apply((s) => createCrossProfileAlias(s, caller, { ...input, runsIn: "caller" }, w.ctx));
    const cfg = sandboxConfig(w.state, { taskId, version: 1, aliasId: a.id }, fakeSealer);
    assert.equal(cfg.vmProfileId, caller);
    assert.deepEqual(
      cfg.spec.env,
      callerPlacement === "code" ? { BUCKET: "mine" } : { OWNER_DB: "postgres://owner-only", BUCKET: "mine" },
    );
    // Consent withdrawn (a grant from before, edited by hand): the alias runs in the owner's VMs again.
    const grant = w.state.grants[0]!;
    grant.limits.callerPlacement = "none";
    assert.equal(
      sandboxConfig(w.state, { taskId, version: 1, aliasId: a.id }, fakeSealer).vmProfileId,
      w.state.tasks[0]!.profileId,
    );
  }
});
