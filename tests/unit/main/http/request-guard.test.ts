// Who may talk to the local port: only requests naming it by a name it is bound to (no DNS rebinding), and on its
// own APIs no page of another origin; the window itself opens from anywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { acceptedHost, allowedHostNames, type MachineNames } from "../../../../main/http/request-guard.ts";
import { codeOf, servedPort } from "./served-port.ts";

const machine: MachineNames = {
  hostname: "Workbench",
  addresses: ["127.0.0.1", "192.168.1.20", "::1", "fe80::1%eth0"],
};

test("bound to loopback, the port answers to the loopback names only", () => {
  const names = allowedHostNames("127.0.0.1", machine);
  assert.deepEqual([...names].sort(), ["127.0.0.1", "[::1]", "localhost"]);
  for (const ok of ["127.0.0.1:7878", "localhost:7878", "LOCALHOST:7878", "[::1]:7878"]) {
    assert.ok(acceptedHost(ok, names, 7878), ok);
  }
  for (const bad of [
    "rebind.example.com:7878",
    "127.0.0.1:7879",
    "127.0.0.1",
    "localhost.:7878",
    "workbench:7878",
    "192.168.1.20:7878",
    "evil@127.0.0.1:7878",
    "127.0.0.1:7878/x",
    "",
    undefined,
  ]) {
    assert.equal(acceptedHost(bad, names, 7878), null, String(bad));
  }
  // Port 80 is left out by browsers, and then only then.
  assert.equal(acceptedHost("localhost", names, 80), "localhost");
});

test("bound to a LAN address or every interface, the machine's names and addresses are accepted too", () => {
  const lan = allowedHostNames("192.168.1.20", machine);
  for (const ok of ["192.168.1.20:7878", "workbench:7878", "workbench.local:7878", "127.0.0.1:7878"]) {
    assert.ok(acceptedHost(ok, lan, 7878), ok);
  }
  assert.equal(acceptedHost("rebind.example.com:7878", lan, 7878), null);
  const any = allowedHostNames("0.0.0.0", machine);
  for (const ok of ["192.168.1.20:7878", "workbench:7878", "[::1]:7878"])
    assert.ok(acceptedHost(ok, any, 7878), ok);
  assert.equal(acceptedHost("10.9.9.9:7878", any, 7878), null);
  // The link `hearth serve --host 0.0.0.0` prints names the wildcard itself.
  assert.ok(acceptedHost("0.0.0.0:7878", any, 7878));
  const v6 = allowedHostNames("fd00:0:0:0::5", machine);
  assert.ok(acceptedHost("[fd00::5]:7878", v6, 7878));
});

