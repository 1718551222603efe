// Whether the Node.js running Hearth is new enough: for Hearth itself (package.json's engines.node) and for the
// desktop app's tooling (the installed electron package's engines.node), as doctor checks a user can act on.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** When each Node line stopped getting security fixes (nodejs.org/en/about/previous-releases). */
const END_OF_LIFE: Record<number, string> = { 18: "2025-04-30", 20: "2026-04-30" };

const UPGRADE =
  "install Node.js 22 LTS (22.12 or newer): from nodejs.org or the NodeSource packages, or `npm install -g node@22`";

export interface NodeCheck {
  name: string;
  ok: boolean;
  optional?: boolean;
  detail: string;
  fix?: string;
}

type Version = [number, number, number];

function parseVersion(text: string): Version | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function atLeast(v: Version, floor: Version): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== floor[i]) return v[i]! > floor[i]!;
  return true;
}

/**
 * Whether `version` is in `range`, for the ranges package.json files here use: `>=x.y.z` (with or without a space),
 * or alternatives of those and `^x.y.z` joined by `||`. Null when the range has another shape.
 */
export function satisfies(version: string, range: string): boolean | null {
  const v = parseVersion(version);
  if (!v) return null;
  let known = true;
  const any = range.split("||").some((part) => {
    const m = /^\s*(>=|\^)\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!m) {
      known = false;
      return false;
    }
    const [major = 0, minor = 0, patch = 0] = m[2]!.split(".").map(Number);
    return atLeast(v, [major, minor, patch]) && (m[1] === ">=" || v[0] === major);
  });
  return any ? true : known ? false : null;
}

/**
 * The doctor's lines about Node: a failure when Hearth's own range excludes it, a warning when the desktop app's
 * tooling needs a newer one or the line is past its end of life (both leave `hearth serve` and browser mode working).
 */
export function nodeChecks(o: {
  version: string;
  hearthRange: string | undefined;
  desktopRange: string | undefined;
  today: string;
}): NodeCheck[] {
  const checks: NodeCheck[] = [];
  const major = parseVersion(o.version)?.[0];
  const ok = o.hearthRange ? satisfies(o.version, o.hearthRange) : null;
  checks.push(
    ok === false
      ? {
          name: "node",
          ok: false,
          detail: `Node ${o.version} runs here, and Hearth needs Node ${o.hearthRange} (package.json engines)`,
          fix: UPGRADE,
        }
      : {
          name: "node",
          ok: true,
          detail: `Node ${o.version}${o.hearthRange ? ` (Hearth needs ${o.hearthRange})` : ""}`,
        },
  );
  const desktopOk = o.desktopRange ? satisfies(o.version, o.desktopRange) : null;
  if (desktopOk === false) {
    checks.push({
      name: "node for the desktop app",
      ok: false,
      optional: true,
      detail:
        `the desktop app's tooling (the electron package, electron-builder) needs Node ${o.desktopRange}; ` +
        `Node ${o.version} runs \`hearth serve\` and the window in a browser`,
      fix: UPGRADE,
    });
  }
  const eol = major === undefined ? undefined : END_OF_LIFE[major];
  if (eol && o.today >= eol) {
    checks.push({
      name: "node support",
      ok: false,
      optional: true,
      detail: `Node ${major} reached its end of life on ${eol}: it gets no more security fixes`,
      fix: UPGRADE,
    });
  }
  return checks;
}

function enginesNode(packageJson: string): string | undefined {
  const pkg = JSON.parse(readFileSync(packageJson, "utf8")) as { engines?: { node?: unknown } };
  return typeof pkg.engines?.node === "string" ? pkg.engines.node : undefined;
}

/** nodeChecks() for the Node running this process, with the ranges Hearth and its installed electron declare. */
export function thisNodeChecks(): NodeCheck[] {
  let desktopRange: string | undefined;
  try {
    desktopRange = enginesNode(createRequire(import.meta.url).resolve("electron/package.json"));
  } catch {
    // No electron package (a server-only install): there is no desktop tooling to run.
  }
  return nodeChecks({
    version: process.version,
    hearthRange: enginesNode(fileURLToPath(new URL("../package.json", import.meta.url))),
    desktopRange,
    today: new Date().toISOString().slice(0, 10),
  });
}
