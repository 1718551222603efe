// Debugging a task on real VMs, as a user does: `hearth invoke --inspect` waits on a port of 127.0.0.1, a DevTools
// protocol client attaches through it (the agent's tunnel into the sandbox), sets a breakpoint, reads a local
// variable while the call is paused past its timeout, and resumes; the call then answers. `hearth dev --inspect`
// gives a project's function a port too. A Python task is refused by name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { cliEnv, hearth, serveHearth, startHearth, stopHearth, type Running } from "../helpers/hearth-cli.ts";

const data = mkdtempSync(join(tmpdir(), "hearth-inspect-"));
const work = mkdtempSync(join(tmpdir(), "hearth-inspect-work-"));
const env = cliEnv(data);
const start = (args: string[]) => startHearth(env, args);
const run = (args: string[]) => hearth(env, args);

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null,
  timeoutMs: number,
  said: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${said()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A DevTools protocol client over one WebSocket: commands answered by id, events kept in order. */
class Cdp {
  private nextId = 1;
  private readonly answers = new Map<number, (m: Record<string, unknown>) => void>();
  readonly events: { method: string; params: Record<string, unknown> }[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (raw: Buffer) => {
      const m = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      if (typeof m.id === "number") this.answers.get(m.id)?.(m);
      else this.events.push(m as { method: string; params: Record<string, unknown> });
    });
  }

  static async open(url: string): Promise<Cdp> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new Cdp(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), 30_000);
      this.answers.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
        else resolve((m.result ?? {}) as Record<string, unknown>);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  event(method: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return waitFor(method, () => this.events.find((e) => e.method === method)?.params, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}

async function debuggerUrl(port: number): Promise<string> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  assert.equal(list.length, 1, JSON.stringify(list));
  // The inspector names the address it was reached at: the host's port, not the sandbox's own.
  assert.match(list[0]!.webSocketDebuggerUrl, new RegExp(`^ws://127\\.0\\.0\\.1:${port}/`));
  return list[0]!.webSocketDebuggerUrl;
}

function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

const HANDLER = `export const handler = async (event) => {
  const doubled = event.n * 2;
  const greeting = "hello " + event.name;
  return { doubled, greeting };
};
`;

let server: Running | null = null;

before(async () => {
  server = await serveHearth(env);
  const created = await run(["profile", "create", "dev"]);
  assert.equal(created.code, 0, created.stderr);
});

