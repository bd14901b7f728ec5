// Unsigned integers of a capture file in its byte order. Plain byte arithmetic: Buffer#readUInt32LE
// is a call into Node's bounds-checked helpers, and records are read several times per packet.
// Callers make sure the bytes are there.

export function u32At(b: Uint8Array, at: number, le: boolean): number {
  return le
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

export function u16At(b: Uint8Array, at: number, le: boolean): number {
  return le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
}
