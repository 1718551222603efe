// Function URLs: one per function or alias, ids as Lambda's, fields named when refused, and what they go with;
// and the policy statements written for a URL, which never open the function's ARN.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addPermission,
  statementAllows,
  statementAllowsUrl,
} from "../../../../../main/domain/access/function-policy.ts";
import { createAlias, deleteAlias } from "../../../../../main/domain/aliases/aliases.ts";
import {
  corsAllowsOrigin,
  createFunctionUrl,
  deleteFunctionUrl,
  findFunctionUrl,
  functionUrlById,
  updateFunctionUrl,
} from "../../../../../main/domain/tasks/function-urls.ts";
import { deleteTask } from "../../../../../main/domain/tasks/tasks.ts";
import { expectError, World } from "../domain-world.ts";

function world() {
  const w = new World();
  const owner = w.profile("owner");
  const mate = w.profile("mate");
  w.task(owner, { name: "web" });
  w.publish(owner, "web");
  const alias = w.apply((s) => createAlias(s, owner, { task: "web", name: "live", version: 1 }, w.ctx));
  const account = (id: string) => w.state.profiles.find((p) => p.id === id)!.accountId;
  return { w, owner, mate, alias, account };
}

test("a function and each alias get one URL each, with a 32-character id of their own", () => {
  const { w, owner } = world();
  const plain = w.apply((s) => createFunctionUrl(s, owner, { task: "web", authType: "NONE" }, w.ctx));
  const live = w.apply((s) =>
    createFunctionUrl(s, owner, { task: "web", qualifier: "live", authType: "AWS_IAM" }, w.ctx),
  );
  assert.match(plain.urlId, /^[a-z0-9]{32}$/);
  assert.notEqual(plain.urlId, live.urlId);
  assert.equal(plain.invokeMode, "BUFFERED");
  assert.equal(plain.qualifier, null);
  assert.equal(functionUrlById(w.state, live.urlId)?.qualifier, "live");
  assert.equal(functionUrlById(w.state, "../etc"), undefined);
  // $LATEST is the unqualified function's URL.
  expectError(
    () => createFunctionUrl(w.state, owner, { task: "web", qualifier: "$LATEST", authType: "NONE" }, w.ctx),
    "FUNCTION_URL_EXISTS",
    "qualifier",
  );
  assert.equal(findFunctionUrl(w.state, plain.taskId, "$LATEST")?.urlId, plain.urlId);
});

test("bad fields are refused by name; a version number or another's alias is no URL target", () => {
  const { w, owner, mate } = world();
  expectError(
    () => createFunctionUrl(w.state, owner, { task: "web", authType: "OPEN" as "NONE" }, w.ctx),
    "INVALID_INPUT",
    "authType",
  );
  expectError(
    () =>
      createFunctionUrl(
        w.state,
        owner,
        { task: "web", authType: "NONE", invokeMode: "FAST" as "BUFFERED" },
        w.ctx,
      ),
    "INVALID_INPUT",
    "invokeMode",
  );
  expectError(
    () => createFunctionUrl(w.state, owner, { task: "web", qualifier: "1", authType: "NONE" }, w.ctx),
    "INVALID_INPUT",
    "qualifier",
  );
  expectError(
    () => createFunctionUrl(w.state, owner, { task: "web", qualifier: "nope", authType: "NONE" }, w.ctx),
    "ALIAS_NOT_FOUND",
    "qualifier",
  );
  expectError(
    () =>
      createFunctionUrl(
        w.state,
        owner,
        { task: "web", authType: "NONE", cors: { allowOrigins: ["javascript:alert(1)"] } },
        w.ctx,
      ),
    "INVALID_INPUT",
    "cors.allowOrigins.0",
  );
  expectError(
    () => createFunctionUrl(w.state, mate, { task: "web", authType: "NONE" }, w.ctx),
    "TASK_NOT_FOUND",
  );
  expectError(
    () => deleteFunctionUrl(w.state, owner, { task: "web" }),
    "FUNCTION_URL_NOT_FOUND",
    "qualifier",
  );
});

test("an update keeps what it does not name; CORS origins match without regard to case", () => {
  const { w, owner } = world();
  w.apply((s) =>
    createFunctionUrl(
      s,
      owner,
      { task: "web", authType: "NONE", cors: { allowOrigins: ["http://App.example"], maxAge: 30 } },
      w.ctx,
    ),
  );
  const u = w.apply((s) =>
    updateFunctionUrl(s, owner, { task: "web", invokeMode: "RESPONSE_STREAM" }, w.ctx),
  );
  assert.equal(u.authType, "NONE");
  assert.equal(u.invokeMode, "RESPONSE_STREAM");
  assert.equal(u.cors?.maxAge, 30);
  assert.equal(corsAllowsOrigin(u.cors!, "http://app.example"), true);
  assert.equal(corsAllowsOrigin(u.cors!, "http://app.example.evil"), false);
  const cleared = w.apply((s) => updateFunctionUrl(s, owner, { task: "web", cors: null }, w.ctx));
  assert.equal(cleared.cors, null);
});

test("an alias's URL goes with the alias, and every URL with the task", () => {
  const { w, owner, alias } = world();
  w.apply((s) => createFunctionUrl(s, owner, { task: "web", authType: "NONE" }, w.ctx));
  w.apply((s) => createFunctionUrl(s, owner, { task: "web", qualifier: "live", authType: "NONE" }, w.ctx));
  w.apply((s) => deleteAlias(s, owner, { aliasId: alias.id }));
  assert.deepEqual(
    w.state.functionUrls.map((u) => u.qualifier),
    [null],
  );
  w.apply((s) => deleteTask(s, owner, { task: "web" }));
  assert.deepEqual(w.state.functionUrls, []);
});

test("statements for a URL let in only through the URL; `*` only for auth NONE", () => {
  const { w, owner, mate, account } = world();
  const taskId = w.state.tasks[0]!.id;
  const add = (sid: string, action: string, principal: string, extra: Record<string, unknown> = {}) =>
    w.apply((s) => addPermission(s, owner, { task: "web", sid, action, principal, ...extra }, w.ctx));
  add("url", "lambda:InvokeFunctionUrl", account(mate), { urlAuthType: "AWS_IAM" });
  assert.equal(statementAllowsUrl(w.state, account(mate), taskId, null), true);
  assert.equal(statementAllows(w.state, account(mate), taskId, null), false, "the ARN stays closed");
  add("public", "lambda:InvokeFunctionUrl", "*", { urlAuthType: "NONE" });
  add("via", "lambda:InvokeFunction", "*", { invokedViaFunctionUrl: true });
  assert.equal(statementAllows(w.state, "*", taskId, null), false);
  expectError(
    () =>
      addPermission(
        w.state,
        owner,
        { task: "web", sid: "x", action: "lambda:InvokeFunction", principal: "*" },
        w.ctx,
      ),
    "INVALID_INPUT",
    "Principal",
  );
  expectError(
    () =>
      addPermission(
        w.state,
        owner,
        { task: "web", sid: "y", action: "lambda:InvokeFunctionUrl", principal: "*", urlAuthType: "AWS_IAM" },
        w.ctx,
      ),
    "INVALID_INPUT",
    "Principal",
  );
  expectError(
    () =>
      addPermission(
        w.state,
        owner,
        { task: "web", sid: "z", action: "lambda:InvokeFunctionUrl", principal: account(mate) },
        w.ctx,
      ),
    "INVALID_INPUT",
    "urlAuthType",
  );
});
