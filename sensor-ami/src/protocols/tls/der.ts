// Minimal DER (ITU-T X.690) reader: just enough TLV walking for the X.509 fields ssl.log and
// x509.log need. Definite lengths only (DER forbids the indefinite form); every length is checked
// against the enclosing element, so a hostile certificate can only produce a DerParseError.

import { DerParseError } from "./errors.js";

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

/** Dotted-decimal form of an OBJECT IDENTIFIER's content octets. */
export function oidToString(value: Uint8Array): string {
  if (value.length === 0) throw new DerParseError("empty OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of value) {
    arc = arc * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

/** Decode an ASN.1 string type to text (UTF-8, Latin-1 for the 8-bit types, UCS-2/UCS-4 for BMP/Universal). */
export function decodeString(element: DerElement): string {
  const { tag, value } = element;
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  switch (tag) {
    case TAG_UTF8_STRING:
      return buffer.toString("utf8");
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
      return buffer.toString("latin1");
  }
}

/** UTCTime / GeneralizedTime (DER forms ending in "Z") to seconds since the epoch. */
export function decodeTime(element: DerElement): number {
  const text = Buffer.from(element.value).toString("latin1");
  const match =
    element.tag === TAG_UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(text);
  if (!match) throw new DerParseError(`unsupported time value "${text}"`);
  let year = Number(match[1]);
  // RFC 5280 §4.1.2.5.1: UTCTime years 50–99 are 19xx, 00–49 are 20xx.
  if (element.tag === TAG_UTC_TIME) year += year >= 50 ? 1900 : 2000;
  const millis = Date.UTC(
    year,
    Number(match[2]) - 1,
    Number(match[3]),
    Number(match[4]),
    Number(match[5]),
    Number(match[6] ?? "0"),
  );
  return millis / 1000;
}
