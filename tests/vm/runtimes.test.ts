// Each runtime a task may name runs on that version in a real VM, and one the image has not got is refused by
// name with the list it has, through the AWS SDK as a user deploys.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
