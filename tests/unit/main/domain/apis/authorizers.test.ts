// API authorizers: defined with their API, every field checked and named, routes naming them by id or name, and an
// authorizer a route still uses kept; older documents without authorizers stay valid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createApi, updateApi, type CreateApiInput } from "../../../../../main/domain/apis/apis.ts";
import {
  DEFAULT_AUTHORIZER_TTL_S,
  DEFAULT_JWT_IDENTITY_SOURCE,
  MAX_API_AUTHORIZERS,
} from "../../../../../main/domain/apis/authorizers.ts";
import { apiView } from "../../../../../main/domain/model/views.ts";
import { stateSchema } from "../../../../../main/store/state-schema.ts";
import { crossWorld } from "../cross-world.ts";
import { expectError } from "../domain-world.ts";

const jwt = {
  name: "cognito",
  type: "JWT" as const,
  jwt: { issuer: "https://issuer.example", audience: ["shop"], jwksUri: "https://issuer.example/jwks.json" },
};
const lambda = {
  name: "keys",
  type: "REQUEST" as const,
  identitySource: ["$request.header.X-Api-Key"],
  target: { task: "resize" },
};

function world() {
  const cw = crossWorld();
  cw.w.task(cw.caller, { name: "orders" });
  const make = (input: Partial<CreateApiInput> & { name?: string }) =>
    createApi(
      cw.w.state,
      cw.owner,
      { name: "shop", access: "public", routes: [], ...input } as CreateApiInput,
      cw.w.ctx,
    );
  return { ...cw, make };
}

test("an API holds JWT and REQUEST authorizers with API Gateway's defaults; routes name them by name or id", () => {
  const { w, owner, make } = world();
  const api = w.apply(() =>
    make({
      authorizers: [jwt, lambda],
      routes: [
        {
          routeKey: "GET /orders",
          target: { task: "resize" },
          authorizerId: "cognito",
          authorizationScopes: ["read"],
        },
        { routeKey: "POST /orders", target: { task: "resize" }, authorizerId: "keys" },
        { routeKey: "GET /open", target: { task: "resize" } },
      ],
    }),
  );
  const [j, l] = api.authorizers;
  assert.match(j!.id, /^aut_[0-9a-f]{16}$/);
  assert.match(l!.id, /^aut_[0-9a-f]{16}$/);
  assert.notEqual(j!.id, l!.id);
  assert.deepEqual(j, {
    id: j!.id,
    name: "cognito",
    type: "JWT",
    identitySource: [DEFAULT_JWT_IDENTITY_SOURCE],
    jwt: {
      issuer: "https://issuer.example",
      audience: ["shop"],
      jwksUri: "https://issuer.example/jwks.json",
    },
  });
  assert.deepEqual(l, {
    id: l!.id,
    name: "keys",
    type: "REQUEST",
    identitySource: ["$request.header.X-Api-Key"],
    target: { task: "resize" },
    enableSimpleResponses: false,
    resultTtlSeconds: DEFAULT_AUTHORIZER_TTL_S,
  });
  assert.equal(DEFAULT_AUTHORIZER_TTL_S, 300);
  // Stored by id, whatever the input named them by.
  assert.deepEqual(
    api.routes.map((r) => [r.routeKey, r.authorizerId ?? null, r.authorizationScopes ?? null]),
    [
      ["GET /orders", j!.id, ["read"]],
      ["POST /orders", l!.id, null],
      ["GET /open", null, null],
    ],
  );
  assert.deepEqual(apiView(w.state, owner, api.id), api);
  // Routes given again name the authorizers by id; ids given back keep them.
  const again = w.apply((s) =>
    updateApi(
      s,
      owner,
      {
        apiId: api.id,
        authorizers: [
          { ...jwt, id: j!.id, jwt: { ...jwt.jwt, audience: ["shop", "admin"] } },
          { ...lambda, id: l!.id },
        ],
        routes: [{ routeKey: "GET /orders", target: { task: "resize" }, authorizerId: j!.id }],
      },
      w.ctx,
    ),
  );
  assert.equal(again.authorizers[0]!.id, j!.id);
  assert.deepEqual(again.authorizers[0]!.jwt!.audience, ["shop", "admin"]);
  assert.equal(again.routes[0]!.authorizerId, j!.id);
  // An API without authorizers keeps none in the document, as APIs made before them.
  const plain = w.apply(() => make({ name: "plain" }));
  assert.deepEqual(plain.authorizers, []);
  assert.equal("authorizers" in w.state.apis.find((a) => a.id === plain.id)!, false);
});

