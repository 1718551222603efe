// Cross-profile aliases: need a live grant, live in the caller's profile, customize within limits, keep secrets sealed.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  configureCrossProfileAlias,
  createCrossProfileAlias,
  openSecrets,
} from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { updateAlias } from "../../../../../main/domain/aliases/aliases.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError, fakeSealer } from "../domain-world.ts";

test("the grantee creates an alias in its own profile on the owner's task, defaults applied", () => {
  const { w, caller, ownerAccount, taskId, grant } = crossWorld();
  const a = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 },
      w.ctx,
    ),
  );
  assert.equal(a.profileId, caller);
  assert.equal(a.crossProfile, true);
  assert.deepEqual(a.task, { id: taskId, name: "resize", ownerAccountId: ownerAccount });
  assert.deepEqual(a.customization, {
    environment: {},
    secretNames: [],
    memoryMb: null,
    timeoutS: null,
    runsIn: "owner",
  });
  assert.equal(w.state.aliases[0]?.grantId, grant.id);
});

test("without a grant the task reads as missing, whether it exists or not", () => {
  const { w, stranger, owner, ownerAccount } = crossWorld();
  const real = expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        stranger,
        { ownerAccountId: ownerAccount, task: "resize", name: "x", version: 1 },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
    "task",
  );
  const fake = expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        stranger,
        { ownerAccountId: ownerAccount, task: "nothing", name: "x", version: 1 },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
    "task",
  );
  assert.equal(real.message.replace("resize", "nothing"), fake.message);
  // The owner cannot use the cross-profile path on its own task either.
  expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        owner,
        { ownerAccountId: ownerAccount, task: "resize", name: "x", version: 1 },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
  );
});

test("version, split and name follow the same rules as any alias", () => {
  const { w, caller, ownerAccount } = crossWorld();
  const base = {
    ownerAccountId: ownerAccount,
    task: "resize",
    name: "prod",
    version: 1 as number | "$LATEST",
  };
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, version: 5 }, w.ctx),
    "VERSION_NOT_FOUND",
    "version",
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, name: "42" }, w.ctx),
    "INVALID_INPUT",
    "name",
  );
  const split = w.apply((s) =>
    createCrossProfileAlias(s, caller, { ...base, split: { additionalVersion: 2, weight: 0.5 } }, w.ctx),
  );
  assert.deepEqual(split.routing.split, { additionalVersion: 2, weight: 0.5 });
  expectError(() => createCrossProfileAlias(w.state, caller, base, w.ctx), "ALIAS_EXISTS", "name");
  const latest = w.apply((s) =>
    createCrossProfileAlias(s, caller, { ...base, name: "edge", version: "$LATEST" }, w.ctx),
  );
  assert.equal(latest.routing.version, "$LATEST");
});

test("memory and timeout stay within the grant's limits and Lambda's ranges", () => {
  const { w, caller, ownerAccount } = crossWorld({ maxMemoryMb: 512, maxTimeoutS: 30 });
  const base = { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 };
  const e = expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, memoryMb: 1024 }, w.ctx),
    "GRANT_LIMIT_EXCEEDED",
    "memoryMb",
  );
  assert.equal(
    e.message,
    'GRANT_LIMIT_EXCEEDED: memoryMb 1024 exceeds the owner\'s limit of 512 for task "resize"',
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, timeoutS: 31 }, w.ctx),
    "GRANT_LIMIT_EXCEEDED",
    "timeoutS",
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, memoryMb: 100 }, w.ctx),
    "INVALID_INPUT",
    "memoryMb",
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, timeoutS: 0 }, w.ctx),
    "INVALID_INPUT",
    "timeoutS",
  );
  const ok = w.apply((s) =>
    createCrossProfileAlias(s, caller, { ...base, memoryMb: 512, timeoutS: 30 }, w.ctx),
  );
  assert.equal(ok.customization?.memoryMb, 512);
  assert.equal(ok.customization?.timeoutS, 30);
});

test("without limits in the grant only Lambda's ranges apply", () => {
  const { w, caller, ownerAccount } = crossWorld();
  const ok = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "big",
        version: 1,
        memoryMb: 10240,
        timeoutS: 900,
      },
      w.ctx,
    ),
  );
  assert.equal(ok.customization?.memoryMb, 10240);
});

