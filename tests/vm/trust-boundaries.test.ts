// A grantee's alias on another profile's task, on real VMs: every customization the owner did not allow is refused
// with its field named, what was allowed still works, and neither results, errors, live logs nor stored logs
// ever give the grantee the owner's code, environment, secrets or file paths.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CommandContext } from "../../main/domain/model/command-context.ts";
import {
  configureCrossProfileAlias,
  createCrossProfileAlias,
} from "../../main/domain/aliases/cross-profile-aliases.ts";
import { HearthError } from "../../main/domain/model/errors.ts";
import { createGrant } from "../../main/domain/aliases/grants.ts";
import type { Host } from "../../main/host.ts";
import { liveLogTail } from "../../main/operations/logs.ts";
import type { InvokeResult } from "../../main/invoke/engine.ts";
import type { LogRecord } from "../../main/store/log-files.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { closeHost, profileWith, startHost } from "../helpers/reliability-host.ts";

let host: Host;
let dataDir = "";
let owner = "";
let grantee = "";
let ownerAccount = "";
const ctx = (): CommandContext => ({ now: Date.now(), random: systemRandom, sealer: host.store.secrets });

/** What the owner keeps to itself: its secret's value, its code's words, where its code lives. */
const OWNER_PRIVATE = [
  "owner-secret-placeholder",
  "broken-exit-source-marker",
  "missing-config.json",
  "broken-path-config.json",
  "/var/sandboxes",
  "/var/task",
  "index.mjs",
  "node.mjs",
];

function refusal(run: () => unknown): HearthError {
  try {
    run();
  } catch (err) {
    if (err instanceof HearthError) return err;
    throw err;
  }
  assert.fail("expected a refusal");
}

function aliasInput(task: string, name: string, extra: Record<string, unknown> = {}) {
  return { ownerAccountId: ownerAccount, task, name, version: "$LATEST" as const, ...extra };
}

async function makeAlias(task: string, name: string, extra: Record<string, unknown> = {}) {
  return host.store.documents.update((s) =>
    createCrossProfileAlias(s, grantee, aliasInput(task, name, extra), ctx()),
  );
}

/** Invokes through the grantee's alias, keeping what its live log tail and its result said. */
async function asGrantee(
  task: string,
  alias: string,
  payload: unknown,
): Promise<{ result: InvokeResult | null; thrown: string; live: LogRecord[]; told: string }> {
  const live: LogRecord[] = [];
  const unsubscribe = liveLogTail(
    host,
    { kind: "profile", profileId: grantee },
    { task, ownerAccountId: ownerAccount },
  )((r) => live.push(r));
  let result: InvokeResult | null = null;
  let thrown = "";
  try {
    result = await host.engine.invoke({
      callerProfileId: grantee,
      ref: { task, qualifier: alias, ownerAccountId: ownerAccount },
      payload: JSON.stringify(payload),
    });
  } catch (err) {
    thrown = JSON.stringify({ message: (err as Error).message, ...(err as object) });
  }
  await host.logs.flush();
  unsubscribe();
  return { result, thrown, live, told: JSON.stringify({ result, thrown, live }) };
}

async function storedAsGrantee(task: string): Promise<string> {
  await host.logs.flush();
  const taskId = host.store.documents.state.tasks.find((t) => t.name === task && t.profileId === owner)!.id;
  return JSON.stringify(await host.logs.files.query(taskId, { caller: grantee }));
}

function assertNothingPrivate(text: string, where: string): void {
  for (const s of OWNER_PRIVATE)
    assert.ok(!text.includes(s), `${where} holds "${s}": ${text.slice(0, 2000)}`);
}

before(async () => {
  ({ host, dataDir } = await startHost("trust", { warm: 1 }));
  owner = await profileWith(host, "owner", ["vault", "broken-exit", "broken-path"]);
  grantee = await profileWith(host, "grantee", []);
  ownerAccount = host.store.documents.state.profiles.find((p) => p.id === owner)!.accountId;
  for (const task of ["vault", "broken-exit", "broken-path"]) {
    await host.store.documents.update((s) =>
      createGrant(s, owner, { task, granteeProfileId: grantee }, ctx()),
    );
  }
});

after(async () => {
  assert.deepEqual(await closeHost(host, dataDir), [], "VMs left running after the host closed");
});

