// `hearth dev` end to end on real VMs: a SAM project and a Serverless project written here (two functions each, an
// HTTP event, Globals/provider defaults, a TypeScript handler), their routes called over HTTP, a save taking effect
// under load without a failed call, and a syntax error that keeps the old code serving.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliEnv, hearth, serveHearth, startHearth, stopHearth, type Running } from "../helpers/hearth-cli.ts";

const data = mkdtempSync(join(tmpdir(), "hearth-dev-"));
const projects = mkdtempSync(join(tmpdir(), "hearth-dev-projects-"));
const env = cliEnv(data);
const run = (args: string[]) => hearth(env, args);

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

let server: Running | null = null;

before(async () => {
  server = await serveHearth(env);
  const created = await run(["profile", "create", "dev"]);
  assert.equal(created.code, 0, created.stderr);
});

after(async () => {
  await stopHearth(server);
  rmSync(data, { recursive: true, force: true });
  rmSync(projects, { recursive: true, force: true });
});

const helloCode = (word: string) =>
  `export const handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ word: ${JSON.stringify(word)}, greeting: process.env.GREETING, node: process.version, path: event.rawPath }),
});
`;

const SAM = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
    Environment:
      Variables:
        GREETING: !Sub "\${Greeting} from \${AWS::Region}"
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Handler: app.handler
      Events:
        Hello:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: get
  UsersFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        EntryPoints:
          - src/users.ts
    Properties:
      CodeUri: users/
      Handler: src/users.handler
      Runtime: nodejs24.x
      Layers:
        - arn:aws:lambda:us-east-1:123456789012:layer:x:1
      Events:
        User:
          Type: Api
          Properties:
            Path: /users/{id}
            Method: get
`;

const USERS_TS = `interface User { id: string; name: string }
const find = (id: string): User => ({ id, name: \`user-\${id}\` });
export const handler = async (event: { pathParameters?: Record<string, string> }) => ({
  statusCode: 200,
  body: JSON.stringify({ ...find(event.pathParameters?.id ?? "?"), node: process.version }),
});
`;

async function getJson(url: string): Promise<{ status: number; body: Record<string, string> }> {
  const r = await fetch(url);
  const text = await r.text();
  let body: Record<string, string>;
  try {
    body = JSON.parse(text) as Record<string, string>;
  } catch {
    body = { text };
  }
  return { status: r.status, body };
}

/** Starts `hearth dev` and resolves with its routes' URLs once it printed them. */
async function startDev(dir: string, extra: string[] = []) {
  const dev = startHearth(env, ["dev", dir, ...extra]);
  const { child } = dev;
  const exited = dev.done.then((r) => r.code);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`hearth dev printed no watching line: ${dev.stdout()}\n${dev.stderr()}`)),
      180_000,
    );
    const check = () => {
      if (/watching /.test(dev.stderr())) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stderr!.on("data", check);
    void exited.then((code) =>
      reject(new Error(`hearth dev exited ${code}: ${dev.stdout()}\n${dev.stderr()}`)),
    );
  });
  const urls = [...dev.stdout().matchAll(/^\s+(\w+)\s+(http:\S+)\s+→ (\S+)$/gm)].map((m) => ({
    method: m[1]!,
    url: m[2]!,
    task: m[3]!,
  }));
  return { child, urls, out: dev.stdout, err: dev.stderr, exited };
}

