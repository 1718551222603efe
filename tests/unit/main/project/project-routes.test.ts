// A project's routes published again keep the authorizers attached to them outside the project file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withKeptAuthorizers } from "../../../../main/project/project-session.ts";

test("a route key that had an authorizer keeps it and its scopes; new and plain routes stay as the project says", () => {
  const current = {
    routes: [
      {
        routeKey: "GET /orders",
        target: { task: "old" },
        authorizerId: "aut_1",
        authorizationScopes: ["read"],
      },
      { routeKey: "GET /plain", target: { task: "old" } },
      { routeKey: "GET /gone", target: { task: "old" }, authorizerId: "aut_2" },
    ],
  };
  const routes = [
    { routeKey: "GET /orders", target: { task: "new" } },
    { routeKey: "GET /plain", target: { task: "new" } },
    { routeKey: "POST /orders", target: { task: "new" } },
  ];
  assert.deepEqual(withKeptAuthorizers(routes, current), [
    {
      routeKey: "GET /orders",
      target: { task: "new" },
      authorizerId: "aut_1",
      authorizationScopes: ["read"],
    },
    { routeKey: "GET /plain", target: { task: "new" } },
    { routeKey: "POST /orders", target: { task: "new" } },
  ]);
  // A first publish has nothing to keep.
  assert.deepEqual(withKeptAuthorizers(routes, undefined), routes);
});
