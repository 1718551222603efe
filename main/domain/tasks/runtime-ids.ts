// The runtimes a task may name, spelled as Lambda spells them, and what each one runs on inside the guest. Plain
// values with no imports: the CLI, the host and the guest agent all read them.

/** How a runtime loads code: Hearth's Node.js or Python runtime, or a custom `bootstrap`. */
export type RuntimeFamily = "nodejs" | "python3" | "provided";

/**
 * A runtime identifier: Lambda's (`nodejs22.x`, `python3.11`, `provided.al2023`) or a family alone (`nodejs`,
 * `python3`, `provided`), which runs on that family's default.
 */
export type Runtime =
  | "nodejs"
  | `nodejs${number}.x`
  | "python3"
  | `python3.${number}`
  | "provided"
  | "provided.al2"
  | "provided.al2023";

/** Node.js majors the guest image carries, each fetched at a pinned version (vm-images/builder/node-runtimes.ts). */
export const NODE_MAJORS = [20, 22, 24] as const;
export type NodeMajor = (typeof NODE_MAJORS)[number];

/**
 * What a bare `nodejs` runs on: the Node.js the guest agent itself runs on, the one a restored VM starts ahead of
 * need (so a task on it skips Node's start on its first load).
 */
export const DEFAULT_NODE_MAJOR: NodeMajor = 20;

/** Python minors Lambda has offered; the guest has one of them (Debian's), found when the image is built. */
const PYTHON_MINORS = { min: 8, max: 14 } as const;

/** Where each Node.js major lives in the guest's root. */
export function guestNodePath(major: NodeMajor): string {
  return major === DEFAULT_NODE_MAJOR ? "/usr/bin/node" : `/opt/node${major}/bin/node`;
}

/** The identifiers `hearth` lists as choices; a Python minor other than the image's is refused when it loads. */
export const RUNTIME_CHOICES: readonly string[] = [
  ...NODE_MAJORS.map((m) => `nodejs${m}.x`),
  "python3",
  "provided.al2023",
  "provided.al2",
  "nodejs",
  "provided",
];

export function runtimeFamily(runtime: Runtime): RuntimeFamily {
  if (runtime.startsWith("nodejs")) return "nodejs";
  if (runtime.startsWith("python3")) return "python3";
  return "provided";
}

/** The Node.js major a `nodejs…` runtime runs on. */
export function nodeMajorOf(runtime: Runtime): NodeMajor {
  const m = /^nodejs([1-9]\d*)\.x$/.exec(runtime);
  return m ? (Number(m[1]) as NodeMajor) : DEFAULT_NODE_MAJOR;
}

/** The Python minor a `python3.N` runtime asks for, or null for `python3` (whichever the image has). */
export function pythonMinorOf(runtime: Runtime): number | null {
  const m = /^python3\.([1-9]\d*)$/.exec(runtime);
  return m ? Number(m[1]) : null;
}

/**
 * Why `value` is not a runtime Hearth can run, with what it can: null when it is one. Versions Hearth has not
 * got are refused by name rather than run on another version.
 */
export function runtimeProblem(value: string): string | null {
  const choices = `use one of ${RUNTIME_CHOICES.slice(0, 5).join(", ")}`;
  const node = /^nodejs([1-9]\d*)\.x$/.exec(value);
  if (node) {
    const major = Number(node[1]);
    return (NODE_MAJORS as readonly number[]).includes(major)
      ? null
      : `"${value}" is not available: Node.js ${major} is not in the guest image; ${choices}`;
  }
  const py = /^python3\.([1-9]\d*)$/.exec(value);
  if (py) {
    const minor = Number(py[1]);
    return minor >= PYTHON_MINORS.min && minor <= PYTHON_MINORS.max
      ? null
      : `"${value}" is not available: ${choices}`;
  }
  if (["nodejs", "python3", "provided", "provided.al2", "provided.al2023"].includes(value)) return null;
  return `"${value}" is not a runtime: ${choices}`;
}

export function isRuntime(value: unknown): value is Runtime {
  return typeof value === "string" && runtimeProblem(value) === null;
}

/** The identifier Lambda's API reports for a runtime: a bare family as the identifier of its default. */
export function lambdaRuntimeId(runtime: Runtime, pythonMinor = 11): string {
  switch (runtime) {
    case "nodejs":
      return `nodejs${DEFAULT_NODE_MAJOR}.x`;
    case "python3":
      return `python3.${pythonMinor}`;
    case "provided":
      return "provided.al2023";
    default:
      return runtime;
  }
}
