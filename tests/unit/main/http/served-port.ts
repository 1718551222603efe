// The real local port (startServer) over a stub host, for tests of what the port lets through before a route runs:
// requests whose Host, Origin, credentials and body the test controls, and a count of the invocations that ran.
import { request, type IncomingHttpHeaders } from "node:http";
import type { TestContext } from "node:test";
import { createAlias } from "../../../../main/domain/aliases/aliases.ts";
import { createApi } from "../../../../main/domain/apis/apis.ts";
import { createProfile } from "../../../../main/domain/access/profiles.ts";
import { createTask } from "../../../../main/domain/tasks/tasks.ts";
import { mintAliasToken, mintApiToken } from "../../../../main/domain/access/tokens.ts";
import { startServer } from "../../../../main/http/server.ts";
import type { RunOutcome } from "../../../../main/invoke/sandbox-scheduler.ts";
import { ensureOwnerKey } from "../../../../main/store/owner-key.ts";
import { systemRandom } from "../../../../main/store/system-random.ts";
import { stubHost } from "../app/stub-host.ts";

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The Host header; null sends none (as an HTTP/1.0 client may). By default the address the test reached. */
  host?: string | null;
}

/**
 * A served host: profile alice (task "echo", alias "live" with a token, the public API "open" and the token API
 * "private", both on echo) and profile carol with an access key. `answer` sets what echo's invocations return.
 */
export async function servedPort(t: TestContext) {
  const { host, runs, profile: alice } = await stubHost(t);
  const store = host.store;
  const ctx = () => ({ now: Date.now(), random: systemRandom, sealer: store.secrets });
  const update = <R>(fn: Parameters<typeof store.documents.update<R>>[0]) => store.documents.update(fn);
  const carol = await update((s) => createProfile(s, { name: "carol" }, ctx()));
  await update((s) =>
    createTask(
      s,
      carol.profile.id,
      { name: "mine", runtime: "nodejs", handler: "i.h", code: { sha256: "2".repeat(64), size: 1 } },
      ctx(),
    ),
  );
  const live = await update((s) =>
    createAlias(s, alice.id, { task: "echo", name: "live", version: "$LATEST" }, ctx()),
  );
  const aliasToken = await update((s) => mintAliasToken(s, alice.id, { aliasId: live.id }, ctx()));
  const target = { task: "echo" };
  await update((s) =>
    createApi(
      s,
      alice.id,
      { name: "open", access: "public", routes: [{ routeKey: "$default", target }] },
      ctx(),
    ),
  );
  const priv = await update((s) =>
    createApi(
      s,
      alice.id,
      { name: "private", access: "token", routes: [{ routeKey: "$default", target }] },
      ctx(),
    ),
  );
  const apiToken = await update((s) => mintApiToken(s, alice.id, { apiId: priv.id }, ctx()));

  // What echo's invocations answer: by default the payload they were given.
  let answer: ((payload: string) => string) | null = null;
  const scheduler = host.scheduler as unknown as { run: (...a: unknown[]) => Promise<RunOutcome> };
  const run = scheduler.run.bind(scheduler);
  scheduler.run = async (...a: unknown[]) => {
    const r = await run(...a);
    return answer && r.ok ? { ...r, payload: answer(a[1] as string) } : r;
  };

  const server = await startServer({ host: "127.0.0.1", port: 0, app: host });
  t.after(() => server.close());
  const port = (server.server.address() as { port: number }).port;
  const ownerKey = await ensureOwnerKey(host.dataDir);
  const basic = `Basic ${Buffer.from(`${carol.credentials.accessKeyId}:${carol.credentials.secretAccessKey}`).toString("base64")}`;

  const send = (o: RawRequest): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...o.headers };
      if (o.host !== null) headers.host = o.host ?? `127.0.0.1:${port}`;
      const req = request(
        { host: "127.0.0.1", port, method: o.method ?? "GET", path: o.path, headers, setHost: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
        },
      );
      req.on("error", reject);
      req.end(o.body);
    });

  /**
   * Declares a body of `declared` bytes but sends only its first 64 KiB, and resolves with the answer if it comes
   * before the rest: what a server that authenticates on the headers does. Rejects after `ms` otherwise.
   */
  const answeredBeforeBody = (o: RawRequest & { declared: number }, ms = 5_000): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...o.headers,
        host: `127.0.0.1:${port}`,
        "content-length": String(o.declared),
      };
      const req = request({ host: "127.0.0.1", port, method: o.method ?? "POST", path: o.path, headers });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`${o.method ?? "POST"} ${o.path}: no answer before the body was sent`));
      }, ms);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          });
        });
      });
      // The server may close the connection once it has answered: that is the point.
      req.on("error", () => {});
      req.write(Buffer.alloc(64 * 1024, 0x20));
    });

  return {
    host,
    store,
    runs,
    port,
    url: `http://127.0.0.1:${port}`,
    ownerKey,
    alice,
    carol,
    basic,
    aliasToken: aliasToken.secret,
    apiToken: apiToken.secret,
    send,
    answeredBeforeBody,
    answer: (fn: (payload: string) => string) => {
      answer = fn;
    },
  };
}

export const codeOf = (a: RawAnswer): string | undefined =>
  (JSON.parse(a.body) as { error?: { code?: string } }).error?.code;
