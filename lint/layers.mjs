// The parts of Hearth and their allowed arrows, read from layers.json at the repo root: which part a file belongs
// to, whether one import is allowed, and the picture of the layers that README.md's layout section shows. The lint
// rule, the README script and the tests all read the description through here, so none of them can drift.
import { readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root: the folder above lint/. */
export const repoRoot = fileURLToPath(new URL("../", import.meta.url));

/** README.md's layers picture sits between these two lines. */
export const README_BEGIN = "<!-- layers:begin (generated from layers.json by npm run layers:readme) -->";
export const README_END = "<!-- layers:end -->";

/**
 * @typedef {{ part?: string, file?: string, typesOnly?: boolean }} Arrow
 * @typedef {{ name: string, paths: string[], purpose: string, imports: (string | Arrow)[],
 *   packages?: string[], refusedBuiltins?: string[] }} Part
 * @typedef {{ about: string, guardedPackages: string[], parts: Part[] }} Layers
 */

/** @returns {Layers} */
export function loadLayers(root = repoRoot) {
  return JSON.parse(readFileSync(join(root, "layers.json"), "utf8"));
}

/**
 * An entry of imports in one shape: a bare name means the whole part, values and types.
 * @returns {Required<Arrow>}
 */
export function arrowOf(/** @type {string | Arrow} */ entry) {
  if (typeof entry === "string") return { part: entry, file: "", typesOnly: false };
  return { part: entry.part ?? "", file: entry.file ?? "", typesOnly: entry.typesOnly === true };
}

/** Extensions do not decide the part: "./contract", "./contract.js" and "./contract.ts" are the same file. */
const withoutExtension = (/** @type {string} */ p) => p.replace(/\.(ts|tsx|mts|js|mjs|cjs)$/, "");

/** Whether a repo-relative path lies at `path` (a folder when it ends with "/", else one file). */
function lies(/** @type {string} */ file, /** @type {string} */ path) {
  if (path.endsWith("/")) return file.startsWith(path);
  return withoutExtension(file) === withoutExtension(path);
}

/**
 * The part a repo-relative path (forward slashes) belongs to: the part whose path matches it most closely, so
 * main/app/ipc-bridge.ts is its own part inside main/app/. Undefined for paths outside every part (tests, bench).
 * @returns {Part | undefined}
 */
export function partOf(/** @type {Layers} */ layers, /** @type {string} */ file) {
  let best;
  let bestLength = -1;
  for (const part of layers.parts) {
    for (const path of part.paths) {
      if (lies(file, path) && path.length > bestLength) {
        best = part;
        bestLength = path.length;
      }
    }
  }
  return best;
}

/** What a part may import, in words: "domain, store, contract (types only), main/vm/protocol.ts". */
export function allowedText(/** @type {Part} */ part) {
  const names = part.imports.map((entry) => {
    const arrow = arrowOf(entry);
    const what = arrow.file || arrow.part;
    return arrow.typesOnly ? `${what} (types only)` : what;
  });
  return names.length === 0 ? "nothing but itself" : names.join(", ");
}

/** A built-in's name without node: and without its subpath: "node:fs/promises" and "fs" are both "fs". */
const builtinName = (/** @type {string} */ spec) => spec.replace(/^node:/, "").split("/")[0];

/**
 * Why `from` (a repo-relative file) may not import `spec`, or null when it may. Relative specifiers are resolved
 * and checked against the part's arrows; a type-only import (import type, export type) also passes an arrow marked
 * typesOnly. Bare specifiers are checked against the guarded packages and the part's refused built-ins.
 * @returns {string | null}
 */
export function refusal(
  /** @type {Layers} */ layers,
  /** @type {string} */ from,
  /** @type {string} */ spec,
  /** @type {boolean} */ typeOnly,
) {
  const part = partOf(layers, from);
  if (!part) return null;
  const who = `${part.name} (${part.paths.join(", ")})`;
  if (!spec.startsWith(".")) {
    if ((part.refusedBuiltins ?? []).some((b) => builtinName(b) === builtinName(spec))) {
      return `${who} does no I/O of this kind: it may not import "${spec}" (refused: ${part.refusedBuiltins?.join(", ")}).`;
    }
    const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
    if (layers.guardedPackages.includes(pkg) && !(part.packages ?? []).includes(pkg)) {
      const owners = layers.parts.filter((p) => (p.packages ?? []).includes(pkg)).map((p) => p.name);
      return `${who} may not import "${pkg}": only ${owners.join(", ")} may.`;
    }
    return null;
  }
  const target = posix.normalize(posix.join(dirname(from).replaceAll("\\", "/"), spec));
  const targetPart = partOf(layers, target);
  if (targetPart === part) return null;
  let typesOnlyMatch = false;
  for (const entry of part.imports) {
    const arrow = arrowOf(entry);
    const matches = arrow.file ? lies(target, arrow.file) : arrow.part === targetPart?.name;
    if (!matches) continue;
    if (!arrow.typesOnly || typeOnly) return null;
    typesOnlyMatch = true;
  }
  const where = targetPart ? `${target} is in ${targetPart.name}` : `${target} is in no part`;
  const typesNote = typesOnlyMatch ? ", and only its types with import type" : "";
  return `${who} may import only ${allowedText(part)}; "${spec}" is refused: ${where}${typesNote}.`;
}

/** `text` cut at spaces into lines of at most `width` characters (a longer word keeps a line of its own). */
function wrap(/** @type {string} */ text, /** @type {number} */ width) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** How wide README.md's picture may be, as the rest of the README. */
const PICTURE_WIDTH = 118;

/** The layers picture for README.md's layout section, one part a block, in the description's order. */
export function readmePicture(/** @type {Layers} */ layers) {
  const indent = Math.max(...layers.parts.map((p) => p.paths.join(" ").length)) + 2;
  const lines = [];
  for (const part of layers.parts) {
    const limits = [`imports ${allowedText(part)}`];
    if (part.packages?.length) limits.push(`${part.packages.join(", ")} allowed`);
    if (part.refusedBuiltins?.length) limits.push(`never ${part.refusedBuiltins.join(", ")}`);
    const text = [...wrap(`${part.name}: ${part.purpose}`, PICTURE_WIDTH - indent)];
    text.push(
      ...wrap(`→ ${limits.join("; ")}`, PICTURE_WIDTH - indent - 2).map((t, i) => (i === 0 ? t : `  ${t}`)),
    );
    text.forEach((t, i) => lines.push(`${(i === 0 ? part.paths.join(" ") : "").padEnd(indent)}${t}`));
  }
  return [README_BEGIN, "```", ...lines, "```", README_END].join("\n");
}

/** README.md's text with its layers picture replaced by `picture`; throws when the markers are missing. */
export function withPicture(/** @type {string} */ readme, /** @type {string} */ picture) {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin)
    throw new Error(`README.md has no layers markers (${README_BEGIN} … ${README_END})`);
  return readme.slice(0, begin) + picture + readme.slice(end + README_END.length);
}
