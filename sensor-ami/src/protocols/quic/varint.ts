// QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
// encoded size (1, 2, 4 or 8 bytes). Split into size + value so callers advance an offset without
// allocating a result object per integer.

/** Encoded size of the varint starting at `offset`, or 0 when it does not fit in `bytes`. */
export function varintSize(bytes: Uint8Array, offset: number): number {
  if (offset >= bytes.length) return 0;
  const size = 1 << (bytes[offset] >> 6);
  return offset + size <= bytes.length ? size : 0;
}

/**
 * Value of a varint whose size came from varintSize(). Values above 2^53 lose precision; QUIC
 * lengths and offsets that large are nonsense on the wire and are rejected by the callers' bounds.
 */
export function varintValue(bytes: Uint8Array, offset: number, size: number): number {
  let value = bytes[offset] & 0x3f;
  for (let i = 1; i < size; i++) value = value * 256 + bytes[offset + i];
  return value;
}