test("a rebound name gets 421 from health, startup, the window, the APIs and the Lambda API; nothing runs", async (t) => {
  const p = await servedPort(t);
  const rebound = `rebind.example.com:${p.port}`;
  for (const path of [
    "/v1/health",
    "/v1/startup",
    "/",
    "/apis/open/anything",
    "/2015-03-31/functions/",
    "/v1/tasks",
  ]) {
    const a = await p.send({ path, host: rebound, headers: { authorization: `Bearer ${p.ownerKey}` } });
    assert.equal(a.status, 421, `${path}: ${a.body}`);
    assert.equal(codeOf(a), "HOST_NOT_ALLOWED", path);
    assert.match(a.body, /127\.0\.0\.1/);
  }
  const other = await p.send({ path: "/v1/health", host: `127.0.0.1:${p.port + 1}` });
  assert.equal(other.status, 421);
  // Node refuses an HTTP/1.1 request without Host itself; an HTTP/1.0 one reaches the guard.
  assert.equal((await p.send({ path: "/v1/health", host: null })).status, 400);
  const old = await new Promise<string>((resolve, reject) => {
    const socket = connect(p.port, "127.0.0.1", () => socket.end("GET /v1/health HTTP/1.0\r\n\r\n"));
    let text = "";
    socket.on("data", (c: Buffer) => (text += c.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
  assert.match(old, /^HTTP\/1\.\d 421 /);
  assert.equal(p.runs.length, 0);
  for (const host of [`127.0.0.1:${p.port}`, `localhost:${p.port}`, `[::1]:${p.port}`]) {
    assert.equal((await p.send({ path: "/v1/health", host })).status, 200, host);
    assert.equal((await p.send({ path: "/apis/open/x", host })).status, 200, host);
  }
});

test("another origin's page may not call the native or Lambda API, even with credentials", async (t) => {
  const p = await servedPort(t);
  const owner = { authorization: `Bearer ${p.ownerKey}`, "x-hearth-profile": "alice" };
  for (const origin of [
    "https://evil.example",
    "null",
    `http://localhost:${p.port}`,
    `http://127.0.0.1:${p.port + 1}`,
  ]) {
    const read = await p.send({ path: "/v1/tasks", headers: { ...owner, origin } });
    assert.equal(read.status, 403, `${origin}: ${read.body}`);
    assert.equal(codeOf(read), "FORBIDDEN");
    assert.equal(read.headers["access-control-allow-origin"], undefined);
    const invoke = await p.send({
      method: "POST",
      path: "/v1/invoke?task=echo",
      headers: { ...owner, origin },
      body: "{}",
    });
    assert.equal(invoke.status, 403, origin);
  }
  // What a page sends without an Origin (<img>, a plain GET) still says where it comes from.
  for (const site of ["cross-site", "same-site"]) {
    const a = await p.send({ path: "/v1/health", headers: { "sec-fetch-site": site } });
    assert.equal(a.status, 403, site);
    const lambda = await p.send({ path: "/2015-03-31/functions/", headers: { "sec-fetch-site": site } });
    assert.equal(lambda.status, 403, site);
  }
  assert.equal(p.runs.length, 0);
  // The window's own calls, typed addresses and programs (no Origin) go through.
  const same = await p.send({
    path: "/v1/tasks",
    headers: { ...owner, origin: `http://127.0.0.1:${p.port}` },
  });
  assert.equal(same.status, 200, same.body);
  const local = await p.send({
    path: "/v1/tasks",
    host: `localhost:${p.port}`,
    headers: { ...owner, origin: `http://localhost:${p.port}`, "sec-fetch-site": "same-origin" },
  });
  assert.equal(local.status, 200, local.body);
  assert.equal((await p.send({ path: "/v1/health", headers: { "sec-fetch-site": "none" } })).status, 200);
  assert.equal((await p.send({ path: "/v1/tasks", headers: owner })).status, 200);
  // The window opens from a link anywhere.
  const window = await p.send({ path: "/", headers: { "sec-fetch-site": "cross-site" } });
  assert.notEqual(window.status, 403);
});

test("APIs from tasks refuse other origins' pages (no API opts in to CORS); their own origin may call", async (t) => {
  const p = await servedPort(t);
  const evil = await p.send({
    method: "POST",
    path: "/apis/open/orders",
    headers: { origin: "https://evil.example" },
    body: "{}",
  });
  assert.equal(evil.status, 403);
  assert.deepEqual(JSON.parse(evil.body), { message: "Forbidden" });
  assert.equal(evil.headers["access-control-allow-origin"], undefined);
  const preflight = await p.send({
    method: "OPTIONS",
    path: "/apis/open/orders",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assert.equal(preflight.status, 403);
  assert.equal(p.runs.length, 0);
  const own = await p.send({
    method: "POST",
    path: "/apis/open/orders",
    headers: { origin: `http://127.0.0.1:${p.port}` },
    body: "{}",
  });
  assert.equal(own.status, 200, own.body);
  // A link to a public API's page from anywhere still opens it (a navigation sends no Origin).
  const linked = await p.send({ path: "/apis/open/page", headers: { "sec-fetch-site": "cross-site" } });
  assert.equal(linked.status, 200);
  assert.equal(p.runs.length, 2);
});
