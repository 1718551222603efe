// The pieces the views share, rendered as the window would: the routing editor in each of its layouts (the test ids
// the UI tests select by, the split only where it may be), what its fields hand back when changed, and the kit's forms
// and lists. The components are bundled the way renderer/build.ts does (automatic JSX), with React's server renderer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import type { createElement, ReactElement, ReactNode } from "react";
import type * as FormKit from "../../../renderer/components/form.tsx";
import type * as ListKit from "../../../renderer/components/list.tsx";
import type * as Editor from "../../../renderer/components/routing-editor.tsx";
import type { RoutingDraft } from "../../../renderer/logic/routing.ts";

type Kit = typeof FormKit &
  typeof ListKit &
  typeof Editor & {
    renderToStaticMarkup(node: ReactNode): string;
    createElement: typeof createElement;
  };

let kit: Kit;
let dir: string;

before(async () => {
  const root = resolve(import.meta.dirname, "../../..");
  const built = await build({
    stdin: {
      contents: [
        `export { renderToStaticMarkup } from "react-dom/server";`,
        `export { createElement } from "react";`,
        `export * from "./renderer/components/form.tsx";`,
        `export * from "./renderer/components/list.tsx";`,
        `export * from "./renderer/components/routing-editor.tsx";`,
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "cjs",
    jsx: "automatic",
    write: false,
    logLevel: "silent",
  });
  dir = mkdtempSync(join(tmpdir(), "hearth-components-"));
  const file = join(dir, "kit.cjs");
  writeFileSync(file, built.outputFiles[0]!.text);
  kit = createRequire(import.meta.url)(file) as Kit;
});

after(() => rmSync(dir, { recursive: true, force: true }));

const draft = (over: Partial<RoutingDraft> = {}): RoutingDraft => ({
  version: "2",
  splitOn: false,
  extra: "1",
  percent: "10",
  ...over,
});

const html = (node: ReactNode) => kit.renderToStaticMarkup(node);
const editor = (props: Partial<Parameters<typeof Editor.RoutingEditor>[0]>) =>
  html(
    kit.createElement(kit.RoutingEditor, {
      versions: [1, 2],
      draft: draft(),
      onChange: () => {},
      testIdPrefix: "alias",
      split: "below",
      ...props,
    }),
  );

test("creating an alias: the split waits for two versions, then shows its second version and share on a row below", () => {
  const one = editor({ versions: [1] });
  assert.match(one, /data-testid="alias-version"/);
  assert.match(one, /<input type="checkbox" disabled="" data-testid="alias-split-toggle"\/>/);
  assert.match(one, /split traffic with a second version .*publish two versions first/);

  const off = editor({});
  assert.doesNotMatch(off, /disabled/);
  assert.doesNotMatch(off, /publish two versions first/);
  assert.doesNotMatch(off, /alias-split-version|alias-split-percent/);

  const on = editor({ draft: draft({ splitOn: true, extra: "1", percent: "25" }) });
  assert.match(on, /<input type="checkbox" data-testid="alias-split-toggle" checked=""\/>/);
  assert.match(on, /Its share: 25%/);
  // The split's fields sit in their own row after the toggle, and the second version cannot be $LATEST.
  const splitRow = on.slice(on.indexOf("alias-split-toggle"));
  assert.match(
    splitRow,
    /<div class="field-row"><label>Second version<select data-testid="alias-split-version">/,
  );
  assert.doesNotMatch(splitRow.slice(0, splitRow.indexOf("Its share")), /\$LATEST/);
  assert.match(on, /type="range" min="1" max="99" data-testid="alias-split-percent" value="25"/);
});

test("re-pointing: the split is a short toggle in the same row as the version, whatever the versions", () => {
  const out = editor({
    versions: [1],
    testIdPrefix: "routing",
    split: "inline",
    draft: draft({ splitOn: true }),
  });
  assert.equal(out.match(/class="field-row"/g)?.length, 1);
  assert.match(out, /<input type="checkbox" data-testid="routing-split-toggle" checked=""\/> split<\/label>/);
  assert.match(out, /data-testid="routing-version"/);
  assert.match(out, /data-testid="routing-split-version"/);
  assert.doesNotMatch(out, /disabled|second version/);
});

test("an alias on a shared task picks a version only; fields given to the editor come first in its row", () => {
  const out = html(
    kit.createElement(
      kit.RoutingEditor,
      {
        versions: [1, 2, 3],
        draft: draft({ version: "$LATEST", splitOn: true }),
        onChange: () => {},
        testIdPrefix: "shared-alias",
        split: "none",
      },
      kit.createElement("label", null, "Alias name"),
    ),
  );
  assert.doesNotMatch(out, /checkbox|split/);
  assert.ok(out.indexOf("Alias name") < out.indexOf("Points at"));
  // Newest first, $LATEST on top and chosen.
  assert.match(
    out,
    /data-testid="shared-alias-version"><option value="\$LATEST" selected="">\$LATEST<\/option><option value="3">version 3<\/option><option value="2">version 2<\/option><option value="1">version 1<\/option>/,
  );
});

/** Every element in a tree the editor returns, nested ones included (function components are not called). */
function elements(node: ReactNode): ReactElement<Record<string, unknown>>[] {
  if (Array.isArray(node)) return node.flatMap(elements);
  if (node === null || typeof node !== "object" || !("props" in node)) return [];
  const el = node as ReactElement<{ children?: ReactNode }>;
  return [el as ReactElement<Record<string, unknown>>, ...elements(el.props.children)];
}

test("the editor hands back the whole draft with the one field changed; turning the split on picks a second version", () => {
  const seen: RoutingDraft[] = [];
  const props = {
    versions: [4, 5],
    draft: draft({ version: "5", extra: "" }),
    onChange: (d: RoutingDraft) => seen.push(d),
    testIdPrefix: "alias",
    split: "below" as const,
  };
  const tree = kit.RoutingEditor(props);
  const toggle = elements(tree).find((e) => e.props["data-testid"] === "alias-split-toggle")!;
  (toggle.props.onChange as (e: unknown) => void)({ target: { checked: true } });
  assert.deepEqual(seen.pop(), { version: "5", splitOn: true, extra: "4", percent: "10" });

  const openTree = kit.RoutingEditor({ ...props, draft: draft({ version: "5", splitOn: true, extra: "4" }) });
  const selects = elements(openTree).filter((e) => e.type === kit.VersionSelect);
  assert.deepEqual(
    selects.map((s) => s.props.testId),
    ["alias-version", "alias-split-version"],
  );
  (selects[0]!.props.onChange as (v: string) => void)("$LATEST");
  assert.deepEqual(seen.pop(), { version: "$LATEST", splitOn: true, extra: "4", percent: "10" });
  (selects[1]!.props.onChange as (v: string) => void)("5");
  assert.deepEqual(seen.pop(), { version: "5", splitOn: true, extra: "5", percent: "10" });
  const range = elements(openTree).find((e) => e.props["data-testid"] === "alias-split-percent")!;
  (range.props.onChange as (e: unknown) => void)({ target: { value: "40" } });
  assert.deepEqual(seen.pop(), { version: "5", splitOn: true, extra: "4", percent: "40" });
});

test("a list shows its empty state once known to be empty, else its table with the columns shown this time", () => {
  const empty = kit.createElement("div", { className: "empty" }, "Nothing yet");
  const row = kit.createElement("tr", null, kit.createElement("td", null, "a"));
  const none = html(
    kit.createElement(kit.RecordList, { none: true, empty, testId: "t", columns: ["A"], children: row }),
  );
  assert.equal(none, '<div class="empty">Nothing yet</div>');
  const table = html(
    kit.createElement(kit.RecordList, {
      none: false,
      empty,
      testId: "things-table",
      className: "selectable",
      columns: ["Name", false, { label: "Works from", title: "where" }, ""],
      children: row,
    }),
  );
  assert.equal(
    table,
    '<table class="grid selectable" data-testid="things-table"><thead><tr><th>Name</th><th title="where">Works from</th><th></th></tr></thead><tbody><tr><td>a</td></tr></tbody></table>',
  );
  assert.match(
    html(kit.createElement(kit.RecordTable, { columns: ["X"], children: null })),
    /^<table class="grid"><thead>/,
  );
});

test("a form: its title first and the host's refusal last; a field's problems under it; a busy submit is disabled", () => {
  const out = html(
    kit.createElement(kit.Form, {
      testId: "f",
      title: "Share a task",
      onSubmit: () => {},
      error: { code: "INVALID_INPUT", message: "name is taken", field: "name" },
      errorTestId: "f-error",
      children: [
        kit.createElement(kit.Field, {
          key: "env",
          label: "Environment",
          hint: "(KEY=value)",
          problems: ["line 2: no =", null],
          children: kit.createElement("textarea"),
        }),
        kit.createElement(kit.SubmitButton, {
          key: "go",
          testId: "go",
          busy: true,
          busyLabel: "Sharing…",
          children: "Share",
        }),
      ],
    }),
  );
  assert.match(
    out,
    /^<form class="form" data-testid="f"><h3>Share a task<\/h3><label>Environment <span class="muted">\(KEY=value\)<\/span><textarea><\/textarea><\/label><div class="field-error">line 2: no =<\/div><button class="btn primary" type="submit" data-testid="go" disabled="">Sharing…<\/button><div class="error-note" role="alert" data-testid="f-error">/,
  );
  assert.match(out, /name is taken/);
  // No error yet: nothing after the fields; not busy: the button is live and says what it does.
  const calm = html(
    kit.createElement(kit.Form, {
      className: "row-form",
      onSubmit: () => {},
      error: null,
      children: kit.createElement(kit.SubmitButton, {
        busy: false,
        busyLabel: "Creating…",
        children: "Create profile",
      }),
    }),
  );
  assert.equal(
    calm,
    '<form class="row-form"><button class="btn primary" type="submit">Create profile</button></form>',
  );
});
