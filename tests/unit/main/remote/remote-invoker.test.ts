// The pinned client against a real local https server: the right certificate works, any other is refused before a
// byte is sent, and every way the far side can fail becomes a clear code.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpsServer, type Server } from "node:https";
import { createServer as createTcpServer } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InvocationEvent } from "../../../../main/contract.ts";
import { connectPinned } from "../../../../main/remote/pinned-tls.ts";
import { callRemoteApi } from "../../../../main/remote/remote-api-call.ts";
import { RemoteConnections } from "../../../../main/remote/remote-connections.ts";
import { RemoteInvokeError } from "../../../../main/remote/remote-error.ts";
import { invokeRemote, type RemoteTarget } from "../../../../main/remote/remote-invoker.ts";
import { ensureTlsIdentity, type TlsIdentity } from "../../../../main/store/tls-identity.ts";
import { tempDir } from "../store/temp-dir.ts";

/** The kept connections these calls go through, as a host's would. */
const connections = new RemoteConnections();

const TOKEN = `hth_${"Ab3_-".repeat(8)}xyz`;
const RESULT = {
  requestId: "req-1",
  ok: true,
  result: { hello: "teammate" },
  version: "1",
  servedVersion: "1",
  durationMs: 12,
  maxMemoryUsedMb: 30,
  coldStart: false,
};

interface Seen {
  connections: number;
  requests: { method: string; url: string; authorization?: string; body: string }[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** The owner's side, as far as the client can tell: a listener that answers like Hearth's shared one. */
const hearthLike: Handler = (req, res, body) => {
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    return json(401, {
      error: {
        code: "TOKEN_INVALID",
        message: "TOKEN_INVALID: the token is not valid for this request",
        field: "token",
      },
    });
  }
  const mode = new URL(req.url ?? "/", "https://x").searchParams.get("mode");
  const payload = JSON.parse(body) as { say?: string; fail?: string };
  if (payload.fail === "throttled") {
    return json(
      429,
      { error: { code: "TOO_MANY_ATTEMPTS", message: "TOO_MANY_ATTEMPTS: wait" } },
      { "retry-after": "7" },
    );
  }
  if (payload.fail === "html")
    return res.writeHead(502, { "content-type": "text/html" }).end("<h1>proxy</h1>");
  if (mode === "sync")
    return json(200, { ...RESULT, result: { echo: payload.say ?? null }, extra: "dropped" });
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
  const send = (e: InvocationEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  send({ type: "start", requestId: "req-2" });
  res.write(": keep-alive\n\n");
  send({ type: "log", t: "2025-03-01T10:00:00.000Z", stream: "stdout", line: `said ${payload.say}` });
  // An event split across writes, with \r\n line ends, still reads as one.
  const second = JSON.stringify({
    type: "log",
    t: "2025-03-01T10:00:01.000Z",
    stream: "stderr",
    line: "two",
  });
  res.write(`event: log\r\ndata: ${second.slice(0, 10)}`);
  setTimeout(() => {
    res.write(`${second.slice(10)}\r`);
    setTimeout(() => {
      res.write("\n\r\n");
      if (payload.fail === "event") {
        send({
          type: "error",
          error: { code: "SANDBOX_TIMEOUT", message: "SANDBOX_TIMEOUT: the task ran 3 s" },
        });
      } else if (payload.fail === "cut") {
        res.socket?.destroy();
        return;
      } else if (payload.fail === "garbage") {
        res.write("event: log\ndata: {not json\n\n");
      } else {
        send({ type: "result", result: { ...RESULT, requestId: "req-2" } });
      }
      res.end();
    }, 5);
  }, 5);
};

async function listen(
  t: TestContext,
  id: TlsIdentity,
  handler: Handler = hearthLike,
): Promise<{ server: Server; seen: Seen; endpoint: string }> {
  const seen: Seen = { connections: 0, requests: [] };
  const server = createHttpsServer({ key: id.key, cert: id.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body,
      });
      handler(req, res, body);
    });
  });
  server.on("connection", () => seen.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  return { server, seen, endpoint: `https://127.0.0.1:${port}` };
}

