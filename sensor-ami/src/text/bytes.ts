// Bytes as text, the one place for it in the sensor: Zeek strings are byte strings, so a byte maps
// to one character (latin1); identifiers, digests and unknown values are hex. Imports nothing of
// the sensor, so every layer may use it.
//
// Node's native encoders behind Buffer#toString("latin1" | "hex") are called directly: they skip
// the encoding dispatch and work on any Uint8Array, so no Buffer view is made per string. They
// are undocumented, so where a Node lacks them the documented toString is used instead. Both
// throw on out-of-range offsets, which callers rule out by their own bounds checks.

import { Buffer } from "node:buffer";

type Slice = (this: Uint8Array, start: number, end: number) => string;
const native = Buffer.prototype as unknown as { latin1Slice?: Slice; hexSlice?: Slice };

function encoder(slice: Slice | undefined, encoding: "latin1" | "hex") {
  return typeof slice === "function"
    ? (bytes: Uint8Array, start: number, end: number): string => slice.call(bytes, start, end)
    : (bytes: Uint8Array, start: number, end: number): string =>
        Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString(encoding);
}

/** bytes[start, end) as a string of one character per byte. */
export const latin1 = encoder(native.latin1Slice, "latin1");

/** A whole view as latin1 text: host names, ALPN values, certificate strings. */
export function latin1Text(bytes: Uint8Array): string {
  return latin1(bytes, 0, bytes.length);
}

/** bytes[start, end) as lower-case hex. */
export const hex = encoder(native.hexSlice, "hex");

/** "00".."ff" by byte value: hex pieces (MAC octets, escapes) without a toString/padStart each. */
export const HEX_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, value) =>
  value.toString(16).padStart(2, "0"),
);

/** "00".."FF" by byte value, for the upper-case renderings (OpenSSL's serials and \XX escapes). */
export const HEX_OCTETS_UPPER: readonly string[] = HEX_OCTETS.map((octet) => octet.toUpperCase());

/** A 16-bit value as 4 lower-case hex digits ("0a0a"). */
export function hex16(value: number): string {
  return HEX_OCTETS[(value >> 8) & 0xff] + HEX_OCTETS[value & 0xff];
}

/** bytes[start, end) as upper-case hex. */
export function hexUpper(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += HEX_OCTETS_UPPER[bytes[i]];
  return text;
}

/** Character codes of the lower-case hex digits, compared as numbers (no one-char strings). */
const HEX_DIGIT_CODES = Uint8Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));

/** Whether `text` is hex(bytes, start, end), checked in place without making that string. */
export function isHexOf(text: string | undefined, bytes: Uint8Array, start: number, end: number): boolean {
  if (text === undefined || text.length !== (end - start) * 2) return false;
  for (let i = start, at = 0; i < end; i++, at += 2) {
    const b = bytes[i];
    if (
      text.charCodeAt(at) !== HEX_DIGIT_CODES[b >> 4] ||
      text.charCodeAt(at + 1) !== HEX_DIGIT_CODES[b & 0x0f]
    )
      return false;
  }
  return true;
}
