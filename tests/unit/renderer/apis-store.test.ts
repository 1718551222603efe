// APIs in the window: a change of routes or authorizers goes to updateApi whole and replaces the API shown; a refusal
// leaves it as it was; a route's authorizer is shown by name with its scopes.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ApiView } from "../../../main/contract.ts";
import { createApisStore } from "../../../renderer/stores/apis-store.ts";
import { authorizerChecks, routeAuthorizerText } from "../../../renderer/views/api-authorizers-panel.tsx";
import { apiError, fakeApi } from "./fake-api.ts";

const shop: ApiView = {
  id: "api_1",
  name: "shop",
  description: "",
  access: "public",
  path: "/apis/shop",
  createdAt: "2026-11-23T00:00:00.000Z",
  updatedAt: "2026-11-23T00:00:00.000Z",
  authorizers: [],
  routes: [{ routeKey: "GET /orders", target: { task: "orders" } }],
};

const jwt = {
  name: "cognito",
  type: "JWT" as const,
  identitySource: ["$request.header.Authorization"],
  jwt: { issuer: "https://issuer.test", audience: ["a", "b"], jwksUri: "https://issuer.test/jwks.json" },
};

test("update sends the lists to updateApi and shows the host's answer; a refusal changes nothing", async () => {
  const withAuth: ApiView = {
    ...shop,
    authorizers: [{ id: "aut_1", ...jwt }],
    routes: [{ ...shop.routes[0]!, authorizerId: "aut_1", authorizationScopes: ["read"] }],
  };
  let refuse = false;
  const api = fakeApi({
    listApis: () => [shop],
    updateApi: () => {
      if (refuse)
        throw apiError(
          400,
          "INVALID_INPUT",
          "authorizers.0.jwt.issuer must not be empty",
          "authorizers.0.jwt.issuer",
        );
      return withAuth;
    },
  });
  const store = createApisStore(api, undefined);
  await store.getState().load();
  assert.equal(await store.getState().update("api_1", { authorizers: [jwt] }), null);
  assert.deepEqual(api.calls.at(-1), { name: "updateApi", input: { apiId: "api_1", authorizers: [jwt] } });
  assert.deepEqual(store.getState().items, [withAuth]);
  refuse = true;
  const err = await store.getState().update("api_1", { authorizers: [] });
  assert.equal(err?.code, "INVALID_INPUT");
  assert.equal(err?.field, "authorizers.0.jwt.issuer");
  assert.deepEqual(store.getState().items, [withAuth]);

  assert.equal(routeAuthorizerText(withAuth, withAuth.routes[0]!), "cognito (read)");
  assert.equal(routeAuthorizerText(shop, shop.routes[0]!), null);
  assert.equal(
    authorizerChecks({ id: "aut_1", ...jwt }),
    "issuer https://issuer.test, audience a, b, keys https://issuer.test/jwks.json",
  );
  assert.equal(
    authorizerChecks({
      id: "aut_2",
      name: "keys",
      type: "REQUEST",
      identitySource: [],
      target: { task: "check", qualifier: "live" },
      enableSimpleResponses: true,
      resultTtlSeconds: 0,
    }),
    "task check:live, simple responses",
  );
});
