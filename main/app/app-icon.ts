// Hearth's icon, drawn in code (a flame in a dark rounded square) and encoded as PNG: the tray's and the package's.
import { deflateSync } from "node:zlib";

type Rgba = [number, number, number, number];

const BACKGROUND: Rgba = [35, 29, 26, 255];
const OUTER: Rgba = [234, 88, 12, 255];
const INNER: Rgba = [251, 191, 36, 255];

/** Half-width of a flame at height t (0 = tip, 1 = base): a teardrop. */
function flameHalfWidth(t: number, scale: number): number {
  if (t < 0 || t > 1) return -1;
  return scale * Math.sin(Math.PI * Math.pow(t, 0.75)) * Math.sqrt(t);
}

function colourAt(x: number, y: number): Rgba | null {
  // x, y in [-1, 1]; a rounded square with corner radius 0.35.
  const r = 0.35;
  const dx = Math.max(Math.abs(x) - (1 - r), 0);
  const dy = Math.max(Math.abs(y) - (1 - r), 0);
  if (dx * dx + dy * dy > r * r) return null;
  const outer = flameHalfWidth((y + 0.72) / 1.42, 0.5);
  if (Math.abs(x) > outer) return BACKGROUND;
  const inner = flameHalfWidth((y + 0.2) / 0.9, 0.26);
  return Math.abs(x) <= inner ? INNER : OUTER;
}

/** The icon as RGBA pixels, `size` × `size`, antialiased by 4 × 4 supersampling. */
export function iconPixels(size: number): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((pxi + (sx + 0.5) / n) / size) * 2 - 1;
          const y = ((py + (sy + 0.5) / n) / size) * 2 - 1;
          const c = colourAt(x, y);
          if (!c) continue;
          for (let k = 0; k < 3; k++) sum[k]! += c[k]! * c[3];
          sum[3]! += c[3];
        }
      }
      const o = (py * size + pxi) * 4;
      const a = sum[3]!;
      for (let k = 0; k < 3; k++) px[o + k] = a ? Math.round(sum[k]! / a) : 0;
      px[o + 3] = Math.round(a / (n * n));
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of RGBA pixels (8 bits per channel, no filtering). */
export function encodePng(rgba: Buffer, width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++)
    rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export function iconPng(size: number): Buffer {
  return encodePng(iconPixels(size), size, size);
}
