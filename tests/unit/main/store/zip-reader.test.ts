// The zip reader refuses escaping paths, links, floods of entries, absurd sizes and zip bombs — with yauzl only.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HearthError } from "../../../../main/domain/model/errors.ts";
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from "../../../../main/domain/tasks/import-limits.ts";
import { openSafeZip, safeEntryPath } from "../../../../main/store/zip-reader.ts";
import { makeZip, patchDeclaredSize, patchEncrypted, patchName } from "./zip-crafting.ts";

const limits = (over: Partial<ImportLimits> = {}): ImportLimits => ({ ...DEFAULT_IMPORT_LIMITS, ...over });

async function refusal(zip: Buffer, code: string, over: Partial<ImportLimits> = {}): Promise<HearthError> {
  let caught: HearthError | undefined;
  try {
    const safe = await openSafeZip(zip, limits(over));
    try {
      for (const f of safe.files) await safe.read(f);
    } finally {
      safe.close();
    }
  } catch (err) {
    caught = err as HearthError;
  }
  assert.ok(caught, `expected ${code}, but the zip was accepted`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test("a plain zip lists its regular files with their exec bit, and reads them", async () => {
  const zip = await makeZip([
    { name: "index.mjs", data: "export const handler = () => 1;" },
    { name: "lib/", dir: true },
    { name: "lib/util.mjs", data: "x" },
    { name: "bootstrap", data: "#!/bin/sh", mode: 0o100755 },
  ]);
  const safe = await openSafeZip(zip, limits());
  try {
    assert.deepEqual(
      safe.files.map((f) => [f.path, f.executable, f.size]),
      [
        ["index.mjs", false, 31],
        ["lib/util.mjs", false, 1],
        ["bootstrap", true, 9],
      ],
    );
    assert.equal((await safe.read(safe.files[0]!)).toString(), "export const handler = () => 1;");
  } finally {
    safe.close();
  }
});

test("entry names that escape the task folder are refused", async () => {
  // Each evil name replaces a harmless one of the same length, in the local and central headers alike.
  const cases: [string, string][] = [
    ["xx/evil.txt", "../evil.txt"],
    ["xetc/passwd", "/etc/passwd"],
    ["aaaevil.txt", "..\\evil.txt"],
    ["a/bb/cc/x", "a/../../x"],
    ["Cx/x.txt", "C:/x.txt"],
    ["zz_.._.._q", "zz\\..\\..\\q"],
  ];
  for (const [harmless, evil] of cases) {
    const zip = patchName(
      await makeZip([
        { name: "ok.txt", data: "ok" },
        { name: harmless, data: "pwn" },
      ]),
      harmless,
      evil,
    );
    const e = await refusal(zip, "IMPORT_UNSAFE_PATH");
    assert.match(e.message, /outside the task folder/);
    assert.equal(e.field, "code");
  }
});

test("safeEntryPath normalizes harmless forms and refuses the rest on its own", () => {
  assert.equal(safeEntryPath("./a//b/./c.txt"), "a/b/c.txt");
  for (const bad of ["../x", "a/../../x", "/abs", "C:/x", "a\\..\\x", "nul\0byte", ".."]) {
    assert.throws(
      () => safeEntryPath(bad),
      (e: HearthError) => e.code === "IMPORT_UNSAFE_PATH",
      bad,
    );
  }
});

test("symbolic links are refused by their unix mode", async () => {
  const zip = await makeZip([
    { name: "index.mjs", data: "x" },
    { name: "secrets", data: "/etc/shadow", mode: 0o120777, compress: false },
  ]);
  const e = await refusal(zip, "IMPORT_SYMLINK");
  assert.match(e.message, /"secrets" is a symbolic link/);
});

test("other special files are refused", async () => {
  const zip = await makeZip([{ name: "fifo", data: "", mode: 0o010644 }]);
  await refusal(zip, "IMPORT_INVALID");
});

test("more than 10,000 entries are refused before any is read", async () => {
  const entries = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}`, data: "", compress: false }));
  const e = await refusal(await makeZip(entries), "IMPORT_TOO_MANY_ENTRIES");
  assert.match(e.message, /10001 entries; the limit is 10000/);
  // Exactly the limit is fine.
  const safe = await openSafeZip(await makeZip(entries.slice(0, 10_000)), limits());
  assert.equal(safe.files.length, 10_000);
  safe.close();
});

test("a zip over 50 MiB is refused without being parsed", async () => {
  const e = await refusal(Buffer.alloc(50 * 1024 * 1024 + 1), "IMPORT_TOO_LARGE");
  assert.match(e.message, /the limit is 50 MiB/);
});

test("an entry declaring an absurd unpacked size is refused before inflating", async () => {
  const zip = patchDeclaredSize(
    await makeZip([{ name: "huge.bin", data: Buffer.alloc(1000) }]),
    "huge.bin",
    0xf0000000,
  );
  const e = await refusal(zip, "IMPORT_TOO_LARGE");
  assert.match(e.message, /"huge\.bin" declares/);
});

test("honest entries adding up past the total are refused before inflating", async () => {
  const zip = await makeZip([
    { name: "a", data: Buffer.alloc(600) },
    { name: "b", data: Buffer.alloc(600) },
  ]);
  const e = await refusal(zip, "IMPORT_TOO_LARGE", { maxTotalBytes: 1000 });
  assert.match(e.message, /add up to more than/);
});

test("a zip bomb — an entry inflating past its declared size — is stopped while inflating", async () => {
  const bomb = patchDeclaredSize(
    await makeZip([{ name: "bomb.txt", data: Buffer.alloc(4 * 1024 * 1024) }]),
    "bomb.txt",
    1000,
  );
  assert.ok(bomb.length < 10_000, "the bomb is small on the wire");
  const e = await refusal(bomb, "IMPORT_TOO_LARGE");
  assert.match(e.message, /"bomb\.txt" inflates past the size its header declares/);
});

test("an entry shorter than declared, an encrypted entry, duplicates and file/folder clashes are refused", async () => {
  const short = patchDeclaredSize(await makeZip([{ name: "s.txt", data: "abc" }]), "s.txt", 10);
  await refusal(short, "IMPORT_INVALID");
  const enc = patchEncrypted(await makeZip([{ name: "e.txt", data: "abc" }]), "e.txt");
  assert.match((await refusal(enc, "IMPORT_INVALID")).message, /encrypted/);
  const dup = await makeZip([
    { name: "a.txt", data: "1" },
    { name: "./a.txt", data: "2" },
  ]);
  assert.match((await refusal(dup, "IMPORT_INVALID")).message, /"a\.txt" twice/);
  const clash = await makeZip([
    { name: "a", data: "file" },
    { name: "a/b", data: "under a file" },
  ]);
  assert.match((await refusal(clash, "IMPORT_INVALID")).message, /both a file "a"/);
});

test("something that is not a zip says so", async () => {
  const e = await refusal(Buffer.from("definitely not a zip archive, just text"), "IMPORT_INVALID");
  assert.match(e.message, /not a zip file/);
});
