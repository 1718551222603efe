// A shared alias's token in use, with two real Hearth hosts on this machine: the owner shares on 127.0.0.2 in one call
// (shareAlias) with an expiry and a rate limit, the teammate imports the link and calls through its own port; the
// token's calls, last use and addresses show in the owner's token list (and `hearth token ls`), and past its rate
// the token is refused 429 with Retry-After on the shared listener, through the teammate's Hearth and on the local
// port alike. Counting never writes the document on a call.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { HearthApiError, HearthClient } from "../../main/client/http-client.ts";
import type { ShareAnswer } from "../../main/contract.ts";
import { parseShareLink } from "../../main/domain/sharing/share-link.ts";
import { Host } from "../../main/host.ts";
import { startServer } from "../../main/http/server.ts";
import { OWNER_KEY_FILE } from "../../main/store/owner-key.ts";
import { TOKEN_USAGE_FILE } from "../../main/store/token-usage.ts";
import { fixtureDir } from "../helpers/fixtures.ts";
import { zipFolder } from "../helpers/zip-folder.ts";

const REPO = resolve(import.meta.dirname, "..", "..");
const ownerDir = mkdtempSync(join(tmpdir(), "hearth-usage-owner-"));
const mateDir = mkdtempSync(join(tmpdir(), "hearth-usage-mate-"));
let ownerHost: Host;
let mateHost: Host;
let ownerPort: FastifyInstance;
let matePort: FastifyInstance;
let ownerUrl = "";
let mateUrl = "";
let alice: HearthClient;
let bob: HearthClient;
let aliasId = "";
let shared: ShareAnswer;

const portOf = (s: FastifyInstance) => (s.server.address() as { port: number }).port;

before(async () => {
  ownerHost = await Host.start({ dataDir: ownerDir });
  mateHost = await Host.start({ dataDir: mateDir, warm: 0 });
  // Sharing on, through the server as `hearth serve --share 127.0.0.2:0` starts it.
  ownerPort = await startServer({
    host: "127.0.0.1",
    port: 0,
    app: ownerHost,
    share: { host: "127.0.0.2", port: 0 },
  });
  ownerUrl = `http://127.0.0.1:${portOf(ownerPort)}`;
  matePort = await startServer({ host: "127.0.0.1", port: 0, app: mateHost });
  mateUrl = `http://127.0.0.1:${portOf(matePort)}`;
  const ownerKey = readFileSync(join(ownerDir, OWNER_KEY_FILE), "utf8").trim();
  await new HearthClient(ownerUrl, { kind: "owner", key: ownerKey }).call("createProfile", { name: "alice" });
  alice = new HearthClient(ownerUrl, { kind: "owner", key: ownerKey, profile: "alice" });
  const mateKey = readFileSync(join(mateDir, OWNER_KEY_FILE), "utf8").trim();
  await new HearthClient(mateUrl, { kind: "owner", key: mateKey }).call("createProfile", { name: "bob" });
  bob = new HearthClient(mateUrl, { kind: "owner", key: mateKey, profile: "bob" });
  const zip = (await zipFolder(fixtureDir("echo-node"))).zip.toString("base64");
  await alice.call("importTask", { zipBase64: zip, publish: true });
  aliasId = (await alice.call("createAlias", { task: "echo", name: "prod", version: 1 })).id;
});

after(async () => {
  await ownerPort?.close();
  await matePort?.close();
  await mateHost?.close();
  await ownerHost?.close();
  rmSync(ownerDir, { recursive: true, force: true });
  rmSync(mateDir, { recursive: true, force: true });
});

async function refused(p: Promise<unknown>): Promise<HearthApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HearthApiError, String(err));
    return err;
  }
  assert.fail("expected a refusal");
}

