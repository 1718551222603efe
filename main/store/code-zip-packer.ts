// Packs code files into the zip Hearth stores: sorted, fixed timestamps and modes, so equal code gives equal sha256.
import yazl from "yazl";
import { HearthError } from "../domain/model/errors.ts";
import { mib } from "../domain/tasks/import-limits.ts";

export interface CodeFile {
  /** Relative, `/`-separated, already checked to stay inside the task. */
  path: string;
  executable: boolean;
  data: Buffer;
}

/**
 * Orders paths the way a sorted recursive walk visits them (`a/x` before `a-b/x`), segment by segment, so a
 * folder and a zip of that folder pack identically.
 */
export function compareCodePaths(a: string, b: string): number {
  const sa = a.split("/");
  const sb = b.split("/");
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const x = sa[i] as string;
    const y = sb[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return sa.length - sb.length;
}

/** Before 1980 DOS time cannot go, so yazl clamps: every entry gets the same stamp whatever the machine's zone. */
const FIXED_MTIME = new Date(0);

/**
 * Files must arrive in compareCodePaths order. Entries carry sizes and CRCs in their local headers (no data
 * descriptors), the form the guest's busybox unzip reads most reliably. Only regular files are written:
 * folders are implied by paths, and links never enter.
 */
export async function packCodeZip(
  files: AsyncIterable<CodeFile> | Iterable<CodeFile>,
  maxBytes: number,
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const chunks: Buffer[] = [];
  let size = 0;
  const output = new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.outputStream.on("error", reject);
    zip.outputStream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    zip.outputStream.on("end", resolve);
  });
  // Keep the output promise observed: an error while files are still being added must not go unhandled.
  output.catch(() => undefined);
  try {
    for await (const f of files) {
      zip.addBuffer(f.data, f.path, {
        mtime: FIXED_MTIME,
        mode: f.executable ? 0o100755 : 0o100644,
        compress: true,
      });
    }
  } finally {
    zip.end();
  }
  await output;
  if (size > maxBytes) {
    throw new HearthError(
      "IMPORT_TOO_LARGE",
      `the packed code is ${mib(size)}; a task's code zip may be at most ${mib(maxBytes)}`,
      "code",
    );
  }
  return Buffer.concat(chunks);
}
