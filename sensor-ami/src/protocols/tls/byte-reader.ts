// Bounds-checked big-endian reader over a byte view. Every read checks the remaining length and
// throws TlsParseError with the field name, so the hello parsers can describe exactly what was
// truncated; the public parse functions catch it and return it as a value.

import { TlsParseError } from "./errors.js";

export class ByteReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** What is being read, for error messages ("ClientHello", "server_name extension"…). */
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  private need(count: number, field: string): void {
    if (count > this.remaining) {
      throw new TlsParseError(
        `${this.what} truncated at byte ${this.offset}: ${field} needs ${count} byte(s), ${this.remaining} left`,
      );
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.offset++];
  }

  u16(field: string): number {
    this.need(2, field);
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }

  u24(field: string): number {
    this.need(3, field);
    const b = this.bytes;
    const value = (b[this.offset] << 16) | (b[this.offset + 1] << 8) | b[this.offset + 2];
    this.offset += 3;
    return value;
  }

  /** A view (not a copy) of the next `count` bytes. */
  bytesView(count: number, field: string): Uint8Array {
    this.need(count, field);
    const view = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return view;
  }

  /** A sub-reader over a vector with a `lengthBytes`-byte length prefix. */
  vector(lengthBytes: 1 | 2 | 3, field: string): ByteReader {
    const length = lengthBytes === 1 ? this.u8(field) : lengthBytes === 2 ? this.u16(field) : this.u24(field);
    return new ByteReader(this.bytesView(length, field), `${field} of ${this.what}`);
  }

  /** All remaining bytes. */
  rest(): Uint8Array {
    const view = this.bytes.subarray(this.offset);
    this.offset = this.bytes.length;
    return view;
  }
}
