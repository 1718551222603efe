// Zips a task folder in memory the way a user's upload would arrive, for tests.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import yazl from "yazl";

export async function zipFolder(dir: string): Promise<{ zip: Buffer; sha256: string }> {
  const zip = new yazl.ZipFile();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else zip.addBuffer(readFileSync(p), relative(dir, p), { mtime: new Date(0), mode: 0o644 });
    }
  };
  walk(dir);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const buf = Buffer.concat(chunks);
  return { zip: buf, sha256: createHash("sha256").update(buf).digest("hex") };
}