test("environment overrides and secrets follow the environment rules and may not overlap", () => {
  const { w, caller, ownerAccount } = crossWorld();
  const base = { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 1 };
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, environment: { AWS_REGION: "x" } }, w.ctx),
    "INVALID_INPUT",
    "environment.AWS_REGION",
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, secrets: { _HEARTH_X: "x" } }, w.ctx),
    "INVALID_INPUT",
    "secrets._HEARTH_X",
  );
  expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        caller,
        { ...base, environment: { K: "a" }, secrets: { K: "b" } },
        w.ctx,
      ),
    "INVALID_INPUT",
    "secrets.K",
  );
  expectError(
    () =>
      createCrossProfileAlias(
        w.state,
        caller,
        { ...base, environment: { A: "x".repeat(3000) }, secrets: { B: "y".repeat(2000) } },
        w.ctx,
      ),
    "INVALID_INPUT",
    "secrets",
  );
  expectError(
    () => createCrossProfileAlias(w.state, caller, { ...base, runsIn: "elsewhere" as "owner" }, w.ctx),
    "INVALID_INPUT",
    "runsIn",
  );
});

test("secrets are stored sealed; reads return only their names", () => {
  const { w, caller, ownerAccount } = crossWorld();
  const a = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "prod",
        version: 1,
        secrets: { API_KEY: "sk-live-very-secret", DB_PASSWORD: "hunter2-but-longer" },
        runsIn: "caller",
      },
      w.ctx,
    ),
  );
  assert.deepEqual(a.customization?.secretNames, ["API_KEY", "DB_PASSWORD"]);
  assert.ok(!JSON.stringify(a).includes("sk-live-very-secret"));
  const doc = JSON.stringify(w.state);
  assert.ok(!doc.includes("sk-live-very-secret"));
  assert.ok(!doc.includes("hunter2-but-longer"));
  const stored = w.state.aliases[0]?.customization;
  assert.ok(stored?.sealedSecrets?.startsWith("sealed:"));
  assert.deepEqual(openSecrets(stored!, fakeSealer), {
    API_KEY: "sk-live-very-secret",
    DB_PASSWORD: "hunter2-but-longer",
  });
});

test("configure: secrets patch by name, environment replaces, limits still hold, only the holder may", () => {
  const { w, caller, stranger, ownerAccount } = crossWorld({ maxMemoryMb: 1024 });
  const a = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      {
        ownerAccountId: ownerAccount,
        task: "resize",
        name: "prod",
        version: 1,
        secrets: { A: "1", B: "2" },
        environment: { E: "e" },
      },
      w.ctx,
    ),
  );
  const saltBefore = w.state.aliases[0]?.customization?.secretsSalt;
  const v = w.apply((s) =>
    configureCrossProfileAlias(
      s,
      caller,
      { aliasId: a.id, secrets: { A: null, C: "3" }, environment: { F: "f" }, memoryMb: 1024 },
      w.ctx,
    ),
  );
  assert.deepEqual(v.customization?.secretNames, ["B", "C"]);
  assert.deepEqual(v.customization?.environment, { F: "f" });
  assert.equal(v.customization?.memoryMb, 1024);
  const stored = w.state.aliases[0]?.customization;
  assert.deepEqual(openSecrets(stored!, fakeSealer), { B: "2", C: "3" });
  assert.notEqual(stored?.secretsSalt, saltBefore);
  // Leaving secrets out keeps them as they are.
  w.apply((s) => configureCrossProfileAlias(s, caller, { aliasId: a.id, runsIn: "caller" }, w.ctx));
  assert.deepEqual(openSecrets(w.state.aliases[0]!.customization!, fakeSealer), { B: "2", C: "3" });
  assert.equal(w.state.aliases[0]?.customization?.runsIn, "caller");
  expectError(
    () => configureCrossProfileAlias(w.state, caller, { aliasId: a.id, memoryMb: 2048 }, w.ctx),
    "GRANT_LIMIT_EXCEEDED",
    "memoryMb",
  );
  expectError(
    () => configureCrossProfileAlias(w.state, caller, { aliasId: a.id, environment: { B: "clash" } }, w.ctx),
    "INVALID_INPUT",
    "secrets.B",
  );
  expectError(
    () => configureCrossProfileAlias(w.state, stranger, { aliasId: a.id, memoryMb: 256 }, w.ctx),
    "ALIAS_NOT_FOUND",
  );
  // Routing of a cross-profile alias changes through updateAlias, like any alias.
  const moved = w.apply((s) => updateAlias(s, caller, { aliasId: a.id, version: 2 }, w.ctx));
  assert.equal(moved.routing.version, 2);
});
