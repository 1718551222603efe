// The runtimes this guest image carries, as the image build recorded them in /opt/hearth/runtimes.json, and the
// check that refuses a task naming any other (rather than running it on another version).
import { readFileSync } from "node:fs";
import {
  guestNodePath,
  nodeMajorOf,
  pythonMinorOf,
  runtimeFamily,
  type NodeMajor,
  type Runtime,
} from "../../main/domain/tasks/runtime-ids.ts";

export const GUEST_RUNTIMES_FILE = "/opt/hearth/runtimes.json";

/** What the image build writes: each Node.js major's version, and Python's "3.N". */
export interface GuestRuntimes {
  node: Record<string, string>;
  python: string;
  /** Whether the image serves a custom `bootstrap` the Lambda Runtime API (`provided.al2023`, `provided.al2`). */
  provided: boolean;
}

export function readGuestRuntimes(file = GUEST_RUNTIMES_FILE): GuestRuntimes {
  try {
    const raw = JSON.parse(readFileSync(file, "utf8")) as Partial<GuestRuntimes>;
    return { node: raw.node ?? {}, python: raw.python ?? "", provided: raw.provided === true };
  } catch {
    // An image from before the file: the one Node.js the agent runs on, and Python unknown.
    return { node: { "20": process.version }, python: "", provided: false };
  }
}

/** The identifiers a task may name in this guest, newest Node.js last. */
export function availableRuntimes(g: GuestRuntimes): string[] {
  const majors = Object.keys(g.node)
    .map(Number)
    .sort((a, b) => a - b);
  return [
    ...majors.map((m) => `nodejs${m}.x`),
    ...(g.python ? [`python${g.python}`, "python3"] : []),
    ...(g.provided ? ["provided.al2023", "provided.al2"] : []),
  ];
}

/** Why this guest cannot run `runtime` (naming what it can), or null when it can. */
export function guestRuntimeProblem(runtime: Runtime, g: GuestRuntimes): string | null {
  const has = `this VM image has ${availableRuntimes(g).join(", ")}`;
  switch (runtimeFamily(runtime)) {
    case "nodejs": {
      const major = nodeMajorOf(runtime);
      return g.node[String(major)] ? null : `${runtime}: Node.js ${major} is not in this VM image; ${has}`;
    }
    case "python3": {
      const minor = pythonMinorOf(runtime);
      if (!g.python) return `${runtime}: Python is not in this VM image; ${has}`;
      return minor === null || `3.${minor}` === g.python
        ? null
        : `${runtime}: this VM image has Python ${g.python}, not 3.${minor}; ${has}`;
    }
    case "provided":
      return g.provided ? null : `${runtime}: custom runtimes (a bootstrap) are not in this VM image; ${has}`;
  }
}

/** The Node.js binary a `nodejs…` runtime starts. */
export function nodeBinary(runtime: Runtime): string {
  return guestNodePath(nodeMajorOf(runtime) as NodeMajor);
}
