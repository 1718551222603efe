// Each runtime a task may name runs on that version in a real VM, and one the image has not got is refused by
// name with the list it has, through the AWS SDK as a user deploys.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  type Runtime,
} from "@aws-sdk/client-lambda";
import type { FastifyInstance } from "fastify";
import { createProfile } from "../../main/domain/access/profiles.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { systemRandom } from "../../main/store/system-random.ts";
import { loadManifest } from "../../main/vm/image-manifest.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const dataDir = mkdtempSync(join(tmpdir(), "hearth-runtimes-"));
const codeDir = mkdtempSync(join(tmpdir(), "hearth-runtimes-code-"));
let host: Host;
let server: FastifyInstance;
let client: LambdaClient;
const text = (b?: Uint8Array) => Buffer.from(b ?? []).toString("utf8");

async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(join(codeDir, "fn-"));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return (await zipFolder(dir)).zip;
}

const NODE_VERSION = {
  "index.mjs":
    "export const handler = async () => ({ version: process.version, execPath: process.execPath });\n",
};
const PYTHON_VERSION = {
  "app.py":
    "import sys\ndef handler(event, context):\n    return {'version': '%d.%d' % sys.version_info[:2]}\n",
};

async function create(name: string, runtime: string, files: Record<string, string>, handler: string) {
  return client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime as Runtime,
      Role: "arn:aws:iam::000000000000:role/ignored",
      Handler: handler,
      Code: { ZipFile: await zipOf(files) },
    }),
  );
}

async function invoke(name: string) {
  return client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from("{}") }));
}

before(async () => {
  host = await Host.start({ dataDir });
  const ctx = { now: Date.now(), random: systemRandom, sealer: host.store.secrets };
  const { credentials } = await host.store.documents.update((s) => createProfile(s, { name: "rt" }, ctx));
  server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  const { port } = server.server.address() as { port: number };
  client = new LambdaClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
  });
});

after(async () => {
  await server?.close();
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(codeDir, { recursive: true, force: true });
});

describe("runtimes in the guest", () => {
  test("the image records each Node.js major it carries", () => {
    const m = loadManifest();
    assert.ok(m, "a built image");
    assert.deepEqual(Object.keys(m.versions.nodeRuntimes ?? {}).sort(), [
      "nodejs20.x",
      "nodejs22.x",
      "nodejs24.x",
    ]);
  });

  for (const major of [20, 22, 24]) {
    test(`nodejs${major}.x runs on Node.js ${major}`, async () => {
      const created = await create(`node${major}`, `nodejs${major}.x`, NODE_VERSION, "index.handler");
      assert.equal(created.Runtime, `nodejs${major}.x`);
      const r = await invoke(`node${major}`);
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      const out = JSON.parse(text(r.Payload)) as { version: string };
      assert.match(out.version, new RegExp(`^v${major}\\.`));
      const got = await client.send(new GetFunctionCommand({ FunctionName: `node${major}` }));
      assert.equal(got.Configuration?.Runtime, `nodejs${major}.x`);
    });
  }

  test("a bare nodejs task runs on Node.js 20, the version a restored VM starts ahead", async () => {
    const r = await invoke("node20");
    assert.match((JSON.parse(text(r.Payload)) as { version: string }).version, /^v20\./);
  });

  test("python3.N runs when N is the image's Python, and is refused by name otherwise", async () => {
    const python = /Python (3\.\d+)/.exec(loadManifest()!.versions.python)?.[1];
    assert.ok(python, "the image records its Python");
    await create("py-own", `python${python}`, PYTHON_VERSION, "app.handler");
    const ok = await invoke("py-own");
    assert.equal(ok.FunctionError, undefined, text(ok.Payload));
    assert.deepEqual(JSON.parse(text(ok.Payload)), { version: python });

    const other = python === "3.12" ? "3.13" : "3.12";
    await create("py-other", `python${other}`, PYTHON_VERSION, "app.handler");
    await assert.rejects(invoke("py-other"), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, "InvalidRuntimeException");
      assert.equal(e.$metadata?.httpStatusCode, 502);
      assert.match(
        e.message,
        new RegExp(`Python ${python.replace(".", "\\.")}, not ${other.replace(".", "\\.")}`),
      );
      assert.match(e.message, /nodejs20\.x, nodejs22\.x, nodejs24\.x/);
      return true;
    });
  });

  test("a Node.js major the image has not got is refused when the function is created, naming the field", async () => {
    await assert.rejects(create("node18", "nodejs18.x", NODE_VERSION, "index.handler"), (e: Error) => {
      assert.equal(e.name, "InvalidParameterValueException");
      assert.match(e.message, /Runtime/);
      assert.match(e.message, /Node\.js 18 is not in the guest image/);
      assert.match(e.message, /nodejs24\.x/);
      return true;
    });
  });
});

