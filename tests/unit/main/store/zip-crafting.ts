// Builds zips for tests with yazl, and bends their headers by hand into the shapes an attacker would send.
import yazl from "yazl";

export interface CraftEntry {
  name: string;
  data?: Buffer | string;
  mode?: number;
  compress?: boolean;
  dir?: boolean;
}

export async function makeZip(entries: CraftEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.dir) zip.addEmptyDirectory(e.name, { mtime: new Date(0) });
    else
      zip.addBuffer(Buffer.from(e.data ?? ""), e.name, {
        mtime: new Date(0),
        ...(e.mode === undefined ? {} : { mode: e.mode }),
        compress: e.compress ?? true,
      });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Rewrites a name in every header (local and central) that holds it; both names must have the same length. */
export function patchName(zip: Buffer, from: string, to: string): Buffer {
  if (from.length !== to.length) throw new Error("patchName needs names of equal length");
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  let found = 0;
  for (let i = out.indexOf(needle); i !== -1; i = out.indexOf(needle, i + 1)) {
    out.write(to, i, "latin1");
    found++;
  }
  if (found === 0) throw new Error(`"${from}" not in the zip`);
  return out;
}

interface CentralEntry {
  at: number;
  name: string;
  localAt: number;
}

function centralEntries(zip: Buffer): CentralEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error("not a central directory header");
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    out.push({
      at,
      name: zip.toString("utf8", at + 46, at + 46 + nameLen),
      localAt: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function entryNamed(zip: Buffer, name: string): CentralEntry {
  const e = centralEntries(zip).find((x) => x.name === name);
  if (!e) throw new Error(`no entry "${name}"`);
  return e;
}

/** Makes the headers lie about an entry's unpacked size. */
export function patchDeclaredSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const e = entryNamed(out, name);
  out.writeUInt32LE(size, e.at + 24);
  out.writeUInt32LE(size, e.localAt + 22);
  return out;
}

/** Sets the "encrypted" flag on an entry without encrypting anything. */
export function patchEncrypted(zip: Buffer, name: string): Buffer {
  const out = Buffer.from(zip);
  const e = entryNamed(out, name);
  out.writeUInt16LE(out.readUInt16LE(e.at + 8) | 1, e.at + 8);
  out.writeUInt16LE(out.readUInt16LE(e.localAt + 6) | 1, e.localAt + 6);
  return out;
}
