// Bytes as text for analyzers: Zeek strings are byte strings, so a byte maps to one character
// (latin1), and identifiers are lower-case hex.
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

/** bytes[start, end) as lower-case hex. */
export const hex = encoder(native.hexSlice, "hex");
