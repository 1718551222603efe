// YAML as CloudFormation and SAM write it: the short-form intrinsic tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`…) read as
// their long forms ({"Ref": …}, {"Fn::Sub": …}), with a way back from a value's path to its line for messages.
import YAML, { isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from "yaml";
import { ProjectError } from "./project-model.ts";

const FUNCTIONS = [
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAtt",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "ToJsonString",
  "Length",
];

function longForm(name: string): string {
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

function plain(value: unknown): unknown {
  return value !== null && typeof value === "object" && "toJSON" in value
    ? (value as { toJSON(): unknown }).toJSON()
    : value;
}

/** Each short-form tag, on a scalar, a sequence or a mapping. */
const CFN_TAGS = ["Ref", "Condition", ...FUNCTIONS].flatMap((name) =>
  (["scalar", "seq", "map"] as const).map((kind) => ({
    tag: `!${name}`,
    ...(kind === "scalar" ? {} : { collection: kind }),
    resolve: (value: unknown) => ({ [longForm(name)]: plain(value) }),
  })),
);

export interface YamlFile {
  /** The file's path relative to the project's folder, for messages. */
  file: string;
  value: unknown;
  /** The 1-based line of the value at `path` (of its key, for a mapping's entry), or of the nearest parent found. */
  lineOf(path: readonly (string | number)[]): number;
}

export function parseYamlFile(file: string, text: string, cfnTags: boolean): YamlFile {
  const lines = new YAML.LineCounter();
  let doc: Document;
  try {
    doc = YAML.parseDocument(text, {
      lineCounter: lines,
      ...(cfnTags ? { customTags: CFN_TAGS } : {}),
      prettyErrors: false,
      uniqueKeys: true,
    });
  } catch (err) {
    throw new ProjectError("PROJECT_INVALID", `is not YAML: ${(err as Error).message}`, { file, line: 1 });
  }
  const first = doc.errors[0];
  if (first) {
    const line = lines.linePos(first.pos[0]).line;
    throw new ProjectError("PROJECT_INVALID", `is not valid YAML: ${first.message.split("\n")[0]}`, {
      file,
      line,
    });
  }
  const lineOf = (path: readonly (string | number)[]): number => {
    let node: unknown = doc.contents;
    let line = 1;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        if (!pair) break;
        const at = (pair.key as YamlNode).range?.[0];
        if (at !== undefined) line = lines.linePos(at).line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        const item = node.items[key] as YamlNode | undefined;
        if (!item) break;
        const at = item.range?.[0];
        if (at !== undefined) line = lines.linePos(at).line;
        node = item;
      } else break;
    }
    return line;
  };
  return { file, value: doc.toJS({ maxAliasCount: 100 }) as unknown, lineOf };
}