async function identities(t: TestContext): Promise<{ id: TlsIdentity; other: TlsIdentity }> {
  const [id, other] = await Promise.all([ensureTlsIdentity(tempDir(t)), ensureTlsIdentity(tempDir(t))]);
  return { id, other };
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<RemoteInvokeError> {
  let caught: unknown;
  await assert.rejects(p, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof RemoteInvokeError, String(caught));
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.startsWith(`${code}: `));
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

test("the pinned certificate lets a sync call through, with the token as a Bearer and the payload as sent", async (t) => {
  const { id } = await identities(t);
  const { seen, endpoint } = await listen(t, id);
  const target: RemoteTarget = { endpoint, fingerprint: id.fingerprint, token: TOKEN };
  const result = await invokeRemote(connections, target, { payload: '{"say":"hi"}' });
  assert.deepEqual(
    result,
    { ...RESULT, result: { echo: "hi" } },
    "fields the contract does not know are dropped",
  );
  assert.deepEqual(seen.requests, [
    { method: "POST", url: "/v1/invoke?mode=sync", authorization: `Bearer ${TOKEN}`, body: '{"say":"hi"}' },
  ]);
  // A path prefix (a listener behind a proxy) is kept; the fingerprint is compared whatever its case.
  await invokeRemote(
    connections,
    {
      ...target,
      endpoint: `${endpoint}/hearth/`,
      fingerprint: id.fingerprint.toUpperCase().replace("SHA256", "sha256"),
    },
    { payload: "{}" },
  );
  assert.equal(seen.requests[1]?.url, "/hearth/v1/invoke?mode=sync");
});

test("calls to one endpoint share one verified connection, each still carrying its token; a closed one is replaced", async (t) => {
  const { id, other } = await identities(t);
  const { server, seen, endpoint } = await listen(t, id);
  const target: RemoteTarget = { endpoint, fingerprint: id.fingerprint, token: TOKEN };
  for (let i = 0; i < 5; i++) await invokeRemote(connections, target, { payload: `{"say":"${i}"}` });
  assert.equal(seen.requests.length, 5);
  assert.equal(seen.connections, 1, "one TLS handshake for five sequential calls");
  assert.ok(seen.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  // A refused call (wrong token) is answered on its own connection, which is not kept.
  await rejectsWith(
    invokeRemote(connections, { ...target, token: `${TOKEN}x` }, { payload: "{}" }),
    "TOKEN_INVALID",
  );
  // The owner drops idle connections (a restart, its keep-alive timeout): the next call opens and verifies a new one.
  server.closeAllConnections();
  await new Promise((r) => setTimeout(r, 50));
  const before = seen.connections;
  const again = await invokeRemote(connections, target, { payload: '{"say":"again"}' });
  assert.deepEqual(again.result, { echo: "again" });
  assert.equal(seen.connections, before + 1);
  // Another pin for the same endpoint never rides on the verified connection.
  await rejectsWith(
    invokeRemote(connections, { ...target, fingerprint: other.fingerprint }, { payload: "{}" }),
    "REMOTE_FINGERPRINT_MISMATCH",
  );
  connections.close();
});

test("a streamed call hands over start and each log line as they arrive, and resolves to the result", async (t) => {
  const { id } = await identities(t);
  const { seen, endpoint } = await listen(t, id);
  const events: InvocationEvent[] = [];
  const result = await invokeRemote(
    connections,
    { endpoint, fingerprint: id.fingerprint, token: TOKEN },
    { payload: '{"say":"hey"}', onEvent: (e) => events.push(e) },
  );
  assert.equal(result.requestId, "req-2");
  assert.deepEqual(events, [
    { type: "start", requestId: "req-2" },
    { type: "log", t: "2025-03-01T10:00:00.000Z", stream: "stdout", line: "said hey" },
    { type: "log", t: "2025-03-01T10:00:01.000Z", stream: "stderr", line: "two" },
  ]);
  assert.equal(seen.requests[0]?.url, "/v1/invoke?mode=stream");
});

test("another certificate is refused before a single byte of the request is written", async (t) => {
  const { id, other } = await identities(t);
  const { seen, endpoint } = await listen(t, id);
  const e = await rejectsWith(
    invokeRemote(
      connections,
      { endpoint, fingerprint: other.fingerprint, token: TOKEN },
      { payload: '{"say":"hi"}' },
    ),
    "REMOTE_FINGERPRINT_MISMATCH",
    /nothing was sent/,
  );
  assert.ok(e.message.includes(id.fingerprint), "names what the server showed");
  assert.ok(e.message.includes(other.fingerprint), "and what was pinned");
  assert.ok(!e.message.includes(TOKEN));
  // The handshake happened (that is how the certificate was seen), but no request ever arrived.
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(seen.connections >= 1);
  assert.equal(seen.requests.length, 0);
  // connectPinned on its own says the same.
  await rejectsWith(connectPinned(endpoint, other.fingerprint), "REMOTE_FINGERPRINT_MISMATCH");
  const ok = await connectPinned(endpoint, id.fingerprint);
  ok.destroy();
});

test("the owner's refusals come back with their own code, marked as the owner's", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(t, id);
  const revoked = `hth_${"Z".repeat(43)}`;
  const e = await rejectsWith(
    invokeRemote(connections, { endpoint, fingerprint: id.fingerprint, token: revoked }, { payload: "{}" }),
    "TOKEN_INVALID",
    /the owner's Hearth at https:\/\/127\.0\.0\.1:\d+ answered: the token is not valid/,
  );
  assert.equal(e.status, 401);
  const target = { endpoint, fingerprint: id.fingerprint, token: TOKEN };
  const throttled = await rejectsWith(
    invokeRemote(connections, target, { payload: '{"fail":"throttled"}' }),
    "TOO_MANY_ATTEMPTS",
  );
  assert.equal(throttled.retryAfterS, 7);
  // A stream's error event is thrown the same way, after the lines before it were handed over.
  const lines: string[] = [];
  await rejectsWith(
    invokeRemote(connections, target, {
      payload: '{"fail":"event"}',
      onEvent: (ev) => void (ev.type === "log" && lines.push(ev.line)),
    }),
    "SANDBOX_TIMEOUT",
    /answered: the task ran 3 s/,
  );
  assert.equal(lines.length, 2);
});

test("answers that are not Hearth's, and streams cut short, are protocol errors or unreachable", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(t, id);
  const target = { endpoint, fingerprint: id.fingerprint, token: TOKEN };
  await rejectsWith(
    invokeRemote(connections, target, { payload: '{"fail":"html"}' }),
    "REMOTE_PROTOCOL_ERROR",
    /HTTP 502/,
  );
  await rejectsWith(
    invokeRemote(connections, target, { payload: '{"fail":"garbage"}', onEvent: () => {} }),
    "REMOTE_PROTOCOL_ERROR",
    /not JSON/,
  );
  await rejectsWith(
    invokeRemote(connections, target, { payload: '{"fail":"cut"}', onEvent: () => {} }),
    "REMOTE_UNREACHABLE",
    /broke off|ended before/,
  );
  const plain = await listen(t, id, (_req, res) =>
    res.writeHead(200, { "content-type": "text/plain" }).end("hi"),
  );
  await rejectsWith(
    invokeRemote(connections, { ...target, endpoint: plain.endpoint }, { payload: "{}" }),
    "REMOTE_PROTOCOL_ERROR",
    /not JSON/,
  );
  await rejectsWith(
    invokeRemote(connections, { ...target, endpoint: plain.endpoint }, { payload: "{}", onEvent: () => {} }),
    "REMOTE_PROTOCOL_ERROR",
    /text\/plain/,
  );
  const silent = await listen(t, id, () => {});
  await rejectsWith(
    invokeRemote(
      connections,
      { ...target, endpoint: silent.endpoint },
      { payload: "{}", idleTimeoutMs: 200 },
    ),
    "REMOTE_UNREACHABLE",
    /sent nothing/,
  );
});

