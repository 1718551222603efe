// The Invoke view's saved events: loaded per task, names checked before the host is asked, and the list as the
// host has it after each change.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TestEventView } from "../../../main/contract.ts";
import { checkEventName, createTestEventsStore } from "../../../renderer/stores/test-events-store.ts";
import { fakeApi } from "./fake-api.ts";

const at = "2026-12-06T00:00:00.000Z";
const ev = (name: string, payload = "{}"): TestEventView => ({ name, payload, createdAt: at, updatedAt: at });

function world() {
  const saved = new Map<string, TestEventView[]>([["echo", [ev("a", '{"a":1}')]]]);
  const key = (i: { task: string; ownerAccountId?: string }) => `${i.ownerAccountId ?? ""}${i.task}`;
  const api = fakeApi({
    listTestEvents: (i) => [...(saved.get(key(i)) ?? [])],
    saveTestEvent: (i) => {
      const list = (saved.get(key(i)) ?? []).filter((e) => e.name !== i.event);
      const e = ev(i.event, i.payload as string);
      saved.set(
        key(i),
        [...list, e].sort((x, y) => x.name.localeCompare(y.name)),
      );
      return e;
    },
    renameTestEvent: (i) => {
      const list = saved.get(key(i))!;
      const e = { ...list.find((x) => x.name === i.event)!, name: i.newName as string };
      saved.set(key(i), [...list.filter((x) => x.name !== i.event), e]);
      return e;
    },
    deleteTestEvent: (i) => {
      saved.set(
        key(i),
        saved.get(key(i))!.filter((x) => x.name !== i.event),
      );
      return { deleted: i.event };
    },
  });
  return { api, store: createTestEventsStore(api), saved };
}

test("names the host would refuse, or that are taken, are caught before asking it", () => {
  assert.equal(checkEventName("order-7.v2", []), null);
  for (const bad of ["", ".x", "a b", "x".repeat(65), "a/b"]) {
    assert.equal(checkEventName(bad, [])?.field, "name", bad);
  }
  assert.equal(checkEventName("a", ["a"], "newName")?.code, "EVENT_EXISTS");
});

test("shows a task's events, saves as new, saves over, renames and deletes", async () => {
  const { api, store } = world();
  await store.getState().show({ task: "echo" });
  assert.deepEqual(
    store.getState().items.map((e) => e.name),
    ["a"],
  );
  // The same task again does not reload.
  await store.getState().show({ task: "echo" });
  assert.equal(api.calls.filter((c) => c.name === "listTestEvents").length, 1);

  assert.equal((await store.getState().save("a", "{}", true))?.code, "EVENT_EXISTS");
  assert.equal((await store.getState().save("bad name", "{}", true))?.field, "name");
  assert.equal(api.calls.filter((c) => c.name === "saveTestEvent").length, 0);

  assert.equal(await store.getState().save("b", '{"b":2}', true), null);
  assert.equal(store.getState().selected, "b");
  assert.equal(await store.getState().save("a", '{"a":3}'), null);
  assert.deepEqual(
    store.getState().items.map((e) => [e.name, e.payload]),
    [
      ["a", '{"a":3}'],
      ["b", '{"b":2}'],
    ],
  );
  assert.equal((await store.getState().rename("a", "b"))?.code, "EVENT_EXISTS");
  assert.equal(await store.getState().rename("a", "c"), null);
  assert.equal(store.getState().selected, "c");
  assert.equal(await store.getState().remove("c"), null);
  assert.equal(store.getState().selected, null);
  assert.deepEqual(
    store.getState().items.map((e) => e.name),
    ["b"],
  );
});

test("another task, or a shared one, loads its own events; none chosen clears them", async () => {
  const { api, store } = world();
  await store.getState().show({ task: "echo" });
  await store.getState().show({ task: "echo", ownerAccountId: "123456789012" });
  assert.deepEqual(store.getState().items, []);
  assert.deepEqual(api.calls.at(-1), {
    name: "listTestEvents",
    input: { task: "echo", ownerAccountId: "123456789012" },
  });
  await store.getState().show(null);
  assert.equal(store.getState().of, null);
  assert.equal((await store.getState().save("x", "{}"))?.field, "task");
});
