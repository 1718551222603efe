// Opening a project makes the host read a folder of its machine: only the machine's owner may name one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { openProject } from "../../../../main/operations/projects.ts";
import type { OperationContext } from "../../../../main/operations/operation-context.ts";

const input = { dir: "/etc", access: "public" as const, parameterOverrides: {} };

test("a profile's own key (a teammate over the network, say) cannot make the host read a folder", async () => {
  let touched = false;
  const host = new Proxy(
    {},
    {
      get() {
        touched = true;
        throw new Error("the host was reached");
      },
    },
  );
  const c = {
    host,
    sharing: () => null,
    caller: { kind: "profile", profileId: "prf_1" },
    profileId: "prf_1",
    transport: { accepted: () => undefined, openEvents: () => assert.fail("no stream") },
  } as unknown as OperationContext;
  await assert.rejects(openProject(c, input), (e: Error & { code?: string }) => {
    assert.equal(e.code, "FORBIDDEN");
    assert.match(e.message, /only the machine's owner/);
    return true;
  });
  assert.equal(touched, false, "refused before the host was asked anything");
});