test("every authorizer problem is refused with its field named", () => {
  const { w, make } = world();
  const route = { routeKey: "GET /a", target: { task: "resize" } };
  const cases: [unknown, string, string?][] = [
    [{ authorizers: [{ ...jwt, name: "sp ace" }] }, "authorizers.0.name"],
    [{ authorizers: [{ ...jwt, type: "jwt" }] }, "authorizers.0.type"],
    [{ authorizers: [{ ...jwt, extra: 1 }] }, "authorizers.0.extra"],
    [{ authorizers: [{ ...jwt, jwt: undefined }] }, "authorizers.0.jwt", "needs jwt"],
    [{ authorizers: [{ ...jwt, jwt: { ...jwt.jwt, issuer: "" } }] }, "authorizers.0.jwt.issuer"],
    [{ authorizers: [{ ...jwt, jwt: { ...jwt.jwt, audience: [] } }] }, "authorizers.0.jwt.audience"],
    [{ authorizers: [{ ...jwt, jwt: { ...jwt.jwt, audience: "shop" } }] }, "authorizers.0.jwt.audience"],
    [
      { authorizers: [{ ...jwt, jwt: { ...jwt.jwt, jwksUri: "ftp://x/jwks" } }] },
      "authorizers.0.jwt.jwksUri",
    ],
    [{ authorizers: [{ ...jwt, jwt: { ...jwt.jwt, jwksUri: "not a url" } }] }, "authorizers.0.jwt.jwksUri"],
    [
      { authorizers: [{ ...jwt, jwt: { issuer: "i", audience: ["a"] } }] },
      "authorizers.0.jwt.issuer",
      "OpenID configuration",
    ],
    [
      { authorizers: [{ ...jwt, jwt: { ...jwt.jwt, jwksFile: "/etc/jwks.json" } }] },
      "authorizers.0.jwt.jwksUri",
      "one of jwksUri",
    ],
    [
      { authorizers: [{ ...jwt, jwt: { issuer: "i", audience: ["a"], jwksFile: "keys/jwks.json" } }] },
      "authorizers.0.jwt.jwksFile",
      "absolute",
    ],
    [
      { authorizers: [{ ...jwt, identitySource: ["$request.header.A", "$request.header.B"] }] },
      "authorizers.0.identitySource",
      "exactly one",
    ],
    [
      { authorizers: [{ ...jwt, identitySource: ["$header.Authorization"] }] },
      "authorizers.0.identitySource.0",
    ],
    [{ authorizers: [{ ...jwt, target: { task: "resize" } }] }, "authorizers.0.target"],
    [{ authorizers: [{ ...jwt, resultTtlSeconds: 60 }] }, "authorizers.0.resultTtlSeconds"],
    [{ authorizers: [{ ...jwt, enableSimpleResponses: true }] }, "authorizers.0.enableSimpleResponses"],
    [{ authorizers: [{ ...lambda, target: undefined }] }, "authorizers.0.target", "needs the task"],
    [{ authorizers: [{ ...lambda, jwt: jwt.jwt }] }, "authorizers.0.jwt"],
    [{ authorizers: [{ ...lambda, resultTtlSeconds: 3601 }] }, "authorizers.0.resultTtlSeconds"],
    [{ authorizers: [{ ...lambda, resultTtlSeconds: -1 }] }, "authorizers.0.resultTtlSeconds"],
    [{ authorizers: [{ ...lambda, resultTtlSeconds: 1.5 }] }, "authorizers.0.resultTtlSeconds"],
    [{ authorizers: [{ ...lambda, enableSimpleResponses: "yes" }] }, "authorizers.0.enableSimpleResponses"],
    [{ authorizers: [{ ...lambda, target: { task: "bad name" } }] }, "authorizers.0.target.task"],
    // Caching needs something to cache by.
    [{ authorizers: [{ ...lambda, identitySource: [] }] }, "authorizers.0.identitySource", "at least one"],
    [{ authorizers: [jwt, { ...lambda, name: "cognito" }] }, "authorizers.1.name", "defined twice"],
    [{ authorizers: [jwt, { ...jwt, name: "x", id: "aut_0000000000000000" }] }, "authorizers.1.id"],
    [
      { authorizers: [jwt], routes: [{ ...route, authorizerId: "nobody" }] },
      "routes.0.authorizerId",
      'no authorizer "nobody"',
    ],
    [
      { authorizers: [lambda], routes: [{ ...route, authorizerId: "keys", authorizationScopes: ["r"] }] },
      "routes.0.authorizationScopes",
      "JWT authorizers only",
    ],
    [{ routes: [{ ...route, authorizationScopes: ["read"] }] }, "routes.0.authorizationScopes"],
    [
      { authorizers: [jwt], routes: [{ ...route, authorizerId: "cognito", authorizationScopes: ["a b"] }] },
      "routes.0.authorizationScopes.0",
    ],
  ];
  for (const [input, field, text] of cases) {
    const e = expectError(
      () => make(input as never),
      field.endsWith(".id") ? "AUTHORIZER_NOT_FOUND" : "INVALID_INPUT",
      field,
    );
    if (text !== undefined) assert.match(e.message, new RegExp(text), e.message);
  }
  const many = Array.from({ length: MAX_API_AUTHORIZERS + 1 }, (_, i) => ({ ...jwt, name: `a${i}` }));
  const e = expectError(() => make({ authorizers: many }), "INVALID_INPUT", "authorizers");
  assert.match(e.message, /at most 10 authorizers/);
  w.apply(() => make({ authorizers: many.slice(0, MAX_API_AUTHORIZERS) }));
});

