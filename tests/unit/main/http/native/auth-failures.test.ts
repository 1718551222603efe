// Failed authentications on the real local port: a flood of requests without credentials (what any page can send
// with <img> tags) holds back nobody, while wrong credentials are still limited, per key, on every way in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { codeOf, servedPort } from "../served-port.ts";

test("a flood of requests without credentials leaves every real client of the address working", async (t) => {
  const p = await servedPort(t);
  for (let i = 0; i < 15; i++) {
    assert.equal((await p.send({ path: "/v1/tasks" })).status, 401);
    assert.equal((await p.send({ method: "POST", path: "/v1/invoke?task=echo", body: "{}" })).status, 401);
    assert.equal((await p.send({ path: "/apis/private/x" })).status, 401);
    assert.equal((await p.send({ path: "/2015-03-31/functions/" })).status, 403);
    assert.equal((await p.send({ path: "/v1/remote-apis/x/y" })).status, 401);
  }
  const owner = await p.send({ path: "/v1/profiles", headers: { authorization: `Bearer ${p.ownerKey}` } });
  assert.equal(owner.status, 200, owner.body);
  const carol = await p.send({ path: "/v1/tasks", headers: { authorization: p.basic } });
  assert.equal(carol.status, 200, carol.body);
  const token = await p.send({
    method: "POST",
    path: "/v1/invoke",
    headers: { authorization: `Bearer ${p.aliasToken}` },
    body: '{"hi":1}',
  });
  assert.equal(token.status, 200, token.body);
  const api = await p.send({ path: "/apis/private/x", headers: { authorization: `Bearer ${p.apiToken}` } });
  assert.equal(api.status, 200, api.body);
  const sdk = new LambdaClient({
    endpoint: p.url,
    region: "us-east-1",
    credentials: p.carol.credentials,
    maxAttempts: 1,
  });
  t.after(() => sdk.destroy());
  const listed = await sdk.send(new ListFunctionsCommand({}));
  assert.deepEqual(
    listed.Functions?.map((f) => f.FunctionName),
    ["mine"],
  );
});

test("wrong credentials are still limited: past ten, 429 with Retry-After for that key; the real key works", async (t) => {
  const p = await servedPort(t);
  const wrongOwner = { authorization: `Bearer hok_${"w".repeat(43)}` };
  for (let i = 0; i < 10; i++)
    assert.equal((await p.send({ path: "/v1/tasks", headers: wrongOwner })).status, 401);
  const held = await p.send({ path: "/v1/tasks", headers: wrongOwner });
  assert.equal(held.status, 429);
  assert.equal(codeOf(held), "TOO_MANY_ATTEMPTS");
  assert.ok(Number(held.headers["retry-after"]) > 0);
  const owner = await p.send({ path: "/v1/profiles", headers: { authorization: `Bearer ${p.ownerKey}` } });
  assert.equal(owner.status, 200, owner.body);

  // A token API's guesses count against the API's token; its holder goes on.
  const wrongApi = { authorization: `Bearer ${p.apiToken.slice(0, -3)}zzz` };
  for (let i = 0; i < 10; i++)
    assert.equal((await p.send({ path: "/apis/private/x", headers: wrongApi })).status, 401);
  const apiHeld = await p.send({ path: "/apis/private/x", headers: wrongApi });
  assert.equal(apiHeld.status, 429);
  assert.ok(Number(apiHeld.headers["retry-after"]) > 0);
  const api = await p.send({ path: "/apis/private/x", headers: { authorization: `Bearer ${p.apiToken}` } });
  assert.equal(api.status, 200, api.body);

  // SigV4 with the right key id and a wrong secret counts against that key; the right secret is still taken.
  const client = (secretAccessKey: string) =>
    new LambdaClient({
      endpoint: p.url,
      region: "us-east-1",
      credentials: { accessKeyId: p.carol.credentials.accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
  const wrong = client("not-the-secret");
  const right = client(p.carol.credentials.secretAccessKey);
  t.after(() => {
    wrong.destroy();
    right.destroy();
  });
  const errors: string[] = [];
  for (let i = 0; i < 11; i++) {
    try {
      await wrong.send(new ListFunctionsCommand({}));
      errors.push("accepted");
    } catch (err) {
      errors.push((err as Error).name);
    }
  }
  assert.deepEqual(errors.slice(0, 10), Array(10).fill("UnrecognizedClientException"));
  assert.equal(errors[10], "TooManyRequestsException");
  assert.equal((await right.send(new ListFunctionsCommand({}))).Functions?.length, 1);
});
