// Where Hearth keeps its data: $HEARTH_DATA, else the platform's user data directory.
import { homedir } from "node:os";
import { join } from "node:path";

export function dataDir(): string {
  if (process.env.HEARTH_DATA) return process.env.HEARTH_DATA;
  if (process.platform === "darwin") return join(homedir(), "Library", "Application Support", "Hearth");
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), ".local", "share"), "hearth");
}