/** A raw call on the owner's shared listener, to read the status and Retry-After as sent. */
function onSharedListener(
  token: string,
  body = "{}",
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((res, rej) => {
    const req = httpsRequest(
      `${shared.endpoint}/v1/invoke`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        rejectUnauthorized: false,
        agent: false,
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () =>
          res({
            status: r.statusCode ?? 0,
            retryAfter: r.headers["retry-after"] as string | undefined,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", rej);
    req.end(body);
  });
}

function hearthCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      ["bin/hearth.mjs", ...args, "--data", ownerDir, "--profile", "alice"],
      {
        cwd: REPO,
        env: {
          ...process.env,
          HEARTH_URL: "",
          HEARTH_TOKEN: "",
          AWS_ACCESS_KEY_ID: "",
          AWS_SECRET_ACCESS_KEY: "",
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("a Hearth that is not sharing says so instead of minting a link nobody could reach", async () => {
  const err = await refused(bob.call("shareAlias", { aliasId: "als_none" }));
  assert.equal(err.status, 409);
  assert.equal(err.code, "SHARING_OFF");
  assert.match(err.detail, /hearth serve --share/);
});

test("sharing mints a token with the chosen expiry and rate limit and answers the link, curl and aws lines", async () => {
  const before = (await alice.call("listTokens", {})).length;
  // A name no link can carry is refused before anything is minted.
  const bad = await refused(alice.call("shareAlias", { aliasId, name: "no spaces allowed" }));
  assert.equal(bad.field, "name");
  assert.equal((await alice.call("listTokens", {})).length, before);
  const badRate = await refused(alice.call("shareAlias", { aliasId, rateLimitPerMinute: 0 }));
  assert.equal(badRate.field, "rateLimitPerMinute");

  shared = await alice.call("shareAlias", {
    aliasId,
    label: "for bob",
    expiresInS: 3600,
    rateLimitPerMinute: 2,
  });
  assert.equal(shared.name, "echo", "the task's name by default");
  assert.match(shared.endpoint, /^https:\/\/127\.0\.0\.2:\d+$/);
  const parts = parseShareLink(shared.link);
  assert.deepEqual(parts, {
    endpoint: shared.endpoint,
    token: shared.secret,
    fingerprint: shared.fingerprint,
    name: "echo",
  });
  assert.match(shared.curl, /^curl -sS --insecure --pinnedpubkey '?sha256\/\/[A-Za-z0-9+/=]{44}'? /);
  assert.ok(shared.curl.includes(`${shared.endpoint}/v1/invoke`), shared.curl);
  assert.ok(shared.curl.includes(shared.secret));
  assert.match(shared.aws, /^aws --endpoint-url \S+ lambda invoke --function-name echo /);
  assert.equal(shared.token.rateLimitPerMinute, 2);
  assert.equal(shared.token.label, "for bob");
  const life = Date.parse(shared.token.expiresAt!) - Date.parse(shared.token.createdAt);
  assert.equal(life, 3_600_000);
  assert.deepEqual(shared.token.usage, { lastUsedAt: null, calls: 0, throttled: 0, addresses: [] });
  // The token is in that answer only.
  const listed = await alice.call("listTokens", {});
  assert.ok(!JSON.stringify(listed).includes(shared.secret));
});

test("the curl line of a share works as printed: it reaches the alias, pinned to the listener's key", async () => {
  const unlimited = await alice.call("shareAlias", { aliasId, name: "echo-curl", expiresInS: 600 });
  const run = (cmd: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
      execFile("sh", ["-c", cmd], { timeout: 120_000 }, (err, stdout, stderr) =>
        res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const ok = await run(unlimited.curl);
  assert.equal(ok.code, 0, ok.stderr);
  const answer = JSON.parse(ok.stdout) as { ok: boolean };
  assert.equal(answer.ok, true, ok.stdout);
  // Another key's pin is refused by curl itself, before the token is sent.
  const wrongPin = unlimited.curl.replace(/sha256\/\/[A-Za-z0-9+/=]{44}/, `sha256//${"A".repeat(43)}=`);
  const refusedPin = await run(wrongPin);
  assert.notEqual(refusedPin.code, 0, refusedPin.stdout);
  const listed = (await alice.call("listTokens", {})).find((t) => t.id === unlimited.token.id)!;
  assert.equal(listed.usage.calls, 1, "the refused pin never reached the listener");
});

test("the teammate's calls are counted with their address; past the rate, 429 with Retry-After everywhere", async () => {
  await bob.call("addRemote", { link: shared.link });
  const docBefore = statSync(join(ownerDir, "hearth.json")).mtimeMs;
  const first = await bob.call("invoke", { task: "echo", payload: '{"n":1}' });
  assert.equal(first.ok, true, JSON.stringify(first));
  const second = await bob.call("invoke", { task: "echo", payload: '{"n":2}' });
  assert.equal(second.ok, true, JSON.stringify(second));

  // The third call within the minute: refused on the shared listener itself, as sent…
  const direct = await onSharedListener(shared.secret);
  assert.equal(direct.status, 429, direct.body);
  assert.match(direct.retryAfter ?? "", /^\d+$/);
  assert.ok(Number(direct.retryAfter) >= 1 && Number(direct.retryAfter) <= 60, direct.retryAfter);
  const body = JSON.parse(direct.body) as { error: { code: string; message: string; field?: string } };
  assert.equal(body.error.code, "TOKEN_RATE_LIMITED");
  assert.match(body.error.message, /2 times per minute; try again in \d+ s/);
  // …and through the teammate's Hearth, which passes the owner's code and wait on.
  const relayed = await fetch(`${mateUrl}/v1/invoke?task=echo`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${readFileSync(join(mateDir, OWNER_KEY_FILE), "utf8").trim()}`,
      "x-hearth-profile": "bob",
    },
    body: "{}",
  });
  assert.equal(relayed.status, 429);
  assert.match(relayed.headers.get("retry-after") ?? "", /^\d+$/);
  assert.equal(((await relayed.json()) as { error: { code: string } }).error.code, "TOKEN_RATE_LIMITED");

  const [token] = (await alice.call("listTokens", {})).filter((t) => t.id === shared.token.id);
  assert.ok(token);
  assert.equal(token.usage.calls, 2);
  assert.equal(token.usage.throttled, 2);
  assert.ok(token.usage.lastUsedAt !== null);
  assert.ok(Date.now() - Date.parse(token.usage.lastUsedAt) < 120_000);
  // The teammate's machine reaches 127.0.0.2 from a loopback address; that is the one recorded.
  assert.equal(token.usage.addresses.length, 1, JSON.stringify(token.usage.addresses));
  assert.match(token.usage.addresses[0]!, /^127\.\d+\.\d+\.\d+$/);
  assert.equal(
    statSync(join(ownerDir, "hearth.json")).mtimeMs,
    docBefore,
    "counting calls never writes the document",
  );

  // Saved beside the document within about a second, without a shutdown.
  type Saved = { tokens: Record<string, { calls: number; addresses: string[] }> };
  const readSaved = (): Saved | null => {
    try {
      return JSON.parse(readFileSync(join(ownerDir, TOKEN_USAGE_FILE), "utf8")) as Saved;
    } catch {
      return null;
    }
  };
  let saved = readSaved();
  for (let i = 0; i < 50 && saved?.tokens[shared.token.id]?.calls !== 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    saved = readSaved();
  }
  assert.equal(saved?.tokens[shared.token.id]?.calls, 2);
  assert.deepEqual(saved?.tokens[shared.token.id]?.addresses, token.usage.addresses);
});

test("a rate-limited token is held to it on the local port too; an unlimited one is not", async () => {
  const limited = await alice.call("mintToken", { aliasId, rateLimitPerMinute: 1 });
  const open = await alice.call("mintToken", { aliasId });
  const call = (secret: string) =>
    fetch(`${ownerUrl}/v1/invoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
      body: "{}",
    });
  assert.equal((await call(limited.secret)).status, 200);
  const second = await call(limited.secret);
  assert.equal(second.status, 429);
  assert.match(second.headers.get("retry-after") ?? "", /^\d+$/);
  assert.equal(((await second.json()) as { error: { code: string } }).error.code, "TOKEN_RATE_LIMITED");
  for (let i = 0; i < 3; i++) assert.equal((await call(open.secret)).status, 200);
  const tokens = await alice.call("listTokens", {});
  const l = tokens.find((t) => t.id === limited.token.id)!;
  const o = tokens.find((t) => t.id === open.token.id)!;
  assert.deepEqual([l.usage.calls, l.usage.throttled, l.usage.addresses], [1, 1, ["127.0.0.1"]]);
  assert.deepEqual([o.usage.calls, o.usage.throttled], [3, 0]);
  // A wrong token is no use of any token.
  assert.equal((await call(`hth_${"x".repeat(43)}`)).status, 401);
  const after = await alice.call("listTokens", {});
  assert.deepEqual(
    after.map((t) => t.usage.calls),
    tokens.map((t) => t.usage.calls),
  );
});

test("a shared token API is called with its curl line over the shared listener, counted and rate limited", async () => {
  const api = await alice.call("createApi", {
    name: "shop",
    access: "token",
    routes: [{ routeKey: "ANY /{proxy+}", target: { task: "echo", qualifier: "prod" } }],
  });
  const a = await alice.call("shareApi", { apiId: api.id, rateLimitPerMinute: 1, expiresInS: 600 });
  assert.equal(a.url, `${shared.endpoint}/apis/shop`);
  const curl = a.curl.replace(/\/apis\/shop\/('?)$/, "/apis/shop/orders/7$1");
  const run = (cmd: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
      execFile("sh", ["-c", cmd], { timeout: 120_000 }, (err, stdout, stderr) =>
        res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  const first = await run(`${curl} -w '\\n%{http_code}'`);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\n200$/, first.stdout);
  assert.ok(first.stdout.includes("/orders/7"), first.stdout);
  const second = await run(`${curl} -i`);
  assert.match(second.stdout, /^HTTP\/1\.1 429/, second.stdout);
  assert.match(second.stdout, /retry-after: \d+/i);
  const t = (await alice.call("listTokens", {})).find((x) => x.id === a.token.id)!;
  assert.deepEqual([t.usage.calls, t.usage.throttled], [1, 1]);
  assert.match(t.usage.addresses[0] ?? "", /^127\./);
});

test("a shared API's link becomes the teammate's remote API: its routes answer through their own port", async () => {
  const api = (await alice.call("listApis", {})).find((x) => x.name === "shop")!;
  const a = await alice.call("shareApi", { apiId: api.id, expiresInS: 600 });
  const parts = parseShareLink(a.link);
  assert.equal(parts.kind, "api");
  assert.equal(parts.endpoint, a.url);
  assert.equal(parts.name, "shop");
  const remote = await bob.call("addRemote", { link: a.link });
  assert.equal(remote.kind, "api");
  const mateKey = readFileSync(join(mateDir, OWNER_KEY_FILE), "utf8").trim();
  const asBob = { authorization: `Bearer ${mateKey}`, "x-hearth-profile": "bob" };
  // A route of the owner's API, with a query and a body, through bob's port and bob's own credentials.
  const r = await fetch(`${mateUrl}/v1/remote-apis/shop/orders/7?size=2`, {
    method: "POST",
    headers: { ...asBob, "content-type": "application/json" },
    body: JSON.stringify({ item: "tea" }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  const event = (await r.json()) as { echo: { rawPath: string; rawQueryString: string; body: string } };
  assert.equal(event.echo.rawPath, "/orders/7");
  assert.equal(event.echo.rawQueryString, "size=2");
  assert.deepEqual(JSON.parse(event.echo.body), { item: "tea" });
  // Without bob's credentials nothing is forwarded; as a function it is refused with what to do instead.
  assert.equal((await fetch(`${mateUrl}/v1/remote-apis/shop/orders/7`)).status, 401);
  const asFunction = await refused(bob.call("invoke", { task: "shop", payload: "{}" }));
  assert.equal(asFunction.code, "INVALID_INPUT");
  assert.match(asFunction.message, /remote API: call its routes at \/v1\/remote-apis\/shop\//);
  // Another certificate than the link pinned is refused before the token leaves bob's machine.
  await bob.call("addRemote", {
    endpoint: parts.endpoint,
    token: parts.token,
    fingerprint: `sha256:${"0".repeat(64)}`,
    name: "shop-pinned-wrong",
    kind: "api",
  });
  const wrongPin = await fetch(`${mateUrl}/v1/remote-apis/shop-pinned-wrong/orders/7`, { headers: asBob });
  assert.equal(wrongPin.status, 502);
  assert.equal(
    ((await wrongPin.json()) as { error: { code: string } }).error.code,
    "REMOTE_FINGERPRINT_MISMATCH",
  );
  // Revoked by the owner: bob's next call gets the owner's API's own answer to a bad token, as API Gateway gives it.
  await alice.call("revokeToken", { tokenId: a.token.id });
  const revoked = await fetch(`${mateUrl}/v1/remote-apis/shop/orders/7`, { headers: asBob });
  assert.equal(revoked.status, 401);
  assert.deepEqual(await revoked.json(), { message: "Unauthorized" });
});

test("the CLI shares with --rate-limit and lists each token's calls, last use and addresses", async () => {
  const share = await hearthCli([
    "share",
    "echo",
    "prod",
    "--name",
    "echo2",
    "--expires-in",
    "2h",
    "--rate-limit",
    "30/min",
    "--json",
  ]);
  assert.equal(share.code, 0, share.stderr);
  const out = JSON.parse(share.stdout) as {
    token: { rateLimitPerMinute: number };
    link: string;
    curl: string;
  };
  assert.equal(out.token.rateLimitPerMinute, 30);
  assert.equal(parseShareLink(out.link).name, "echo2");
  const ls = await hearthCli(["token", "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  const row = ls.stdout.split("\n").find((l) => l.startsWith(shared.token.id));
  assert.ok(row, ls.stdout);
  assert.match(row, /active\s+remote\s+.*2\/min\s+2 \(\+2 refused\)\s+\S+ ago\s+127\.\d+\.\d+\.\d+/);
  assert.match(ls.stdout.split("\n")[0]!, /STATE\s+REACH\s+EXPIRES\s+LIMIT\s+CALLS\s+LAST USED\s+FROM/);
  const bad = await hearthCli(["token", "mint", "echo", "prod", "--rate-limit", "0"]);
  assert.equal(bad.code, 2, "a bad --rate-limit is a usage error");
  assert.match(bad.stderr, /calls per minute from 1 to 10000/);
});

test("`token mint` makes a local-only token the shared listener refuses (403); with --remote, one it serves", async () => {
  type Minted = { secret: string; token: { id: string; remote: boolean } };
  const mint = async (...extra: string[]): Promise<Minted> => {
    const r = await hearthCli(["token", "mint", "echo", "prod", "--json", ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Minted;
  };
  const local = await mint("--label", "a script here");
  const remote = await mint("--label", "for a teammate", "--remote");
  assert.deepEqual([local.token.remote, remote.token.remote], [false, true]);
  // The local one works on the owner's own port…
  const here = await fetch(`${ownerUrl}/v1/invoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${local.secret}` },
    body: "{}",
  });
  assert.equal(here.status, 200, await here.text());
  // …not on the shared listener: refused with its own code, and not counted as a call there.
  const refusedThere = await onSharedListener(local.secret);
  assert.equal(refusedThere.status, 403, refusedThere.body);
  const body = JSON.parse(refusedThere.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, "TOKEN_LOCAL_ONLY");
  assert.match(body.error.message, /hearth share/);
  const served = await onSharedListener(remote.secret);
  assert.equal(served.status, 200, served.body);
  const tokens = await alice.call("listTokens", {});
  assert.equal(tokens.find((t) => t.id === local.token.id)?.usage.calls, 1);
  assert.equal(tokens.find((t) => t.id === remote.token.id)?.usage.calls, 1);
  const ls = await hearthCli(["token", "ls"]);
  const rowOf = (id: string) => ls.stdout.split("\n").find((l) => l.startsWith(id)) ?? "";
  assert.match(rowOf(local.token.id), /active\s+local\s/);
  assert.match(rowOf(remote.token.id), /active\s+remote\s/);
});
