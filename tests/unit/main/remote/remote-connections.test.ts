// The connections a host keeps to teammates' listeners: one kept, verified socket per endpoint and pin, reused
// between calls, and none left (on either side) once the host closes them.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { callRemoteApi } from "../../../../main/remote/remote-api-call.ts";
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import { ensureTlsIdentity } from "../../../../main/store/tls-identity.ts";
import { tempDir } from "../store/temp-dir.ts";

const TOKEN = `hth_${"Ab3_-".repeat(8)}xyz`;

/** An https listener answering every request 200 "ok", and the sockets it accepted, still open or not. */
async function owner(t: TestContext) {
  const id = await ensureTlsIdentity(tempDir(t));
  const accepted: Socket[] = [];
  const server = createHttpsServer({ key: id.key, cert: id.cert }, (req, res) => {
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  server.on("secureConnection", (s: Socket) => accepted.push(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { target: { endpoint, fingerprint: id.fingerprint, token: TOKEN }, accepted };
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("calls keep one socket per endpoint open between them, and close() leaves none on either side", async (t) => {
  const a = await owner(t);
  const b = await owner(t);
  const connections = new RemoteConnections();
  assert.equal(connections.openSockets, 0);
  for (let i = 0; i < 3; i++) {
    const answer = await callRemoteApi(connections, a.target, { method: "GET", path: "/", headers: {} });
    assert.equal(answer.body.toString("utf8"), "ok");
  }
  await callRemoteApi(connections, b.target, { method: "GET", path: "/", headers: {} });
  assert.equal(a.accepted.length, 1, "three calls, one handshake");
  assert.equal(b.accepted.length, 1);
  assert.equal(connections.openSockets, 2, "one kept socket per endpoint");

  connections.close();
  assert.equal(connections.openSockets, 0);
  await until("the owners to see their connections closed", () =>
    [...a.accepted, ...b.accepted].every((s) => s.destroyed),
  );
});

test("one host's connections are not another's: closing one leaves the other's socket in use", async (t) => {
  const a = await owner(t);
  const mine = new RemoteConnections();
  const theirs = new RemoteConnections();
  t.after(() => theirs.close());
  await callRemoteApi(mine, a.target, { method: "GET", path: "/", headers: {} });
  await callRemoteApi(theirs, a.target, { method: "GET", path: "/", headers: {} });
  assert.equal(a.accepted.length, 2);
  mine.close();
  assert.equal(mine.openSockets, 0);
  assert.equal(theirs.openSockets, 1);
  await callRemoteApi(theirs, a.target, { method: "GET", path: "/", headers: {} });
  assert.equal(a.accepted.length, 2, "the other host's kept socket still serves its calls");
});