test("a listener that is down, or that never finishes a handshake, is unreachable", async (t) => {
  const { id } = await identities(t);
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await rejectsWith(
    invokeRemote(
      connections,
      { endpoint: `https://127.0.0.1:${port}`, fingerprint: id.fingerprint, token: TOKEN },
      { payload: "{}" },
    ),
    "REMOTE_UNREACHABLE",
    /ECONNREFUSED/,
  );

  const mute = createTcpServer(() => {});
  await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
  t.after(() => mute.close());
  const mutePort = (mute.address() as { port: number }).port;
  await rejectsWith(
    invokeRemote(
      connections,
      { endpoint: `https://127.0.0.1:${mutePort}`, fingerprint: id.fingerprint, token: TOKEN },
      { payload: "{}", connectTimeoutMs: 200 },
    ),
    "REMOTE_UNREACHABLE",
    /TLS handshake/,
  );
  await rejectsWith(
    invokeRemote(
      connections,
      { endpoint: `http://127.0.0.1:${mutePort}`, fingerprint: id.fingerprint, token: TOKEN },
      { payload: "{}" },
    ),
    "REMOTE_UNREACHABLE",
    /only TLS/,
  );
});

/** A hostile owner's stream: a start, then whatever `more` writes until the client gives up. */
function hostileStream(more: (send: (e: InvocationEvent) => void, res: ServerResponse) => void): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    const send = (e: InvocationEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    send({ type: "start", requestId: "req-h" });
    more(send, res);
  };
}

