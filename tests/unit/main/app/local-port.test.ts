// The app's local port: 7878 unless asked otherwise, and a free one when another program holds it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { DEFAULT_PORT, listenWithFallback, requestedPort } from "../../../../main/app/local-port.ts";

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

test("a taken port falls back to a free one; other errors do not", async (t) => {
  const holder = await listen(0);
  t.after(() => holder.close());
  const taken = (holder.address() as { port: number }).port;
  let fellBack = false;
  const s = await listenWithFallback(taken, listen, () => (fellBack = true));
  t.after(() => s.close());
  assert.ok(fellBack);
  assert.notEqual((s.address() as { port: number }).port, taken);
  await assert.rejects(
    listenWithFallback(1, () => Promise.reject(Object.assign(new Error("EACCES"), { code: "EACCES" }))),
    /EACCES/,
  );
});

test("the port comes from HEARTH_PORT when it is one", () => {
  assert.equal(requestedPort({}), DEFAULT_PORT);
  assert.equal(requestedPort({ HEARTH_PORT: "9000" }), 9000);
  assert.equal(requestedPort({ HEARTH_PORT: "0" }), 0);
  assert.equal(requestedPort({ HEARTH_PORT: "99999" }), DEFAULT_PORT);
  assert.equal(requestedPort({ HEARTH_PORT: "abc" }), DEFAULT_PORT);
});
