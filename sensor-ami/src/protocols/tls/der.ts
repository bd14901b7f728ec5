// Minimal DER (ITU-T X.690) reader: just enough TLV walking for the X.509 fields ssl.log and
// x509.log need. Definite lengths only (DER forbids the indefinite form); every length is checked
// against the enclosing element, so a hostile certificate can only produce a DerParseError.

import { DerParseError } from "./errors.js";
import { latin1Text } from "./latin1.js";

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_T61_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_UNIVERSAL_STRING = 0x1c;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Length fields longer than this many bytes cannot describe anything inside a TLS message. */
const MAX_LENGTH_OCTETS = 4;

export interface DerElement {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  readonly value: Uint8Array;
}

export class DerReader {
  private offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.offset];
  }

  /** Read the next TLV; with `expectedTag`, fail unless it matches. */
  next(expectedTag?: number): DerElement {
    const b = this.bytes;
    if (this.offset + 2 > b.length)
      throw new DerParseError(`${this.what}: truncated element header at byte ${this.offset}`);
    const tag = b[this.offset++];
    if ((tag & 0x1f) === 0x1f)
      throw new DerParseError(`${this.what}: multi-byte tag numbers are not used in X.509`);
    let length = b[this.offset++];
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0 || octets > MAX_LENGTH_OCTETS) {
        throw new DerParseError(`${this.what}: unsupported length form (${octets} length octets)`);
      }
      if (this.offset + octets > b.length) throw new DerParseError(`${this.what}: truncated length`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + b[this.offset++];
    }
    if (this.offset + length > b.length) {
      throw new DerParseError(
        `${this.what}: element 0x${tag.toString(16)} declares ${length} bytes, only ${b.length - this.offset} left`,
      );
    }
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new DerParseError(
        `${this.what}: expected tag 0x${expectedTag.toString(16)}, found 0x${tag.toString(16)}`,
      );
    }
    const value = b.subarray(this.offset, this.offset + length);
    this.offset += length;
    return { tag, value };
  }

  /** Read the next element (which must be constructed with `tag`) and return a reader over its contents. */
  enter(tag: number, what: string): DerReader {
    return new DerReader(this.next(tag).value, what);
  }
}

/** Dotted-decimal form of an OBJECT IDENTIFIER's content octets (built in one pass, no arrays). */
export function oidToString(value: Uint8Array): string {
  if (value.length === 0) throw new DerParseError("empty OBJECT IDENTIFIER");
  let text = "";
  let arcs = 0;
  let arc = 0;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i];
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      // The first subidentifier packs the first two arcs (X.690 §8.19.4).
      if (arcs === 0) text = arc < 40 ? `0.${arc}` : arc < 80 ? `1.${arc - 40}` : `2.${arc - 80}`;
      else text += `.${arc}`;
      arcs++;
      arc = 0;
    }
  }
  // Only continuation octets: what the array-based rendering this replaces printed.
  return arcs === 0 ? "2.NaN" : text;
}

/** A character a Latin-1 decoding made from a byte ≥ 0x80 (not ASCII, so not its own UTF-8). */
const NON_ASCII = /[\u0080-\u00ff]/;

/** Decode an ASN.1 string type to text (UTF-8, Latin-1 for the 8-bit types, UCS-2/UCS-4 for BMP/Universal). */
export function decodeString(element: DerElement): string {
  const { tag, value } = element;
  switch (tag) {
    case TAG_UTF8_STRING: {
      // ASCII is its own UTF-8: only other text needs the decoder.
      const latin1 = latin1Text(value);
      if (!NON_ASCII.test(latin1)) return latin1;
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8");
    }
    case TAG_BMP_STRING: {
      let text = "";
      for (let i = 0; i + 1 < value.length; i += 2)
        text += String.fromCharCode((value[i] << 8) | value[i + 1]);
      return text;
    }
    case TAG_UNIVERSAL_STRING: {
      let text = "";
      for (let i = 0; i + 3 < value.length; i += 4) {
        const code = ((value[i] << 24) | (value[i + 1] << 16) | (value[i + 2] << 8) | value[i + 3]) >>> 0;
        text += code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
      }
      return text;
    }
    default:
      return latin1Text(value);
  }
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CHAR_Z = 0x5a;
const CHAR_DOT = 0x2e;

/** The two decimal digits at `offset` (the caller checked they are digits). */
function twoDigits(value: Uint8Array, offset: number): number {
  return (value[offset] - DIGIT_0) * 10 + (value[offset + 1] - DIGIT_0);
}

/**
 * UTCTime / GeneralizedTime (DER forms ending in "Z") to seconds since the epoch. Accepts exactly
 * YYMMDDHHMM[SS]Z (UTCTime) and YYYYMMDDHHMM[SS][.f+]Z (otherwise); read without a regex.
 */
export function decodeTime(element: DerElement): number {
  const value = element.value;
  const utc = element.tag === TAG_UTC_TIME;
  let digits = 0;
  while (digits < value.length && value[digits] >= DIGIT_0 && value[digits] <= DIGIT_9) digits++;
  const yearDigits = utc ? 2 : 4;
  let end = digits;
  let valid = digits === yearDigits + 8 || digits === yearDigits + 10;
  if (valid && !utc && value[end] === CHAR_DOT) {
    let fraction = end + 1;
    while (fraction < value.length && value[fraction] >= DIGIT_0 && value[fraction] <= DIGIT_9) fraction++;
    valid = fraction > end + 1;
    end = fraction;
  }
  if (!valid || end !== value.length - 1 || value[end] !== CHAR_Z) {
    throw new DerParseError(`unsupported time value "${latin1Text(value)}"`);
  }
  let year = utc ? twoDigits(value, 0) : twoDigits(value, 0) * 100 + twoDigits(value, 2);
  // RFC 5280 §4.1.2.5.1: UTCTime years 50–99 are 19xx, 00–49 are 20xx.
  if (utc) year += year >= 50 ? 1900 : 2000;
  const y = yearDigits;
  const seconds = digits === y + 10 ? twoDigits(value, y + 8) : 0;
  const millis = Date.UTC(
    year,
    twoDigits(value, y) - 1,
    twoDigits(value, y + 2),
    twoDigits(value, y + 4),
    twoDigits(value, y + 6),
    seconds,
  );
  return millis / 1000;
}
