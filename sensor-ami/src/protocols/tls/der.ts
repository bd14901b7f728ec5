// Minimal DER (ITU-T X.690) reader: just enough TLV walking for the X.509 fields ssl.log and
// x509.log need. Definite lengths only (DER forbids the indefinite form); every length is checked
// against the enclosing element, so a hostile certificate can only produce a DerParseError.
//
// Allocation-light: a reader is a window [start, end) over the certificate's bytes, next() leaves
// the element it read in the reader's tag/valueStart/valueEnd fields (no element object, no
// subarray), and nested readers share the same bytes.

import { latin1 } from "../../text/bytes.js";
import { DerParseError } from "./errors.js";

/**
 * Universal-class tags (X.680 §8.4) an X.509 certificate uses, exported as one table: the
 * string and time tags are only read here, the structural ones by x509.ts.
 */
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

export class DerReader {
  private offset: number;
  private readonly end: number;
  /** Identifier octet (class, constructed bit, tag number < 31) of the element next() read last. */
  tag = 0;
  /** Contents of that element: bytes[valueStart, valueEnd). */
  valueStart = 0;
  valueEnd = 0;

  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
    private readonly start = 0,
    end = bytes.length,
  ) {
    this.offset = start;
    this.end = end;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.offset];
  }

  /** Read the next TLV into tag/valueStart/valueEnd; with `expectedTag`, fail unless it matches. */
  next(expectedTag?: number): void {
    const b = this.bytes;
    if (this.offset + 2 > this.end)
      throw new DerParseError(`${this.what}: truncated element header at byte ${this.offset - this.start}`);
    const tag = b[this.offset++];
    if ((tag & 0x1f) === 0x1f)
      throw new DerParseError(`${this.what}: multi-byte tag numbers are not used in X.509`);
    let length = b[this.offset++];
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0 || octets > MAX_LENGTH_OCTETS) {
        throw new DerParseError(`${this.what}: unsupported length form (${octets} length octets)`);
      }
      if (this.offset + octets > this.end) throw new DerParseError(`${this.what}: truncated length`);
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + b[this.offset++];
    }
    if (this.offset + length > this.end) {
      throw new DerParseError(
        `${this.what}: element 0x${tag.toString(16)} declares ${length} bytes, only ${this.end - this.offset} left`,
      );
    }
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new DerParseError(
        `${this.what}: expected tag 0x${expectedTag.toString(16)}, found 0x${tag.toString(16)}`,
      );
    }
    this.tag = tag;
    this.valueStart = this.offset;
    this.valueEnd = this.offset + length;
    this.offset += length;
  }

  /** The contents of the element read last, as a view (for the rare values that need one). */
  value(): Uint8Array {
    return this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  /** A reader over the contents of the element read last. */
  contents(what: string): DerReader {
    return new DerReader(this.bytes, what, this.valueStart, this.valueEnd);
  }

  /** Read the next element (which must be constructed with `tag`) and return a reader over its contents. */
  enter(tag: number, what: string): DerReader {
    this.next(tag);
    return this.contents(what);
  }

  /** Dotted-decimal OID of the element read last. */
  oid(): string {
    return oidToString(this.bytes, this.valueStart, this.valueEnd);
  }

  /** Text of the string element read last. */
  text(): string {
    return decodeString(this.tag, this.bytes, this.valueStart, this.valueEnd);
  }

  /** Seconds since the epoch of the UTCTime/GeneralizedTime element read last. */
  time(): number {
    return decodeTime(this.tag, this.bytes, this.valueStart, this.valueEnd);
  }
}

