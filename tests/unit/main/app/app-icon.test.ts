// The generated icon is a valid PNG of the asked size, opaque inside and transparent at the corners.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { iconPixels, iconPng } from "../../../../main/app/app-icon.ts";

test("the icon encodes as a PNG whose pixels decode back", () => {
  const size = 32;
  const png = iconPng(size);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(png.toString("ascii", 12, 16), "IHDR");
  assert.equal(png.readUInt32BE(16), size);
  assert.equal(png.readUInt32BE(20), size);
  const idatAt = png.indexOf("IDAT");
  const rows = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + png.readUInt32BE(idatAt - 4)));
  const px = iconPixels(size);
  assert.equal(rows.length, (size * 4 + 1) * size);
  const row = 16;
  const at = row * (size * 4 + 1) + 1;
  assert.deepEqual(rows.subarray(at, at + size * 4), px.subarray(row * size * 4, (row + 1) * size * 4));
  assert.equal(px[3], 0, "a corner is transparent");
  assert.equal(px[(16 * size + 16) * 4 + 3], 255, "the middle is opaque");
});
