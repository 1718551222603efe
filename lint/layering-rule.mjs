// The lint rule that keeps imports on the arrows of layers.json: every import of a file that belongs to a part is
// refused unless the description allows it (an allow-list), with a message naming the part and what it may import.
import { relative } from "node:path";
import { loadLayers, refusal, repoRoot } from "./layers.mjs";

const layers = loadLayers();

/** Only `import type` and `export type` are erased whole; `import { type A }` still loads the module. */
const typeOnlyDeclaration = (/** @type {any} */ node) =>
  node.importKind === "type" || node.exportKind === "type";

/** @type {import("eslint").Rule.RuleModule} */
const layering = {
  meta: {
    type: "problem",
    docs: { description: "Imports follow the arrows of layers.json (an allow-list per part)." },
    schema: [],
    messages: { refused: "{{why}}" },
  },
  create(context) {
    const from = relative(repoRoot, context.filename).replaceAll("\\", "/");
    if (from.startsWith("..")) return {};
    const check = (/** @type {any} */ sourceNode, /** @type {boolean} */ typeOnly) => {
      if (!sourceNode || typeof sourceNode.value !== "string") return;
      const why = refusal(layers, from, sourceNode.value, typeOnly);
      if (why) context.report({ node: sourceNode, messageId: "refused", data: { why } });
    };
    return {
      ImportDeclaration: (node) => check(node.source, typeOnlyDeclaration(node)),
      ExportNamedDeclaration: (node) => check(node.source, typeOnlyDeclaration(node)),
      ExportAllDeclaration: (node) => check(node.source, typeOnlyDeclaration(node)),
      ImportExpression: (node) => check(node.source, false),
      // import("x").Name in a type position
      TSImportType(/** @type {any} */ node) {
        const arg = node.argument?.type === "TSLiteralType" ? node.argument.literal : node.argument;
        check(node.source ?? arg, true);
      },
    };
  },
};

export default { rules: { layering } };