describe("what a grantee's alias may set", () => {
  const LOADERS: Record<string, string> = {
    NODE_OPTIONS: "--import=data:text/javascript,console.log(process.env)",
    NODE_PATH: "/tmp",
    LD_PRELOAD: "/tmp/evil.so",
    LD_LIBRARY_PATH: "/tmp",
    PYTHONPATH: "/tmp/evil",
    PYTHONSTARTUP: "/tmp/evil.py",
    PYTHONWARNINGS: "ignore::DeprecationWarning:antigravity",
    BROWSER: "sh -c id",
    PATH: "/tmp",
  };

  test("loader and interpreter variables are refused in the environment and as secrets, naming the field", () => {
    for (const [name, value] of Object.entries(LOADERS)) {
      for (const field of ["environment", "secrets"] as const) {
        const err = refusal(() =>
          createCrossProfileAlias(
            host.store.documents.state,
            grantee,
            aliasInput("vault", `bad-${field}`, { [field]: { [name]: value } }),
            ctx(),
          ),
        );
        assert.equal(err.code, "CUSTOMIZATION_NOT_ALLOWED", `${field}.${name}: ${err.message}`);
        assert.equal(err.field, `${field}.${name}`);
      }
    }
  });

  test("an owner cannot allow one either", () => {
    const err = refusal(() =>
      createGrant(
        host.store.documents.state,
        owner,
        { task: "vault", granteeProfileId: grantee, allowedEnvironment: ["GREETING", "NODE_OPTIONS"] },
        ctx(),
      ),
    );
    assert.equal(err.code, "INVALID_INPUT");
    assert.equal(err.field, "allowedEnvironment.1");
  });

  test("a variable the owner did not declare or list is refused, without naming what the owner declared", () => {
    const err = refusal(() =>
      createCrossProfileAlias(
        host.store.documents.state,
        grantee,
        aliasInput("vault", "undeclared", { environment: { DEBUG: "1" } }),
        ctx(),
      ),
    );
    assert.equal(err.code, "CUSTOMIZATION_NOT_ALLOWED");
    assert.equal(err.field, "environment.DEBUG");
    assert.ok(!err.message.includes("SECRET_API_KEY"), err.message);
  });

  test("what the owner allows still works: the grantee's value reaches the task, the owner's secret stays", async () => {
    const alias = await makeAlias("vault", "mine", {
      environment: { GREETING: "hej" },
      secrets: { SECRET_API_KEY: "the-grantees-own-key" },
    });
    const { result, told } = await asGrantee("vault", "mine", {});
    assert.equal(result?.ok, true, told);
    assert.deepEqual(JSON.parse(result!.payload!), { greeting: "hej", caller: null, secretSet: true });
    // Reconfiguring is held to the same rule.
    const err = refusal(() =>
      configureCrossProfileAlias(
        host.store.documents.state,
        grantee,
        { aliasId: alias.id, environment: { NODE_OPTIONS: "--require=/proc/self/environ" } },
        ctx(),
      ),
    );
    assert.equal(err.field, "environment.NODE_OPTIONS");
  });
});

describe("what a grantee learns when the owner's task fails", () => {
  test("a thrown error: its type and first line, no trace and no path", async () => {
    await makeAlias("vault", "fails");
    const seen = await asGrantee("vault", "fails", { mode: "throw" });
    assert.equal(seen.result?.ok, false, seen.told);
    assert.equal(seen.result?.error?.errorType, "Error");
    assert.match(seen.result!.error!.errorMessage, /^ENOENT: no such file or directory, open '\[path\]'$/);
    assert.deepEqual(seen.result?.error?.trace, []);
    assertNothingPrivate(seen.told, "the grantee's result and live logs");
    assertNothingPrivate(await storedAsGrantee("vault"), "the grantee's stored logs");
    // The owner's own call tells the owner everything.
    const mine = await host.engine.invoke({
      callerProfileId: owner,
      ref: { task: "vault" },
      payload: JSON.stringify({ mode: "throw" }),
    });
    assert.ok(
      mine.error!.trace.some((l) => l.includes("index.mjs")),
      JSON.stringify(mine.error),
    );
  });

  for (const task of ["broken-exit", "broken-path"]) {
    test(`an init failure (${task}): a refusal naming its type, never the owner's stderr or paths`, async () => {
      await makeAlias(task, "try");
      const seen = await asGrantee(task, "try", {});
      assert.ok(seen.result === null || seen.result.ok === false, seen.told);
      assert.match(seen.told, /Runtime\.\w+|SANDBOX_INIT_FAILED/);
      assertNothingPrivate(seen.told, "the grantee's result, error and live logs");
      assertNothingPrivate(await storedAsGrantee(task), "the grantee's stored logs");
      // The owner's log keeps the detail the grantee was not told.
      const taskId = host.store.documents.state.tasks.find((t) => t.name === task)!.id;
      const full = JSON.stringify(await host.logs.files.query(taskId, {}));
      assert.match(full, task === "broken-exit" ? /broken-exit-source-marker/ : /broken-path-config\.json/);
    });
  }
});