test("a REQUEST authorizer's task is checked like a route's target: it must be one the profile may invoke", () => {
  const { make, ownerAccount, w, caller } = world();
  const missing = expectError(
    () => make({ authorizers: [{ ...lambda, target: { task: "nothing" } }] }),
    "TASK_NOT_FOUND",
    "authorizers.0.target",
  );
  assert.match(missing.message, /authorizer "keys"/);
  expectError(
    () => make({ authorizers: [{ ...lambda, target: { task: "resize", qualifier: "9" } }] }),
    "VERSION_NOT_FOUND",
    "authorizers.0.target",
  );
  // The caller reaches the owner's task only through an alias of its own.
  expectError(
    () =>
      createApi(
        w.state,
        caller,
        {
          name: "theirs",
          routes: [],
          access: "public",
          authorizers: [
            { ...lambda, target: { task: "resize", ownerAccountId: ownerAccount, qualifier: "1" } },
          ],
        },
        w.ctx,
      ),
    "ALIAS_NOT_FOUND",
    "authorizers.0.target",
  );
  // TTL 0 asks every time, so it needs no identity source.
  const api = w.apply(() => make({ authorizers: [{ ...lambda, identitySource: [], resultTtlSeconds: 0 }] }));
  assert.deepEqual(api.authorizers[0]!.identitySource, []);
  assert.equal(api.authorizers[0]!.resultTtlSeconds, 0);
});

