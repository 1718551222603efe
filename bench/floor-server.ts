// The floor of `npm run bench:peers`: a bare node:http server answering Lambda's Invoke route by calling the task's
// handler in this process; prints {url} on stdout once listening, runs until killed. Nothing can be faster over HTTP.
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { fixtureDir } from "../tests/helpers/fixtures.ts";

const { values } = parseArgs({ options: { fixture: { type: "string", default: "echo-node" } } });
const dir = fixtureDir(values.fixture);
const task = JSON.parse(readFileSync(join(dir, "task.json"), "utf8")) as {
  handler: string;
  memoryMb: number;
  timeoutS: number;
};
const dot = task.handler.lastIndexOf(".");
const [file, exportName] = [task.handler.slice(0, dot), task.handler.slice(dot + 1)];
const modulePath = [".mjs", ".js", ".cjs"].map((ext) => join(dir, file + ext)).find((p) => existsSync(p));
if (!modulePath) throw new Error(`no module for handler "${task.handler}" in ${dir}`);
const mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
const handler = mod[exportName];
if (typeof handler !== "function") throw new Error(`${modulePath} exports no function "${exportName}"`);

// SigV4 is not checked: the SDK signs every request, the floor only has to accept it.
const route = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/;

const server = createServer((req, res) => {
  const match = req.method === "POST" ? route.exec(req.url ?? "") : null;
  if (!match) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ Type: "User", message: `no route ${req.method} ${req.url}` }));
    return;
  }
  const functionName = decodeURIComponent(match[1]!);
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const started = Date.now();
    const context = {
      functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
      memoryLimitInMB: String(task.memoryMb),
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => task.timeoutS * 1000 - (Date.now() - started),
    };
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = { "content-type": "application/json", "x-amz-executed-version": "$LATEST" };
    Promise.resolve()
      .then(() => (handler as (e: unknown, c: unknown) => unknown)(body ? JSON.parse(body) : {}, context))
      .then(
        (result) => {
          res.writeHead(200, headers);
          res.end(JSON.stringify(result ?? null));
        },
        (err: unknown) => {
          const e = err instanceof Error ? err : new Error(String(err));
          res.writeHead(200, { ...headers, "x-amz-function-error": "Unhandled" });
          res.end(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
        },
      );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
