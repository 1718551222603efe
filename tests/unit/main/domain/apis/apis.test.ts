// APIs: routes checked when defined (keys, twins, targets the profile may invoke), owners only, tokens, cascades.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createAlias, deleteAlias } from "../../../../../main/domain/aliases/aliases.ts";
import {
  createApi,
  deleteApi,
  MAX_API_ROUTES,
  routeKeyShape,
  updateApi,
} from "../../../../../main/domain/apis/apis.ts";
import { createCrossProfileAlias } from "../../../../../main/domain/aliases/cross-profile-aliases.ts";
import { revokeGrant } from "../../../../../main/domain/aliases/grants.ts";
import { deleteProfile } from "../../../../../main/domain/access/profiles.ts";
import { deleteTask } from "../../../../../main/domain/tasks/tasks.ts";
import {
  mintAliasToken,
  mintApiToken,
  revokeToken,
  verifyToken,
} from "../../../../../main/domain/access/tokens.ts";
import { apiView, listApiViews, listTokenViews } from "../../../../../main/domain/model/views.ts";
import { compileRoutes } from "../../../../../main/http/apis/route-match.ts";
import { parseRouteKey } from "../../../../../main/domain/apis/route-keys.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError } from "../domain-world.ts";

/** The owner with an alias on its task, the caller with a cross-profile alias "prod" on it. */
function apiWorld() {
  const world = crossWorld();
  const { w, owner, caller, ownerAccount } = world;
  const live = w.apply((s) => createAlias(s, owner, { task: "resize", name: "live", version: 1 }, w.ctx));
  const prod = w.apply((s) =>
    createCrossProfileAlias(
      s,
      caller,
      { ownerAccountId: ownerAccount, task: "resize", name: "prod", version: 2 },
      w.ctx,
    ),
  );
  w.task(caller, { name: "orders" });
  return { ...world, live, prod };
}

test("an API binds route keys to the profile's tasks, versions and aliases; token access by default", () => {
  const { w, owner } = apiWorld();
  const api = w.apply((s) =>
    createApi(
      s,
      owner,
      {
        name: "shop",
        description: "the shop",
        routes: [
          { routeKey: "GET /orders/{id}", target: { task: "resize" } },
          { routeKey: "POST /orders", target: { task: "resize", qualifier: "2" } },
          { routeKey: "ANY /{proxy+}", target: { task: "resize", qualifier: "live" } },
          { routeKey: "$default", target: { task: "resize", qualifier: "$LATEST" } },
        ],
      },
      w.ctx,
    ),
  );
  assert.match(api.id, /^api_[0-9a-f]{16}$/);
  assert.equal(api.name, "shop");
  assert.equal(api.description, "the shop");
  assert.equal(api.access, "token");
  assert.equal(api.path, "/apis/shop");
  assert.equal(api.createdAt, api.updatedAt);
  assert.deepEqual(
    api.routes.map((r) => [r.routeKey, r.target]),
    [
      ["GET /orders/{id}", { task: "resize" }],
      ["POST /orders", { task: "resize", qualifier: "2" }],
      ["ANY /{proxy+}", { task: "resize", qualifier: "live" }],
      ["$default", { task: "resize", qualifier: "$LATEST" }],
    ],
  );
  assert.equal(w.state.apis.length, 1);
  assert.equal(w.state.apis[0]?.profileId, owner);
  // Left-out optional target fields are not stored as undefined.
  assert.deepEqual(Object.keys(w.state.apis[0]!.routes[0]!.target), ["task"]);
  const pub = w.apply((s) => createApi(s, owner, { name: "open", access: "public", routes: [] }, w.ctx));
  assert.equal(pub.access, "public");
  assert.deepEqual(pub.routes, []);
  assert.equal(pub.description, "");
});