test("an owner that keeps a stream alive with keep-alives forever is stopped at the call's total deadline", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(
    t,
    id,
    hostileStream((_send, res) => {
      const timer = setInterval(() => res.write(": keep-alive\n\n"), 50);
      res.on("close", () => clearInterval(timer));
    }),
  );
  const started = Date.now();
  await rejectsWith(
    invokeRemote(
      connections,
      { endpoint, fingerprint: id.fingerprint, token: TOKEN },
      { payload: "{}", onEvent: () => {}, idleTimeoutMs: 200, totalTimeoutMs: 600 },
    ),
    "REMOTE_UNREACHABLE",
    /did not finish the call within 1 s/,
  );
  assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
});

test("an owner that streams without end is stopped at the byte cap", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(
    t,
    id,
    hostileStream((send, res) => {
      const line = "y".repeat(1000);
      const timer = setInterval(() => {
        for (let i = 0; i < 50; i++) {
          send({ type: "log", t: "2025-03-01T10:00:00.000Z", stream: "stdout", line });
        }
      }, 1);
      res.on("close", () => clearInterval(timer));
    }),
  );
  let seen = 0;
  await rejectsWith(
    invokeRemote(
      connections,
      { endpoint, fingerprint: id.fingerprint, token: TOKEN },
      { payload: "{}", onEvent: () => seen++, maxStreamBytes: 200_000 },
    ),
    "REMOTE_PROTOCOL_ERROR",
    /more than 200000 bytes/,
  );
  assert.ok(seen < 200, `${seen} events passed on`);
});

test("past the event cap no more log lines reach this side, one line says so, and the result still arrives", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(
    t,
    id,
    hostileStream((send, res) => {
      for (let i = 0; i < 50; i++) {
        send({ type: "log", t: "2025-03-01T10:00:00.000Z", stream: "stdout", line: `line ${i}` });
      }
      send({ type: "result", result: RESULT });
      res.end();
    }),
  );
  const events: InvocationEvent[] = [];
  const result = await invokeRemote(
    connections,
    { endpoint, fingerprint: id.fingerprint, token: TOKEN },
    { payload: "{}", onEvent: (e) => events.push(e), maxStreamEvents: 10 },
  );
  assert.equal(result.requestId, RESULT.requestId);
  assert.equal(events.length, 11);
  const last = events.at(-1)!;
  assert.ok(last.type === "log" && /sent more than 10 events/.test(last.line), JSON.stringify(last));
});

test("a remote API route that trickles its answer forever is stopped at the call's total deadline", async (t) => {
  const { id } = await identities(t);
  const { endpoint } = await listen(t, id, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    const timer = setInterval(() => res.write("."), 50);
    res.on("close", () => clearInterval(timer));
  });
  const started = Date.now();
  await rejectsWith(
    callRemoteApi(
      connections,
      { endpoint, fingerprint: id.fingerprint, token: TOKEN },
      { method: "GET", path: "/slow", headers: {}, idleTimeoutMs: 200, totalTimeoutMs: 600 },
    ),
    "REMOTE_UNREACHABLE",
    /did not finish the call/,
  );
  assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
});
