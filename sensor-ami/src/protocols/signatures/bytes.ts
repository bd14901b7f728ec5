// Small helpers the label-only probes share: text views of the first bytes and BER parsing.
//
// Every probe sees the first payload of nearly every connection, so probes first decide from a
// byte or two whether the payload can be theirs at all, and build text (for the exact pattern
// check) only for those candidates.

import { latin1 } from "../../text/bytes.js";

/** Bytes of a payload a text probe looks at (first lines only). */
const TEXT_PROBE_BYTES = 512;

const LF = 0x0a;
const CR = 0x0d;

/** The payload's first bytes as latin1 text (one character per byte). */
export function headText(bytes: Uint8Array, max = TEXT_PROBE_BYTES): string {
  return latin1(bytes, 0, Math.min(bytes.length, max));
}

/**
 * Length of the first line without its LF and one CR before it, or -1 when no LF arrived within
 * the probe window.
 */
export function firstLineLength(bytes: Uint8Array): number {
  const window = Math.min(bytes.length, TEXT_PROBE_BYTES);
  for (let i = 0; i < window; i++) {
    if (bytes[i] === LF) return i > 0 && bytes[i - 1] === CR ? i - 1 : i;
  }
  return -1;
}

/** The first line without its CR LF, or undefined when no LF arrived within the probe window. */
export function firstLine(bytes: Uint8Array): string | undefined {
  const length = firstLineLength(bytes);
  return length < 0 ? undefined : headText(bytes, length);
}

/** bytes[at, at + text.length) equals the ASCII `text`, case included. */
export function bytesEqualAscii(bytes: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (bytes[at + i] !== text.charCodeAt(i)) return false;
  }
  return true;
}

export const u16be = (b: Uint8Array, at: number): number => (b[at] << 8) | b[at + 1];
export const u32be = (b: Uint8Array, at: number): number =>
  ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** One BER/DER tag-length header (X.690 §8.1), single-byte tags only. */
interface BerHeader {
  tag: number;
  /** Declared content length (may exceed what the probe sees: the message can continue later). */
  length: number;
  /** Offset of the first content byte. */
  contentStart: number;
}

/** Reads a BER header at `at`; undefined when malformed or cut before the length is complete. */
export function readBerHeader(b: Uint8Array, at: number): BerHeader | undefined {
  if (at + 2 > b.length) return undefined;
  const tag = b[at];
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tag numbers: not used by the probes
  const first = b[at + 1];
  if (first < 0x80) return { tag, length: first, contentStart: at + 2 };
  const count = first & 0x7f;
  if (count === 0 || count > 4 || at + 2 + count > b.length) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + b[at + 2 + i];
  return { tag, length, contentStart: at + 2 + count };
}

/** Reads a small non-negative INTEGER (or ENUMERATED with `tag` 0x0a) at `at`. */
export function readBerSmallInt(
  b: Uint8Array,
  at: number,
  tag = 0x02,
): { value: number; end: number } | undefined {
  const h = readBerHeader(b, at);
  if (!h || h.tag !== tag || h.length < 1 || h.length > 4 || h.contentStart + h.length > b.length)
    return undefined;
  let value = 0;
  for (let i = 0; i < h.length; i++) value = value * 256 + b[h.contentStart + i];
  return { value, end: h.contentStart + h.length };
}