test("API names: 1 to 64 of letters, digits, - and _, unique across every profile", () => {
  const { w, owner, caller } = apiWorld();
  for (const bad of ["", "a".repeat(65), "has.dot", "sp ace", "a/b", "ü"]) {
    expectError(() => createApi(w.state, owner, { name: bad, routes: [] }, w.ctx), "INVALID_INPUT", "name");
  }
  w.apply((s) => createApi(s, owner, { name: "shop_v2-x", routes: [] }, w.ctx));
  const e = expectError(
    () => createApi(w.state, caller, { name: "shop_v2-x", routes: [] }, w.ctx),
    "API_EXISTS",
    "name",
  );
  assert.match(e.message, /an API named "shop_v2-x" already exists/);
  // The owner's own second try is refused the same way; another case is another name.
  expectError(
    () => createApi(w.state, owner, { name: "shop_v2-x", routes: [] }, w.ctx),
    "API_EXISTS",
    "name",
  );
  w.apply((s) => createApi(s, caller, { name: "Shop_v2-x", routes: [] }, w.ctx));
});

test("every input problem names its field", () => {
  const { w, owner } = apiWorld();
  const route = { routeKey: "GET /a", target: { task: "resize" } };
  const cases: [unknown, string][] = [
    [{ name: "x" }, "routes"],
    [{ name: "x", routes: "GET /a" }, "routes"],
    [{ name: "x", routes: [], description: "d".repeat(257) }, "description"],
    [{ name: "x", routes: [], access: "private" }, "access"],
    [{ name: "x", routes: [], extra: 1 }, "extra"],
    [{ name: "x", routes: [{ routeKey: "GET /a" }] }, "routes.0.target"],
    [{ name: "x", routes: [{ ...route, extra: true }] }, "routes.0.extra"],
    [{ name: "x", routes: [{ routeKey: "GET /a", target: { task: "bad name" } }] }, "routes.0.target.task"],
    [
      { name: "x", routes: [{ routeKey: "GET /a", target: { task: "resize", qualifier: "" } }] },
      "routes.0.target.qualifier",
    ],
    [
      { name: "x", routes: [{ routeKey: "GET /a", target: { task: "resize", ownerAccountId: "12" } }] },
      "routes.0.target.ownerAccountId",
    ],
    [
      { name: "x", routes: [{ routeKey: "GET /a", target: { task: "resize", version: 1 } }] },
      "routes.0.target.version",
    ],
    [{ name: "x", routes: [{ routeKey: 7, target: { task: "resize" } }] }, "routes.0.routeKey"],
  ];
  for (const [input, field] of cases) {
    expectError(() => createApi(w.state, owner, input as never, w.ctx), "INVALID_INPUT", field);
  }
  const many = Array.from({ length: MAX_API_ROUTES + 1 }, (_, i) => ({
    routeKey: `GET /r${i}`,
    target: { task: "resize" },
  }));
  const e = expectError(
    () => createApi(w.state, owner, { name: "x", routes: many }, w.ctx),
    "INVALID_INPUT",
    "routes",
  );
  assert.match(e.message, /at most 100 routes/);
  // Exactly the limit is fine.
  w.apply((s) => createApi(s, owner, { name: "x", routes: many.slice(0, MAX_API_ROUTES) }, w.ctx));
  expectError(
    () => createApi(w.state, "prf_nobody", { name: "y", routes: [] }, w.ctx),
    "PROFILE_NOT_FOUND",
    "profileId",
  );
});

test("route keys must parse, and no two may take the same requests", () => {
  const { w, owner } = apiWorld();
  const at = (routeKeys: string[]) =>
    createApi(
      w.state,
      owner,
      { name: "x", routes: routeKeys.map((routeKey) => ({ routeKey, target: { task: "resize" } })) },
      w.ctx,
    );
  for (const bad of [
    "GET",
    "get /a",
    "FETCH /a",
    "GET a",
    "GET /a/",
    "GET //a",
    "GET /a{id}",
    "GET /{a}/{a}",
    "GET /{p+}/x",
    "$DEFAULT",
  ]) {
    const e = expectError(() => at(["GET /ok", bad]), "INVALID_INPUT", "routes.1.routeKey");
    assert.ok(e.message.includes(`route "${bad}"`), e.message);
  }
  const twice = expectError(() => at(["GET /a", "POST /a", "GET /a"]), "INVALID_INPUT", "routes.2.routeKey");
  assert.match(twice.message, /route "GET \/a" is defined twice/);
  const same = expectError(() => at(["GET /o/{id}", "GET /o/{key}"]), "INVALID_INPUT", "routes.1.routeKey");
  assert.match(same.message, /matches the same requests as "GET \/o\/\{id\}"/);
  expectError(() => at(["$default", "$default"]), "INVALID_INPUT", "routes.1.routeKey");
  // Same path, other method, and ANY beside a named method, are different routes.
  assert.equal(
    at(["GET /o/{id}", "DELETE /o/{id}", "ANY /o/{id}", "ANY /{proxy+}", "$default"]).result.routes.length,
    5,
  );
});