describe("custom runtimes: a bootstrap served the Lambda Runtime API in the guest", () => {
  const fixtures = join(import.meta.dirname, "..", "fixtures", "bootstraps");

  test("provided.al2023: a shell-script bootstrap answers, fails and logs as Lambda's would", async () => {
    const created = await client.send(
      new CreateFunctionCommand({
        FunctionName: "shell-runtime",
        Runtime: "provided.al2023",
        Role: "arn:aws:iam::000000000000:role/ignored",
        Handler: "function.handler",
        Environment: { Variables: { GREETING: "hi" } },
        // Written without its executable bit, as a zip made on Windows arrives: the runtime still starts it.
        Code: {
          ZipFile: await zipOf({ bootstrap: readFileSync(join(fixtures, "shell-bootstrap.sh"), "utf8") }),
        },
      }),
    );
    assert.equal(created.Runtime, "provided.al2023");
    const before = Date.now();
    const r = await client.send(
      new InvokeCommand({ FunctionName: "shell-runtime", Payload: Buffer.from('{"n":41}'), LogType: "Tail" }),
    );
    const log = Buffer.from(r.LogResult ?? "", "base64").toString("utf8");
    assert.equal(r.FunctionError, undefined, `${text(r.Payload)}\n${log}`);
    const out = JSON.parse(text(r.Payload)) as {
      echo: unknown;
      requestId: string;
      deadline: number;
      greeting: string;
    };
    assert.deepEqual(out.echo, { n: 41 });
    assert.equal(out.greeting, "hi");
    assert.equal(out.requestId, r.$metadata.requestId);
    // Lambda-Runtime-Deadline-Ms: the call's start plus its timeout (3 s by default).
    assert.ok(out.deadline > before && out.deadline <= Date.now() + 3_000, String(out.deadline));
    assert.match(log, new RegExp(`handling ${out.requestId}`));
    // What the bootstrap wrote during its init comes with the first call's log.
    assert.match(log, /shell bootstrap up, handler function\.handler/);

    const failed = await client.send(
      new InvokeCommand({ FunctionName: "shell-runtime", Payload: Buffer.from('{"fail":true}') }),
    );
    assert.equal(failed.FunctionError, "Unhandled");
    const err = JSON.parse(text(failed.Payload)) as { errorType: string; errorMessage: string };
    assert.equal(err.errorType, "Custom.Fail");
    assert.equal(err.errorMessage, "asked to fail");

    // A bootstrap that exits mid-invocation fails that call; the next one gets a new environment.
    const exited = await client.send(
      new InvokeCommand({ FunctionName: "shell-runtime", Payload: Buffer.from('{"exit":true}') }),
    );
    assert.equal(exited.FunctionError, "Unhandled");
    assert.match(text(exited.Payload), /Runtime exited with error: exit status 7/);
    const again = await client.send(
      new InvokeCommand({ FunctionName: "shell-runtime", Payload: Buffer.from('{"n":42}') }),
    );
    assert.equal(again.FunctionError, undefined, text(again.Payload));
    assert.deepEqual((JSON.parse(text(again.Payload)) as { echo: unknown }).echo, { n: 42 });
  });

  test("provided.al2: a static binary bootstrap (C, built here) runs", async () => {
    const dir = mkdtempSync(join(codeDir, "static-"));
    const built = spawnSync(
      "gcc",
      ["-static", "-O2", "-o", join(dir, "bootstrap"), join(fixtures, "static-bootstrap.c")],
      {
        encoding: "utf8",
      },
    );
    assert.equal(
      built.status,
      0,
      `gcc -static (scripts/setup-host.sh installs gcc and libc6-dev): ${built.stderr}`,
    );
    await client.send(
      new CreateFunctionCommand({
        FunctionName: "static-runtime",
        Runtime: "provided.al2",
        Role: "arn:aws:iam::000000000000:role/ignored",
        Handler: "bootstrap",
        Code: { ZipFile: (await zipFolder(dir)).zip },
      }),
    );
    const payload = '{"hello":"world"}';
    const r = await client.send(
      new InvokeCommand({ FunctionName: "static-runtime", Payload: Buffer.from(payload) }),
    );
    assert.equal(r.FunctionError, undefined, text(r.Payload));
    assert.deepEqual(JSON.parse(text(r.Payload)), {
      lang: "c",
      eventBytes: payload.length,
      requestId: r.$metadata.requestId,
    });
  });

  test("a zip without a bootstrap fails its init with Lambda's error", async () => {
    await create("no-bootstrap", "provided.al2023", { "README.txt": "no bootstrap here\n" }, "x.y");
    const r = await invoke("no-bootstrap");
    assert.equal(r.FunctionError, "Unhandled");
    const err = JSON.parse(text(r.Payload)) as { errorType: string; errorMessage: string };
    assert.equal(err.errorType, "Runtime.InvalidEntrypoint");
    assert.match(err.errorMessage, /Couldn't find valid bootstrap/);
  });
});