test("on a token API no authorizer may read the Authorization header, which carries the Hearth token", () => {
  const { w, owner, make } = world();
  const e = expectError(
    () => make({ access: "token", authorizers: [jwt] }),
    "INVALID_INPUT",
    "authorizers.0.identitySource.0",
  );
  assert.match(e.message, /Authorization header carries the API's Hearth token/);
  expectError(
    () =>
      make({
        access: "token",
        authorizers: [{ ...lambda, identitySource: ["$request.header.authorization"] }],
      }),
    "INVALID_INPUT",
    "authorizers.0.identitySource.0",
  );
  const api = w.apply(() =>
    make({ access: "token", authorizers: [{ ...jwt, identitySource: ["$request.header.X-Jwt"] }] }),
  );
  assert.equal(api.access, "token");
  // A public API with the default identity source cannot become a token API while it has that authorizer.
  const pub = w.apply(() => make({ name: "pub", authorizers: [jwt] }));
  expectError(
    () => updateApi(w.state, owner, { apiId: pub.id, access: "token" }, w.ctx),
    "INVALID_INPUT",
    "access",
  );
  expectError(
    () => updateApi(w.state, owner, { apiId: pub.id, access: "token", authorizers: [jwt] }, w.ctx),
    "INVALID_INPUT",
    "authorizers.0.identitySource.0",
  );
  const moved = w.apply((s) =>
    updateApi(
      s,
      owner,
      {
        apiId: pub.id,
        access: "token",
        authorizers: [{ ...jwt, identitySource: ["$request.querystring.jwt"] }],
      },
      w.ctx,
    ),
  );
  assert.equal(moved.access, "token");
});

test("an authorizer a route uses cannot be removed: the refusal names the route; detached, it can", () => {
  const { w, owner, make } = world();
  const api = w.apply(() =>
    make({
      authorizers: [jwt, lambda],
      routes: [
        {
          routeKey: "GET /orders",
          target: { task: "resize" },
          authorizerId: "cognito",
          authorizationScopes: ["read"],
        },
        { routeKey: "POST /orders", target: { task: "resize" } },
      ],
    }),
  );
  const [j, l] = api.authorizers;
  const e = expectError(
    () => updateApi(w.state, owner, { apiId: api.id, authorizers: [{ ...lambda, id: l!.id }] }, w.ctx),
    "AUTHORIZER_IN_USE",
    "authorizers",
  );
  assert.match(e.message, /authorizer "cognito" is used by route "GET \/orders"/);
  // Turning the route's JWT authorizer into a REQUEST one would leave its scopes unchecked.
  expectError(
    () =>
      updateApi(
        w.state,
        owner,
        {
          apiId: api.id,
          authorizers: [
            { ...lambda, id: j!.id, name: "cognito" },
            { ...lambda, id: l!.id },
          ],
        },
        w.ctx,
      ),
    "INVALID_INPUT",
    "authorizers.0.type",
  );
  // The unused one goes; the document is unchanged by the refusals.
  const kept = w.apply((s) =>
    updateApi(s, owner, { apiId: api.id, authorizers: [{ ...jwt, id: j!.id }] }, w.ctx),
  );
  assert.deepEqual(
    kept.authorizers.map((a) => a.name),
    ["cognito"],
  );
  // Detached and removed in one update.
  const bare = w.apply((s) =>
    updateApi(
      s,
      owner,
      { apiId: api.id, authorizers: [], routes: [{ routeKey: "GET /orders", target: { task: "resize" } }] },
      w.ctx,
    ),
  );
  assert.deepEqual(bare.authorizers, []);
  assert.equal("authorizers" in w.state.apis.find((a) => a.id === api.id)!, false);
  // Routes given without authorizers keep the API's authorizers.
  const again = w.apply((s) => updateApi(s, owner, { apiId: api.id, authorizers: [jwt] }, w.ctx));
  const routed = w.apply((s) =>
    updateApi(
      s,
      owner,
      {
        apiId: api.id,
        routes: [{ routeKey: "GET /x", target: { task: "resize" }, authorizerId: again.authorizers[0]!.id }],
      },
      w.ctx,
    ),
  );
  assert.equal(routed.routes[0]!.authorizerId, again.authorizers[0]!.id);
});

test("the store's schema takes APIs with and without authorizers", () => {
  const { w, make } = world();
  w.apply(() =>
    make({
      authorizers: [jwt, lambda],
      routes: [{ routeKey: "GET /a", target: { task: "resize" }, authorizerId: "keys" }],
    }),
  );
  w.apply(() => make({ name: "plain" }));
  const parsed = stateSchema.safeParse(w.state);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  const broken = structuredClone(w.state);
  (broken.apis[0]!.authorizers![0] as { type: string }).type = "IAM";
  assert.equal(stateSchema.safeParse(broken).success, false);
});

test("a JWT authorizer with an issuer URL and no keys finds them through the issuer, as API Gateway does", () => {
  const { make } = world();
  const made = make({
    authorizers: [{ ...jwt, jwt: { issuer: "https://issuer.example/realms/shop", audience: ["shop"] } }],
  });
  const a = made.state.apis.find((x) => x.name === "shop")!.authorizers![0]!;
  assert.deepEqual(a.jwt, { issuer: "https://issuer.example/realms/shop", audience: ["shop"] });
});