test("the domain's route-key check gives the gateway's verdicts (route-match.ts)", () => {
  const keys = [
    "$default",
    "GET /",
    "ANY /{proxy+}",
    "GET /orders/{id}",
    "POST /a/b/c",
    "GET /a.b/{x.y}/{z-1+}",
    "GET",
    "GET ",
    "get /a",
    "GET a",
    "GET /a/",
    "GET //",
    "GET /a//b",
    "GET /a{id}",
    "GET /{}",
    "GET /{+}",
    "GET /{a b}",
    "GET /{__proto__}",
    "GET /{a}/{a}",
    "GET /{a+}/b",
    "GET /a?b",
    "GET /a#b",
    "GET /a b",
    "PATCH /x/{y}",
    "OPTIONS /*",
    "HEAD /ünï",
    "$default ",
    " GET /a",
  ];
  for (const k of keys) {
    let gateway: string | null = null;
    let domain: string | null = null;
    try {
      parseRouteKey(k, "f");
    } catch (err) {
      gateway = (err as Error).message;
    }
    try {
      routeKeyShape(k, "f");
    } catch (err) {
      domain = (err as Error).message;
    }
    assert.equal(domain, gateway, `verdicts differ on ${JSON.stringify(k)}`);
  }
  const lists = [
    ["GET /a/{x}", "GET /a/{y}"],
    ["GET /a/{x}", "POST /a/{y}"],
    ["ANY /{p+}", "ANY /{q+}"],
    ["GET /a", "GET /a"],
  ];
  for (const list of lists) {
    const shapes = list.map((k, i) => routeKeyShape(k, `routes.${i}`));
    let twins = false;
    try {
      compileRoutes(list);
    } catch {
      twins = true;
    }
    assert.equal(new Set(shapes).size < shapes.length, twins, list.join(" | "));
  }
});

