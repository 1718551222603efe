// Environment variables as the window edits them: one KEY=value per line, parsed with each mistake named.

export interface ParsedEnv {
  values: Record<string, string>;
  problems: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseEnvText(text: string): ParsedEnv {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      problems.push(`line ${i + 1}: write KEY=value`);
      return;
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) {
      problems.push(
        `line ${i + 1}: "${key}" is not a variable name (letters, digits and _, not first a digit)`,
      );
      return;
    }
    if (Object.hasOwn(values, key)) problems.push(`line ${i + 1}: ${key} is set twice`);
    values[key] = line.slice(eq + 1);
  });
  return { values, problems };
}

export function envToText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
}
