// The window's two transports name the acting profile the same way: per call over IPC, by header over HTTP.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HearthApi } from "../../../main/contract.ts";
import { httpTransport, ipcTransport } from "../../../renderer/transport.ts";

test("over IPC, every call carries the acting profile; owner-wide calls carry none", async () => {
  const seen: (string | undefined)[] = [];
  const hearth: HearthApi = {
    call: async (_name, _input, profile) => {
      seen.push(profile);
      return [] as never;
    },
    invokeStream: async (_input, _onEvent, profile) => void seen.push(profile),
    liveLogs: (_q, _on, profile) => {
      seen.push(profile);
      return () => {};
    },
    poolEvents: (_on, profile) => {
      seen.push(profile);
      return () => {};
    },
  };
  const t = ipcTransport(hearth);
  await t.api.call("listTasks", {});
  t.setProfile("prf_1");
  await t.api.call("listTasks", {});
  await t.api.invokeStream({ task: "echo" }, () => {});
  t.api.liveLogs({ task: "echo" }, () => {})();
  await t.ownerWide!.call("pool", {});
  await t.api.call("listTasks", {}, "prf_2");
  t.api.poolEvents(() => {})();
  t.ownerWide!.poolEvents(() => {}, "prf_3")();
  assert.deepEqual(seen, [undefined, "prf_1", "prf_1", "prf_1", undefined, "prf_2", "prf_1", undefined]);
});

test("over HTTP, the owner key goes with every call and the acting profile as X-Hearth-Profile", async (t) => {
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, headers: init.headers as Record<string, string> });
    return new Response("[]", { status: 200 });
  }) as typeof fetch;
  t.after(() => (globalThis.fetch = realFetch));
  const key = `hok_${"k".repeat(43)}`;
  const tr = httpTransport("http://127.0.0.1:7878", key);
  await tr.api.call("listProfiles", {});
  tr.setProfile("prf_1");
  await tr.api.call("listTasks", {});
  await tr.ownerWide!.call("pool", {});
  assert.deepEqual(
    requests.map((r) => [r.url, r.headers.authorization, r.headers["x-hearth-profile"]]),
    [
      ["http://127.0.0.1:7878/v1/profiles", `Bearer ${key}`, undefined],
      ["http://127.0.0.1:7878/v1/tasks", `Bearer ${key}`, "prf_1"],
      ["http://127.0.0.1:7878/v1/pool", `Bearer ${key}`, undefined],
    ],
  );
});

test("over HTTP, pool events arrive from the event stream, and a refused stream reports its error", async (t) => {
  const realFetch = globalThis.fetch;
  const asked: { url: string; profile: string | undefined }[] = [];
  let refuse = false;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    asked.push({ url, profile: (init.headers as Record<string, string>)["x-hearth-profile"] });
    if (refuse) {
      const body = { error: { code: "FORBIDDEN", message: "FORBIDDEN: no" } };
      return new Response(JSON.stringify(body), { status: 403 });
    }
    const vm = { id: "v1", profile: "prf_1", state: "ready" };
    return new Response(`: pool\n\nevent: vm\ndata: ${JSON.stringify(vm)}\n\n`, {
      status: 200,
      headers: { "content-type": "text/event-stream" },
    });
  }) as typeof fetch;
  t.after(() => (globalThis.fetch = realFetch));
  const tr = httpTransport("http://127.0.0.1:7878", `hok_${"k".repeat(43)}`);
  tr.setProfile("prf_1");
  const got: unknown[] = [];
  const errors: { code: string }[] = [];
  tr.api.poolEvents(
    (vm) => got.push(vm.id),
    undefined,
    (e) => errors.push(e),
  );
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ["v1"]);
  // This stand-in's stream ends after one event: the store hears it ended and falls back to polling.
  assert.deepEqual(
    errors.map((e) => e.code),
    ["STREAM_ENDED"],
  );
  assert.deepEqual(asked, [{ url: "http://127.0.0.1:7878/v1/pool/events", profile: "prf_1" }]);

  refuse = true;
  const refused: { code: string }[] = [];
  tr.ownerWide!.poolEvents(
    () => assert.fail("no event expected"),
    undefined,
    (e) => refused.push(e),
  );
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    refused.map((e) => e.code),
    ["FORBIDDEN"],
  );
  assert.equal(asked[1]!.profile, undefined);
});