test("targets must be invocable by the API's profile now; their errors name the route's target", () => {
  const { w, owner, caller, stranger, ownerAccount } = apiWorld();
  const one = (target: Record<string, string>) =>
    ({ name: "x", routes: [{ routeKey: "GET /a", target }] }) as never;
  const missing = expectError(
    () => createApi(w.state, owner, one({ task: "nope" }), w.ctx),
    "TASK_NOT_FOUND",
    "routes.0.target",
  );
  assert.match(missing.message, /^TASK_NOT_FOUND: route "GET \/a": no task "nope"/);
  expectError(
    () => createApi(w.state, owner, one({ task: "resize", qualifier: "9" }), w.ctx),
    "VERSION_NOT_FOUND",
    "routes.0.target",
  );
  expectError(
    () => createApi(w.state, owner, one({ task: "resize", qualifier: "gone" }), w.ctx),
    "ALIAS_NOT_FOUND",
    "routes.0.target",
  );
  // Another profile's task is reachable only through a cross-profile alias its profile holds.
  expectError(
    () => createApi(w.state, caller, one({ task: "resize" }), w.ctx),
    "TASK_NOT_FOUND",
    "routes.0.target",
  );
  expectError(
    () => createApi(w.state, caller, one({ task: "resize", ownerAccountId: ownerAccount }), w.ctx),
    "ALIAS_NOT_FOUND",
    "routes.0.target",
  );
  expectError(
    () =>
      createApi(
        w.state,
        caller,
        one({ task: "resize", ownerAccountId: ownerAccount, qualifier: "live" }),
        w.ctx,
      ),
    "ALIAS_NOT_FOUND",
    "routes.0.target",
  );
  expectError(
    () =>
      createApi(
        w.state,
        stranger,
        one({ task: "resize", ownerAccountId: ownerAccount, qualifier: "prod" }),
        w.ctx,
      ),
    "FORBIDDEN",
    "routes.0.target",
  );
  // The caller mixes its own task and the owner's task through its alias "prod".
  const mixed = w.apply((s) =>
    createApi(
      s,
      caller,
      {
        name: "mixed",
        routes: [
          { routeKey: "GET /orders", target: { task: "orders" } },
          {
            routeKey: "POST /resize",
            target: { task: "resize", qualifier: "prod", ownerAccountId: ownerAccount },
          },
        ],
      },
      w.ctx,
    ),
  );
  assert.deepEqual(mixed.routes[1]?.target, {
    task: "resize",
    qualifier: "prod",
    ownerAccountId: ownerAccount,
  });
  // The second route's problem names the second route.
  expectError(
    () =>
      createApi(
        w.state,
        caller,
        {
          name: "y",
          routes: [
            { routeKey: "GET /o", target: { task: "orders" } },
            { routeKey: "GET /p", target: { task: "nope" } },
          ],
        },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
    "routes.1.target",
  );
});

test("update changes description, access and the whole route list; only the owner may", () => {
  const { w, owner, caller } = apiWorld();
  const api = w.apply((s) =>
    createApi(
      s,
      owner,
      { name: "shop", routes: [{ routeKey: "GET /a", target: { task: "resize" } }] },
      w.ctx,
    ),
  );
  const same = w.apply((s) => updateApi(s, owner, { apiId: api.id, description: "new" }, w.ctx));
  assert.equal(same.description, "new");
  assert.equal(same.access, "token");
  assert.deepEqual(same.routes, api.routes);
  assert.ok(same.updatedAt > api.updatedAt);
  const moved = w.apply((s) =>
    updateApi(
      s,
      owner,
      {
        apiId: api.id,
        access: "public",
        routes: [{ routeKey: "POST /b", target: { task: "resize", qualifier: "1" } }],
      },
      w.ctx,
    ),
  );
  assert.equal(moved.access, "public");
  assert.equal(moved.description, "new");
  assert.deepEqual(moved.routes, [{ routeKey: "POST /b", target: { task: "resize", qualifier: "1" } }]);
  assert.deepEqual(w.state.apis[0]?.routes, moved.routes);
  expectError(
    () =>
      updateApi(
        w.state,
        owner,
        { apiId: api.id, routes: [{ routeKey: "GET /x", target: { task: "nope" } }] },
        w.ctx,
      ),
    "TASK_NOT_FOUND",
    "routes.0.target",
  );
  expectError(
    () =>
      updateApi(
        w.state,
        owner,
        { apiId: api.id, routes: [{ routeKey: "x", target: { task: "resize" } }] },
        w.ctx,
      ),
    "INVALID_INPUT",
    "routes.0.routeKey",
  );
  expectError(
    () => updateApi(w.state, owner, { apiId: api.id, access: "open" as never }, w.ctx),
    "INVALID_INPUT",
    "access",
  );
  expectError(
    () => updateApi(w.state, owner, { apiId: api.id, name: "y" } as never, w.ctx),
    "INVALID_INPUT",
    "name",
  );
  expectError(
    () => updateApi(w.state, caller, { apiId: api.id, description: "mine" }, w.ctx),
    "API_NOT_FOUND",
    "apiId",
  );
  expectError(() => deleteApi(w.state, caller, { apiId: api.id }), "API_NOT_FOUND", "apiId");
  assert.equal(w.state.apis[0]?.description, "new");
});

test("a target that disappears later blocks nothing: the route stays, and other fields still update", () => {
  const { w, owner, caller, ownerAccount, live, grant } = apiWorld();
  const own = w.apply((s) =>
    createApi(
      s,
      owner,
      { name: "own", routes: [{ routeKey: "GET /a", target: { task: "resize", qualifier: "live" } }] },
      w.ctx,
    ),
  );
  const shared = w.apply((s) =>
    createApi(
      s,
      caller,
      {
        name: "shared",
        routes: [
          { routeKey: "GET /a", target: { task: "resize", qualifier: "prod", ownerAccountId: ownerAccount } },
        ],
      },
      w.ctx,
    ),
  );
  w.apply((s) => deleteAlias(s, owner, { aliasId: live.id }));
  w.apply((s) => revokeGrant(s, owner, { grantId: grant.id }));
  assert.equal(w.state.apis.length, 2);
  assert.deepEqual(apiView(w.state, owner, own.id).routes, own.routes);
  assert.deepEqual(apiView(w.state, caller, shared.id).routes, shared.routes);
  // Editing the description does not re-check stale targets; replacing the routes does.
  w.apply((s) => updateApi(s, caller, { apiId: shared.id, description: "stale" }, w.ctx));
  expectError(
    () => updateApi(w.state, caller, { apiId: shared.id, routes: shared.routes }, w.ctx),
    "FORBIDDEN",
    "routes.0.target",
  );
  w.apply((s) => deleteTask(s, owner, { task: "resize" }));
  assert.equal(w.state.apis.length, 2);
});

test("deleting an API removes it and its tokens, nothing else", () => {
  const { w, owner, live } = apiWorld();
  const a = w.apply((s) =>
    createApi(s, owner, { name: "a", routes: [{ routeKey: "GET /", target: { task: "resize" } }] }, w.ctx),
  );
  const b = w.apply((s) => createApi(s, owner, { name: "b", routes: [] }, w.ctx));
  w.apply((s) => mintApiToken(s, owner, { apiId: a.id }, w.ctx));
  const keepB = w.apply((s) => mintApiToken(s, owner, { apiId: b.id }, w.ctx));
  const keepAlias = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx));
  const tasks = w.state.tasks.length;
  const aliases = w.state.aliases.length;
  assert.deepEqual(
    w.apply((s) => deleteApi(s, owner, { apiId: a.id })),
    { apiId: a.id },
  );
  assert.deepEqual(
    w.state.apis.map((x) => x.name),
    ["b"],
  );
  assert.deepEqual(w.state.tokens.map((t) => t.id).sort(), [keepB.token.id, keepAlias.token.id].sort());
  assert.equal(w.state.tasks.length, tasks);
  assert.equal(w.state.aliases.length, aliases);
  expectError(() => deleteApi(w.state, owner, { apiId: a.id }), "API_NOT_FOUND", "apiId");
  // The name is free again.
  w.apply((s) => createApi(s, owner, { name: "a", routes: [] }, w.ctx));
});