test("hearth dev runs a SAM project: Globals, parameters, both HTTP event types, a TypeScript handler", async () => {
  const dir = join(projects, "sam-app");
  write(dir, { "template.yaml": SAM, "hello/app.mjs": helloCode("first"), "users/src/users.ts": USERS_TS });
  const dev = await startDev(dir);
  try {
    assert.match(dev.err(), /template\.yaml: AWS SAM template with 2 functions and 2 routes/);
    assert.match(dev.err(), /template\.yaml:37: UsersFunction: Layers is not honoured by Hearth/);
    assert.match(
      dev.err(),
      /UsersFunction → task UsersFunction: created \(nodejs24\.x, bundled src\/users\.ts/,
    );
    const hello = dev.urls.find((u) => u.url.endsWith("/hello"))!;
    const user = dev.urls.find((u) => u.url.endsWith("/users/{id}"))!;
    assert.equal(hello.method, "GET");
    assert.match(hello.url, /\/apis\/sam-app\/hello$/);

    const first = await getJson(hello.url);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.word, "first");
    assert.equal(first.body.greeting, "hello from us-east-1");
    assert.match(first.body.node!, /^v22\./);
    const u = await getJson(user.url.replace("{id}", "42"));
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.deepEqual([u.body.id, u.body.name], ["42", "user-42"]);
    assert.match(u.body.node!, /^v24\./);

    // A save under four closed loops of calls: every call answers, and the new code takes over.
    let stop = false;
    const answers: { status: number; word?: string }[] = [];
    const loop = async () => {
      while (!stop) {
        const r = await getJson(hello.url).catch(() => ({ status: 0, body: {} as Record<string, string> }));
        answers.push({ status: r.status, ...(r.body.word ? { word: r.body.word } : {}) });
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 1000));
    const savedAt = Date.now();
    writeFileSync(join(dir, "hello/app.mjs"), helloCode("second"));
    let movedAfterMs = -1;
    while (Date.now() - savedAt < 120_000) {
      if (answers.slice(-8).length === 8 && answers.slice(-8).every((a) => a.word === "second")) {
        movedAfterMs = Date.now() - savedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    stop = true;
    await Promise.all(loops);
    assert.ok(
      movedAfterMs >= 0,
      `the new code never took over: ${JSON.stringify(answers.slice(-10))}\n${dev.err()}`,
    );
    const failed = answers.filter((a) => a.status !== 200);
    assert.deepEqual(failed, [], `${failed.length} of ${answers.length} calls failed during the save`);
    assert.match(dev.err(), /HelloFunction → task HelloFunction: updated .* after hello\/app\.mjs changed/);
    console.log(
      `# save → new code on every call under 4 loops: ${movedAfterMs} ms (${answers.length} calls, 0 failed)`,
    );

    // A syntax error is shown with its file and line, and the old code keeps serving.
    writeFileSync(join(dir, "hello/app.mjs"), "export const handler = async (event) => {\n  return {\n");
    const deadline = Date.now() + 30_000;
    while (!/not uploaded/.test(dev.err()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(dev.err(), /HelloFunction: hello\/app\.mjs:\d+: SyntaxError/);
    assert.match(dev.err(), /HelloFunction: not uploaded; the code already in Hearth keeps serving/);
    const still = await getJson(hello.url);
    assert.equal(still.body.word, "second");

    // The project is only read: nothing was written into it.
    const { readdirSync } = await import("node:fs");
    assert.deepEqual(readdirSync(dir).sort(), ["hello", "template.yaml", "users"]);
    assert.deepEqual(readdirSync(join(dir, "users")).sort(), ["src"]);
  } finally {
    dev.child.kill("SIGINT");
    assert.equal(await dev.exited, 0);
  }
});

test("hearth dev --no-watch imports a Serverless service: provider defaults, httpApi and http events, TypeScript", async () => {
  const dir = join(projects, "shop");
  write(dir, {
    "serverless.yml": `service: shop
provider:
  name: aws
  runtime: nodejs20.x
  stage: \${opt:stage, 'dev'}
  environment:
    TABLE: \${self:service}-\${sls:stage}-items
functions:
  list:
    handler: src/list.handler
    events:
      - httpApi: GET /items
  legacy:
    handler: legacy/index.handler
    runtime: python3
    events:
      - http:
          path: legacy/{id}
          method: get
`,
    "src/list.ts": `export const handler = async (): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: JSON.stringify({ table: process.env.TABLE, node: process.version }),
});
`,
    "legacy/index.py": `import json\ndef handler(event, context):\n    return {"statusCode": 200, "body": json.dumps({"id": event["pathParameters"]["id"]})}\n`,
  });
  const r = await run(["dev", dir, "--no-watch", "--stage", "test"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /list → task shop-test-list: created \(nodejs20\.x, bundled src\/list\.ts/);
  assert.match(r.stdout, /^API test-shop \(public on this port\):$/m);
  assert.match(
    r.stderr,
    /serverless\.yml:\d+: memorySize is not set: Serverless would deploy 1024 MB, Hearth runs with Lambda's 128 MB/,
  );
  const urls = [...r.stdout.matchAll(/^\s+(\w+)\s+(http:\S+)\s+→ (\S+)$/gm)].map((m) => m[2]!);
  const items = await getJson(urls.find((u) => u.endsWith("/items"))!);
  assert.equal(items.status, 200, JSON.stringify(items.body));
  assert.equal(items.body.table, "shop-test-items");
  assert.match(items.body.node!, /^v20\./);
  const legacy = await getJson(urls.find((u) => u.includes("/legacy/"))!.replace("{id}", "9"));
  assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
  assert.equal(legacy.body.id, "9");
  // Running it again updates the same tasks and API in place.
  const again = await run(["dev", dir, "--no-watch", "--stage", "test"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /list → task shop-test-list: updated/);
});

test("a folder without a project is refused with what hearth dev looks for", async () => {
  const empty = mkdtempSync(join(projects, "empty-"));
  const r = await run(["dev", empty, "--no-watch"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /PROJECT_NOT_FOUND: .* has no template\.yaml, template\.yml, serverless\.yml, serverless\.yaml, task\.json/,
  );
});
