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
  };
  const t = ipcTransport(hearth);
  await t.api.call("listTasks", {});
  t.setProfile("prf_1");
  await t.api.call("listTasks", {});
  await t.api.invokeStream({ task: "echo" }, () => {});
  t.api.liveLogs({ task: "echo" }, () => {})();
  await t.ownerWide!.call("pool", {});
  await t.api.call("listTasks", {}, "prf_2");
  assert.deepEqual(seen, [undefined, "prf_1", "prf_1", "prf_1", undefined, "prf_2"]);
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