test("an API token verifies for its API only, and dies with the API", () => {
  const { w, owner, caller, live } = apiWorld();
  const a = w.apply((s) => createApi(s, owner, { name: "a", routes: [] }, w.ctx));
  const b = w.apply((s) => createApi(s, owner, { name: "b", routes: [] }, w.ctx));
  const { token, secret } = w.apply((s) =>
    mintApiToken(s, owner, { apiId: a.id, label: "team", expiresInS: 60 }, w.ctx),
  );
  const scopeA = { kind: "api" as const, profileId: owner, apiId: a.id };
  assert.deepEqual(token.scope, scopeA);
  assert.equal(token.label, "team");
  assert.equal(token.expiresAt, new Date(w.now - 1000 + 60_000).toISOString());
  assert.ok(!JSON.stringify(w.state).includes(secret));
  assert.deepEqual(verifyToken(w.state, secret, w.now), scopeA);
  assert.deepEqual(verifyToken(w.state, secret, w.now, scopeA), scopeA);
  assert.deepEqual(
    listTokenViews(w.state, owner).map((t) => t.scope),
    [scopeA],
  );
  expectError(
    () => verifyToken(w.state, secret, w.now, { kind: "api", profileId: owner, apiId: b.id }),
    "TOKEN_INVALID",
  );
  expectError(
    () => verifyToken(w.state, secret, w.now, { kind: "alias", profileId: owner, aliasId: live.id }),
    "TOKEN_INVALID",
  );
  expectError(() => verifyToken(w.state, secret, w.now + 61_000, scopeA), "TOKEN_INVALID");
  // An alias token does not open an API.
  const aliasSecret = w.apply((s) => mintAliasToken(s, owner, { aliasId: live.id }, w.ctx)).secret;
  expectError(() => verifyToken(w.state, aliasSecret, w.now, scopeA), "TOKEN_INVALID");
  // Same label and expiry rules as alias tokens; only the owner mints.
  expectError(
    () => mintApiToken(w.state, owner, { apiId: a.id, expiresInS: 0 }, w.ctx),
    "INVALID_INPUT",
    "expiresInS",
  );
  expectError(
    () => mintApiToken(w.state, owner, { apiId: a.id, label: "l".repeat(129) }, w.ctx),
    "INVALID_INPUT",
    "label",
  );
  expectError(() => mintApiToken(w.state, caller, { apiId: a.id }, w.ctx), "API_NOT_FOUND", "apiId");
  // Revoked: refused.
  const other = w.apply((s) => mintApiToken(s, owner, { apiId: a.id }, w.ctx));
  w.apply((s) => revokeToken(s, owner, { tokenId: other.token.id }, w.ctx));
  expectError(() => verifyToken(w.state, other.secret, w.now, scopeA), "TOKEN_INVALID");
  // Keep the record but drop the API, to show verification checks the API still stands.
  const orphaned = structuredClone(w.state);
  orphaned.apis = orphaned.apis.filter((x) => x.id !== a.id);
  const e = expectError(() => verifyToken(orphaned, secret, w.now), "TOKEN_INVALID");
  assert.equal(e.message, "TOKEN_INVALID: the token is not valid for this request");
  w.apply((s) => deleteApi(s, owner, { apiId: a.id }));
  expectError(() => verifyToken(w.state, secret, w.now), "TOKEN_INVALID");
});

