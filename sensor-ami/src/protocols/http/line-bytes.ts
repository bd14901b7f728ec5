// Byte-level pieces of HTTP line handling: finding bytes, trimming as String#trim does, chunk-size
// lines, the kept tail of an over-long line, and the scan for a message start after a gap.

import type { Buffer } from "node:buffer";
import { latin1 } from "../../text/bytes.js";

export const LF = 0x0a;
const SEMICOLON = 0x3b;
/** 13 hex digits stay below 2^53, so the arithmetic is exact. */
const MAX_CHUNK_SIZE_DIGITS = 13;
/** Last bytes of an over-long line kept while its middle is skipped (they hold " HTTP/1.1"). */
const LINE_TAIL_CHARS = 32;
/** Bytes after a line start inspected when looking for a message start after a gap. */
const RESYNC_WINDOW_BYTES = 2048;

/** Whitespace as String#trim sees it, for the bytes latin1 maps to U+0000–U+00FF. */
export function isTrimmedByte(b: number): boolean {
  return (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const lower = b | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** Chunk size from a chunk-size line (extensions after ";" ignored); undefined when malformed. */
export function parseChunkSize(b: Uint8Array, start: number, end: number): number | undefined {
  let stop = start;
  while (stop < end && b[stop] !== SEMICOLON) stop++;
  let from = start;
  while (from < stop && isTrimmedByte(b[from])) from++;
  while (stop > from && isTrimmedByte(b[stop - 1])) stop--;
  if (stop === from || stop - from > MAX_CHUNK_SIZE_DIGITS) return undefined;
  let size = 0;
  for (let i = from; i < stop; i++) {
    const digit = hexValue(b[i]);
    if (digit < 0) return undefined;
    size = size * 16 + digit;
  }
  return size;
}

/** V8's own search (Buffer#indexOf wraps it in argument handling: slower before the JIT warms up). */
const typedIndexOf = Uint8Array.prototype.indexOf;
export function indexOfByte(b: Uint8Array, value: number, from: number): number {
  return typedIndexOf.call(b, value, from);
}

/** `tail` (the kept tail of an over-long line) followed by b[from, to), cut to its last LINE_TAIL_CHARS. */
export function keptTail(tail: string, b: Buffer, from: number, to: number): string {
  const start = Math.max(from, to - LINE_TAIL_CHARS);
  if (start >= to) return tail;
  const joined = tail + latin1(b, start, to);
  return joined.length > LINE_TAIL_CHARS ? joined.slice(joined.length - LINE_TAIL_CHARS) : joined;
}

/**
 * After a gap: the next line start in bytes[pos, …) where `pattern` (anchored with ^) says a message
 * begins (start lines open with A-Z); bytes.length when there is none; ~at (negative) when the
 * candidate line at `at` is cut by the end of the delivery and the next one must decide it.
 */
export function findMessageStart(bytes: Buffer, pos: number, pattern: RegExp): number {
  let at = pos;
  while (at < bytes.length) {
    const first = bytes[at];
    const lf = bytes.indexOf(LF, at);
    if (first >= 0x41 && first <= 0x5a) {
      const window = bytes.subarray(at, Math.min(bytes.length, at + RESYNC_WINDOW_BYTES));
      if (pattern.test(window.toString("latin1"))) return at;
      if (lf < 0 && window.length < RESYNC_WINDOW_BYTES) return ~at;
    }
    if (lf < 0) return bytes.length;
    at = lf + 1;
  }
  return bytes.length;
}
