// Bounds-checked big-endian reader over a byte view. Every read checks the remaining length and
// throws TlsParseError with the field name, so the hello parsers can describe exactly what was
// truncated; the public parse functions catch it and return it as a value.
//
// Error texts are built only when a read fails: a sub-reader (vector) shares its parent's bytes
// within a window and names itself lazily ("<field> of <parent>"), and field names may be objects
// whose toString() builds the name, so a well-formed hello costs no string work.

import { TlsParseError } from "./errors.js";

/** A field or reader name: a string, or an object that builds it when an error message needs it. */
export type FieldName = string | { toString(): string };

export class ByteReader {
  private offset: number;
  private readonly end: number;

  constructor(
    private readonly bytes: Uint8Array,
    /** What is being read, for error messages ("ClientHello", "server_name extension"…). */
    private readonly what: FieldName,
    /** The reader this one is a vector of: error messages say "<what> of <parent>". */
    private readonly parent: ByteReader | undefined = undefined,
    private readonly start = 0,
    end = bytes.length,
  ) {
    this.offset = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  get position(): number {
    return this.offset - this.start;
  }

  /** The bytes read from (shared with sub-readers). */
  get source(): Uint8Array {
    return this.bytes;
  }

  /** Index in `source` of the next byte (for windows that outlive this reader). */
  get sourceOffset(): number {
    return this.offset;
  }

  private description(): string {
    return this.parent === undefined ? `${this.what}` : `${this.what} of ${this.parent.description()}`;
  }

  private need(count: number, field: FieldName): void {
    if (count > this.end - this.offset) {
      throw new TlsParseError(
        `${this.description()} truncated at byte ${this.position}: ${field} needs ${count} byte(s), ${this.remaining} left`,
      );
    }
  }

  u8(field: FieldName): number {
    this.need(1, field);
    return this.bytes[this.offset++];
  }

  u16(field: FieldName): number {
    this.need(2, field);
    const value = (this.bytes[this.offset] << 8) | this.bytes[this.offset + 1];
    this.offset += 2;
    return value;
  }

  u24(field: FieldName): number {
    this.need(3, field);
    const b = this.bytes;
    const value = (b[this.offset] << 16) | (b[this.offset + 1] << 8) | b[this.offset + 2];
    this.offset += 3;
    return value;
  }

  /** All remaining bytes as 16-bit values; an odd last byte fails like u16() would. */
  u16List(field: FieldName): number[] {
    const values: number[] = [];
    const b = this.bytes;
    let offset = this.offset;
    while (this.end - offset >= 2) {
      values.push((b[offset] << 8) | b[offset + 1]);
      offset += 2;
    }
    this.offset = offset;
    if (offset < this.end) this.need(2, field);
    return values;
  }

  /** A view (not a copy) of the next `count` bytes. */
  bytesView(count: number, field: FieldName): Uint8Array {
    this.need(count, field);
    const view = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return view;
  }

  /** Skip the next `count` bytes. */
  skip(count: number, field: FieldName): void {
    this.need(count, field);
    this.offset += count;
  }

  /** A sub-reader over a vector with a `lengthBytes`-byte length prefix (same bytes, no copy). */
  vector(lengthBytes: 1 | 2 | 3, field: FieldName): ByteReader {
    const length = lengthBytes === 1 ? this.u8(field) : lengthBytes === 2 ? this.u16(field) : this.u24(field);
    this.need(length, field);
    const reader = new ByteReader(this.bytes, field, this, this.offset, this.offset + length);
    this.offset += length;
    return reader;
  }

  /** All remaining bytes. */
  rest(): Uint8Array {
    const view = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return view;
  }
}