test("deleting a profile removes its APIs and their tokens; other profiles' APIs stay, even when they served its tasks", () => {
  const { w, owner, caller } = apiWorld();
  const mine = w.apply((s) =>
    createApi(
      s,
      caller,
      { name: "mine", routes: [{ routeKey: "GET /", target: { task: "orders" } }] },
      w.ctx,
    ),
  );
  w.apply((s) => mintApiToken(s, caller, { apiId: mine.id }, w.ctx));
  const theirs = w.apply((s) =>
    createApi(
      s,
      owner,
      { name: "theirs", routes: [{ routeKey: "GET /", target: { task: "resize" } }] },
      w.ctx,
    ),
  );
  const kept = w.apply((s) => mintApiToken(s, owner, { apiId: theirs.id }, w.ctx));
  w.apply((s) => deleteProfile(s, caller));
  assert.deepEqual(
    w.state.apis.map((a) => a.name),
    ["theirs"],
  );
  assert.deepEqual(
    w.state.tokens.map((t) => t.id),
    [kept.token.id],
  );
  assert.deepEqual(verifyToken(w.state, kept.secret, w.now).kind, "api");

  // The other way round: the caller's API reaches the owner's task; deleting the owner (forced) leaves it stored.
  const again = apiWorld();
  const shared = again.w.apply((s) =>
    createApi(
      s,
      again.caller,
      {
        name: "shared",
        routes: [
          {
            routeKey: "GET /",
            target: { task: "resize", qualifier: "prod", ownerAccountId: again.ownerAccount },
          },
        ],
      },
      again.w.ctx,
    ),
  );
  again.w.apply((s) => deleteProfile(s, again.owner, { force: true }));
  assert.deepEqual(
    again.w.state.apis.map((a) => a.id),
    [shared.id],
  );
});

test("views: an owner lists its own APIs; to anyone else an API does not exist", () => {
  const { w, owner, caller } = apiWorld();
  const a = w.apply((s) => createApi(s, owner, { name: "a", routes: [] }, w.ctx));
  const b = w.apply((s) => createApi(s, caller, { name: "b", access: "public", routes: [] }, w.ctx));
  assert.deepEqual(listApiViews(w.state, owner), [a]);
  assert.deepEqual(listApiViews(w.state, caller), [b]);
  assert.deepEqual(apiView(w.state, owner, a.id), a);
  expectError(() => apiView(w.state, caller, a.id), "API_NOT_FOUND", "apiId");
  assert.deepEqual(Object.keys(a).sort(), [
    "access",
    "authorizers",
    "createdAt",
    "description",
    "id",
    "name",
    "path",
    "routes",
    "updatedAt",
  ]);
});
