// Reads and clones libvirt's QEMU save images, so one saved VM can be restored many times under new names.
//
// libvirt refuses to restore a save image under another name or UUID, and one name can run only once. The image
// header keeps the domain XML in plain text inside a padded region, so a clone is the same file with a rewritten
// XML: new name, UUID, console log and metadata. That depends on libvirt's file format, which is pinned here
// (magic + version 2, raw format); anything else is refused and the pool falls back to booting.
import { chmodSync, closeSync, copyFileSync, openSync, readSync, writeSync } from "node:fs";

export const SAVE_MAGIC = "LibvirtQemudSave";
export const SAVE_VERSION = 2;
/** magic(16) + version, data_len, was_running, format, cookieOffset (4 each) + unused[14] (56). */
export const HEADER_BYTES = 92;

export interface SaveHeader {
  version: number;
  dataLen: number;
  wasRunning: number;
  format: number;
  cookieOffset: number;
  xml: string;
  cookie: string | null;
}

export class SaveImageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, length - off, position + off);
    if (n === 0) throw new SaveImageError("SAVE_IMAGE_TRUNCATED", `file ends at byte ${position + off}`);
    off += n;
  }
  return buf;
}

export function parseHeader(head: Buffer, data: Buffer): SaveHeader {
  const magic = head.subarray(0, 16).toString("latin1");
  if (magic !== SAVE_MAGIC)
    throw new SaveImageError("SAVE_IMAGE_UNKNOWN", `magic is "${magic}", expected ${SAVE_MAGIC}`);
  const version = head.readUInt32LE(16);
  if (version !== SAVE_VERSION)
    throw new SaveImageError(
      "SAVE_IMAGE_UNKNOWN",
      `header version ${version}, only ${SAVE_VERSION} is known`,
    );
  const dataLen = head.readUInt32LE(20);
  const format = head.readUInt32LE(28);
  if (format !== 0)
    throw new SaveImageError(
      "SAVE_IMAGE_UNKNOWN",
      `compressed save images (format ${format}) are not cloned`,
    );
  const cookieOffset = head.readUInt32LE(32);
  const xmlEnd = data.indexOf(0);
  if (xmlEnd < 0) throw new SaveImageError("SAVE_IMAGE_UNKNOWN", "the domain XML is not terminated");
  let cookie: string | null = null;
  if (cookieOffset > 0) {
    const end = data.indexOf(0, cookieOffset);
    cookie = data.subarray(cookieOffset, end < 0 ? data.length : end).toString("utf8");
  }
  return {
    version,
    dataLen,
    wasRunning: head.readUInt32LE(24),
    format,
    cookieOffset,
    xml: data.subarray(0, xmlEnd).toString("utf8"),
    cookie,
  };
}

export function readSaveHeader(path: string): SaveHeader {
  const fd = openSync(path, "r");
  try {
    const head = readExactly(fd, HEADER_BYTES, 0);
    const dataLen = head.readUInt32LE(20);
    if (dataLen > 16 * 1024 * 1024)
      throw new SaveImageError("SAVE_IMAGE_UNKNOWN", `implausible data length ${dataLen}`);
    return parseHeader(head, readExactly(fd, dataLen, HEADER_BYTES));
  } finally {
    closeSync(fd);
  }
}

/** Header + data region for a new XML; the region keeps its size so the memory image after it stays in place. */
export function encodeHeader(h: SaveHeader, xml: string): Buffer {
  const xmlBytes = Buffer.from(`${xml}\0`, "utf8");
  const cookieBytes = h.cookie !== null ? Buffer.from(`${h.cookie}\0`, "utf8") : Buffer.alloc(0);
  if (xmlBytes.length + cookieBytes.length > h.dataLen) {
    throw new SaveImageError(
      "SAVE_IMAGE_XML_TOO_LARGE",
      `new XML needs ${xmlBytes.length + cookieBytes.length} bytes, the image has ${h.dataLen}`,
    );
  }
  const out = Buffer.alloc(HEADER_BYTES + h.dataLen);
  out.write(SAVE_MAGIC, 0, "latin1");
  out.writeUInt32LE(h.version, 16);
  out.writeUInt32LE(h.dataLen, 20);
  out.writeUInt32LE(h.wasRunning, 24);
  out.writeUInt32LE(h.format, 28);
  out.writeUInt32LE(h.cookie !== null ? xmlBytes.length : 0, 32);
  xmlBytes.copy(out, HEADER_BYTES);
  cookieBytes.copy(out, HEADER_BYTES + xmlBytes.length);
  return out;
}

/** Copies a save image and rewrites the domain XML of the copy. */
export function cloneSaveImage(src: string, dst: string, rewrite: (xml: string) => string): SaveHeader {
  const header = readSaveHeader(src);
  const patched = encodeHeader(header, rewrite(header.xml));
  copyFileSync(src, dst);
  // The copy is the guest's whole memory: its owner's alone, whatever mode libvirt gave the template.
  chmodSync(dst, 0o600);
  const fd = openSync(dst, "r+");
  try {
    let off = 0;
    while (off < patched.length) off += writeSync(fd, patched, off, patched.length - off, off);
  } finally {
    closeSync(fd);
  }
  return readSaveHeader(dst);
}

/** Replaces the text of one element (first match), escaping the value. */
export function replaceElement(xml: string, tag: string, value: string): string {
  const re = new RegExp(`<${tag}>[^<]*</${tag}>`);
  if (!re.test(xml)) throw new SaveImageError("SAVE_IMAGE_XML", `the saved domain XML has no <${tag}>`);
  return xml.replace(re, `<${tag}>${escape(value)}</${tag}>`);
}

function escape(v: string): string {
  return v
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}