/** Dotted-decimal form of an OBJECT IDENTIFIER's content octets bytes[start, end) (one pass, no arrays). */
function oidToString(bytes: Uint8Array, start: number, end: number): string {
  if (start >= end) throw new DerParseError("empty OBJECT IDENTIFIER");
  let text = "";
  let arcs = 0;
  let arc = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
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

/**
 * The arcs of an OBJECT IDENTIFIER in bytes[start, end), decoded exactly as oidToString() decodes
 * them (so comparing arcs answers what comparing its text would), into `out`. Returns how many;
 * 0 when no subidentifier completes. Lets callers recognise an OID without building its text.
 */
export function oidArcs(bytes: Uint8Array, start: number, end: number, out: number[]): number {
  if (start >= end) throw new DerParseError("empty OBJECT IDENTIFIER");
  let count = 0;
  let arc = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (count === 0) {
        out[0] = arc < 40 ? 0 : arc < 80 ? 1 : 2;
        out[1] = arc < 40 ? arc : arc < 80 ? arc - 40 : arc - 80;
        count = 2;
      } else out[count++] = arc;
      arc = 0;
    }
  }
  return count;
}

/** A character a Latin-1 decoding made from a byte ≥ 0x80 (not ASCII, so not its own UTF-8). */
const NON_ASCII = /[\u0080-\u00ff]/;

/** Decode an ASN.1 string type to text (UTF-8, Latin-1 for the 8-bit types, UCS-2/UCS-4 for BMP/Universal). */
function decodeString(tag: number, bytes: Uint8Array, start: number, end: number): string {
  switch (tag) {
    case TAG_UTF8_STRING: {
      // ASCII is its own UTF-8: only other text needs the decoder.
      const text = latin1(bytes, start, end);
      if (!NON_ASCII.test(text)) return text;
      return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
    }
    case TAG_BMP_STRING: {
      let text = "";
      for (let i = start; i + 1 < end; i += 2) text += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
      return text;
    }
    case TAG_UNIVERSAL_STRING: {
      let text = "";
      for (let i = start; i + 3 < end; i += 4) {
        const code = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
        text += code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
      }
      return text;
    }
    default:
      return latin1(bytes, start, end);
  }
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const CHAR_Z = 0x5a;
const CHAR_DOT = 0x2e;

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

/** The two decimal digits at `offset` (the caller checked they are digits). */
function twoDigits(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] - DIGIT_0) * 10 + (bytes[offset + 1] - DIGIT_0);
}

/**
 * UTCTime / GeneralizedTime (DER forms ending in "Z") in bytes[start, end) to seconds since the
 * epoch. Accepts exactly YYMMDDHHMM[SS]Z (UTCTime) and YYYYMMDDHHMM[SS][.f+]Z (any other tag);
 * read without a regex.
 */
function decodeTime(tag: number, bytes: Uint8Array, start: number, end: number): number {
  const utc = tag === TAG_UTC_TIME;
  let digitsEnd = start;
  while (digitsEnd < end && isDigit(bytes[digitsEnd])) digitsEnd++;
  const digits = digitsEnd - start;
  const yearDigits = utc ? 2 : 4;
  let zone = digitsEnd;
  let valid = digits === yearDigits + 8 || digits === yearDigits + 10;
  if (valid && !utc && zone < end && bytes[zone] === CHAR_DOT) {
    let fraction = zone + 1;
    while (fraction < end && isDigit(bytes[fraction])) fraction++;
    valid = fraction > zone + 1;
    zone = fraction;
  }
  if (!valid || zone !== end - 1 || bytes[zone] !== CHAR_Z) {
    throw new DerParseError(`unsupported time value "${latin1(bytes, start, end)}"`);
  }
  let year = utc ? twoDigits(bytes, start) : twoDigits(bytes, start) * 100 + twoDigits(bytes, start + 2);
  // RFC 5280 §4.1.2.5.1: UTCTime years 50–99 are 19xx, 00–49 are 20xx.
  if (utc) year += year >= 50 ? 1900 : 2000;
  const fields = start + yearDigits;
  const seconds = digits === yearDigits + 10 ? twoDigits(bytes, fields + 8) : 0;
  const millis = Date.UTC(
    year,
    twoDigits(bytes, fields) - 1,
    twoDigits(bytes, fields + 2),
    twoDigits(bytes, fields + 4),
    twoDigits(bytes, fields + 6),
    seconds,
  );
  return millis / 1000;
}
