// `hearth event`: sample events from a fresh home, no Hearth running: JSON on stdout, bad fields refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDir } from "../store/temp-dir.ts";
import { runHearth } from "./hearth-run.ts";

const hearth = (t: Parameters<typeof tempDir>[0], args: string[]) =>
  runHearth(args, { tty: false, env: { HEARTH_DATA: tempDir(t, "hearth-cli-"), HOME: tempDir(t, "home-") } });

test("hearth event generate prints the event as JSON with the fields set", async (t) => {
  const r = await hearth(t, [
    "event",
    "generate",
    "apigateway-http",
    "--set",
    "method=POST",
    "--set",
    "path=/orders",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as { routeKey: string; requestContext: { http: { method: string } } };
  assert.equal(e.routeKey, "POST /orders");
  assert.equal(e.requestContext.http.method, "POST");
});

test("hearth event generate refuses a field the source does not have, naming it, with the usage exit code", async (t) => {
  const r = await hearth(t, ["event", "generate", "sqs", "--set", "path=/x"]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /INVALID_EVENT_FIELD/);
  assert.match(r.stderr, /sqs has no field "path"; fields: queue, body, region, account/);
  const bad = await hearth(t, ["event", "generate", "pigeon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no sample event "pigeon"; sources: apigateway-http, apigateway-rest, sqs/);
});

test("hearth event ls lists every source with its fields, and --json gives them to scripts", async (t) => {
  const r = await hearth(t, ["event", "ls"]);
  assert.equal(r.code, 0, r.stderr);
  for (const s of [
    "apigateway-http",
    "apigateway-rest",
    "sqs",
    "sns",
    "s3-put",
    "eventbridge-scheduled",
    "dynamodb-stream",
    "kinesis",
  ])
    assert.match(r.stdout, new RegExp(`^${s} `, "m"));
  const j = await hearth(t, ["event", "ls", "--json"]);
  const list = JSON.parse(j.stdout) as { source: string; fields: { name: string; default: string }[] }[];
  assert.deepEqual(
    list.find((s) => s.source === "s3-put")!.fields.map((f) => f.name),
    ["bucket", "key", "size", "region", "account"],
  );
});