after(async () => {
  await stopHearth(server);
  rmSync(data, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test("hearth invoke --inspect: a breakpoint pauses the call past its timeout, a local variable is read, the call answers", async () => {
  const dir = join(work, "doubler");
  write(dir, {
    "index.mjs": HANDLER,
    // One second: the pause below lasts longer, and must not time the call out.
    "task.json": JSON.stringify({
      name: "doubler",
      runtime: "nodejs20.x",
      handler: "index.handler",
      timeoutS: 1,
    }),
  });
  const imported = await run(["import", dir]);
  assert.equal(imported.code, 0, imported.stderr);

  const call = start(["invoke", "doubler", "--inspect", "--payload", '{"n":21,"name":"Ann"}']);
  const port = Number(
    await waitFor(
      "the debugger's port",
      () => /on 127\.0\.0\.1:(\d+): the call starts/.exec(call.stderr())?.[1],
      120_000,
      // What the command and the server said meanwhile, to tell a slow VM from a stuck load.
      () =>
        `\n--- hearth invoke said:\n${call.stderr().slice(-2000)}\n--- hearth serve said:\n${server?.stderr().slice(-4000) ?? ""}`,
    ),
  );
  assert.ok(port >= 9229 && port <= 9299, String(port));

  const cdp = await Cdp.open(await debuggerUrl(port));
  await cdp.send("Runtime.enable");
  await cdp.send("Debugger.enable");
  // Line 3 (0-based): `return { doubled, greeting };`
  const bp = await cdp.send("Debugger.setBreakpointByUrl", { urlRegex: "index\\.mjs$", lineNumber: 3 });
  assert.ok(bp.breakpointId);
  await cdp.send("Runtime.runIfWaitingForDebugger");

  const paused = (await cdp.event("Debugger.paused")) as {
    callFrames: { callFrameId: string; location: { scriptId: string; lineNumber: number } }[];
  };
  const top = paused.callFrames[0]!;
  // A frame names its script by id; the script's URL came with Debugger.scriptParsed.
  const script = cdp.events.find(
    (e) => e.method === "Debugger.scriptParsed" && e.params.scriptId === top.location.scriptId,
  );
  assert.match(String(script?.params.url), /^file:\/\/.*\/index\.mjs$/);
  assert.equal(top.location.lineNumber, 3);
  const doubled = (await cdp.send("Debugger.evaluateOnCallFrame", {
    callFrameId: top.callFrameId,
    expression: "doubled",
  })) as { result: { value: unknown } };
  assert.equal(doubled.result.value, 42);
  const greeting = (await cdp.send("Debugger.evaluateOnCallFrame", {
    callFrameId: top.callFrameId,
    expression: "greeting",
  })) as { result: { value: unknown } };
  assert.equal(greeting.result.value, "hello Ann");

  // Paused for 2.5 s against a 1 s timeout: the clock stands still while a debugger holds the call.
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(call.child.exitCode, null, `the call ended while paused: ${call.stderr()}`);
  await cdp.send("Debugger.resume");

  const r = await call.done;
  cdp.close();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { doubled: 42, greeting: "hello Ann" });
  // The debugger ends with the call: the port is closed, and the task answers as before (no breakpoint).
  assert.ok(await portClosed(port), `port ${port} still open`);
  const plain = await run(["invoke", "doubler", "--payload", '{"n":1,"name":"Bo"}']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), { doubled: 2, greeting: "hello Bo" });
});

test("hearth dev --inspect: the project's function gets a port; a route's call stops at a breakpoint", async () => {
  const dir = join(work, "proj");
  write(dir, {
    "template.yaml": `Transform: AWS::Serverless-2016-10-31
Resources:
  Adder:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      Timeout: 2
      Events:
        Add:
          Type: HttpApi
          Properties:
            Path: /add
            Method: get
`,
    "app.mjs": `export const handler = async (event) => {
  const sum = Number(event.queryStringParameters.a) + Number(event.queryStringParameters.b);
  return { statusCode: 200, body: String(sum) };
};
`,
  });
  const dev = start(["dev", dir, "--inspect", "--api-name", "adder"]);
  try {
    const port = Number(
      await waitFor(
        "the dev debugger's port",
        () => /Adder: debugger on 127\.0\.0\.1:(\d+)/.exec(dev.stderr())?.[1],
        180_000,
      ),
    );
    const url = await waitFor(
      "the route's URL",
      () => /(http:\/\/\S+\/add)\b/.exec(dev.stdout())?.[1],
      10_000,
    );
    const cdp = await Cdp.open(await debuggerUrl(port));
    await cdp.send("Debugger.enable");
    await cdp.send("Debugger.setBreakpointByUrl", { urlRegex: "app\\.mjs$", lineNumber: 2 });
    await cdp.send("Runtime.runIfWaitingForDebugger");
    const answer = fetch(`${url}?a=2&b=3`).then(async (res) => ({
      status: res.status,
      body: await res.text(),
    }));
    const paused = (await cdp.event("Debugger.paused")) as { callFrames: { callFrameId: string }[] };
    const sum = (await cdp.send("Debugger.evaluateOnCallFrame", {
      callFrameId: paused.callFrames[0]!.callFrameId,
      expression: "sum",
    })) as { result: { value: unknown } };
    assert.equal(sum.result.value, 5);
    await cdp.send("Debugger.resume");
    assert.deepEqual(await answer, { status: 200, body: "5" });
    cdp.close();
  } finally {
    dev.child.kill("SIGINT");
    await dev.done;
  }
});

test("a Python task has no debugger here, and is refused by name", async () => {
  const dir = join(work, "py");
  write(dir, {
    "app.py": "def handler(event, context):\n    return 1\n",
    "task.json": JSON.stringify({ name: "pyfn", runtime: "python3", handler: "app.handler" }),
  });
  assert.equal((await run(["import", dir])).code, 0);
  const r = await run(["invoke", "pyfn", "--inspect"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /INSPECT_UNAVAILABLE/);
  assert.match(r.stderr, /no debugpy/);
});
