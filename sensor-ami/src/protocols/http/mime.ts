// MIME type of a message body guessed from its first bytes ("magic"), the way Zeek's file
// analysis fills http.log's *_mime_types — but with a small fixed table instead of libmagic.
//
// | First bytes (after optional leading whitespace for markup)   | MIME type                     |
// |--------------------------------------------------------------|-------------------------------|
// | 89 50 4E 47 0D 0A 1A 0A                                      | image/png                     |
// | "GIF87a" / "GIF89a"                                          | image/gif                     |
// | FF D8 FF                                                     | image/jpeg                    |
// | "RIFF" .... "WEBP"                                           | image/webp                    |
// | 00 00 01 00 (Windows icon)                                   | image/x-icon                  |
// | "MZ"                                                         | application/x-dosexec         |
// | 7F "ELF"                                                     | application/x-executable      |
// | "PK" 03 04                                                   | application/zip               |
// | 1F 8B                                                        | application/x-gzip            |
// | "BZh"                                                        | application/x-bzip2           |
// | "7z" BC AF 27 1C                                             | application/x-7z-compressed   |
// | "Rar!" 1A 07                                                 | application/x-rar             |
// | "%PDF-"                                                      | application/pdf               |
// | "%!PS"                                                       | application/postscript        |
// | CA FE BA BE                                                  | application/x-java-applet     |
// | "wOFF" / "wOF2"                                              | application/font-woff         |
// | "OggS"                                                       | application/ogg               |
// | "ID3"                                                        | audio/mpeg                    |
// | "<!DOCTYPE html", "<html", "<head", "<body", "<title" (any case) | text/html                 |
// | "<?xml"                                                      | application/xml               |
// | "{" or "[" then `"`, "{", "[" or whitespace                  | application/json              |
// | otherwise, if every sniffed byte is printable text / UTF-8   | text/plain                    |
//
// Differences from Zeek (libmagic-style signatures): Zeek decompresses gzip/deflate
// Content-Encoding before sniffing, we sniff the bytes as sent; Zeek reports SVG that starts with
// "<svg" and CSS/JavaScript as text/plain, and so do we.

const MARKUP_HTML_PREFIXES = ["<!doctype html", "<html", "<head", "<body", "<title"];

interface MagicRule {
  readonly offset: number;
  readonly bytes: readonly number[];
  readonly mime: string;
  /** A second pattern that must also match (RIFF containers name their format at offset 8). */
  readonly also?: { readonly offset: number; readonly bytes: readonly number[] };
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

export const MAGIC_RULES: readonly MagicRule[] = [
  { offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], mime: "image/png" },
  { offset: 0, bytes: ascii("GIF87a"), mime: "image/gif" },
  { offset: 0, bytes: ascii("GIF89a"), mime: "image/gif" },
  { offset: 0, bytes: [0xff, 0xd8, 0xff], mime: "image/jpeg" },
  { offset: 8, bytes: ascii("WEBP"), mime: "image/webp", also: { offset: 0, bytes: ascii("RIFF") } },
  { offset: 0, bytes: [0x00, 0x00, 0x01, 0x00], mime: "image/x-icon" },
  { offset: 0, bytes: ascii("MZ"), mime: "application/x-dosexec" },
  { offset: 0, bytes: [0x7f, ...ascii("ELF")], mime: "application/x-executable" },
  { offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04], mime: "application/zip" },
  { offset: 0, bytes: [0x1f, 0x8b], mime: "application/x-gzip" },
  { offset: 0, bytes: ascii("BZh"), mime: "application/x-bzip2" },
  { offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], mime: "application/x-7z-compressed" },
  { offset: 0, bytes: [...ascii("Rar!"), 0x1a, 0x07], mime: "application/x-rar" },
  { offset: 0, bytes: ascii("%PDF-"), mime: "application/pdf" },
  { offset: 0, bytes: ascii("%!PS"), mime: "application/postscript" },
  { offset: 0, bytes: [0xca, 0xfe, 0xba, 0xbe], mime: "application/x-java-applet" },
  { offset: 0, bytes: ascii("wOFF"), mime: "application/font-woff" },
  { offset: 0, bytes: ascii("wOF2"), mime: "application/font-woff" },
  { offset: 0, bytes: ascii("OggS"), mime: "application/ogg" },
  { offset: 0, bytes: ascii("ID3"), mime: "audio/mpeg" },
];

function matchesAt(data: Uint8Array, length: number, offset: number, bytes: readonly number[]): boolean {
  if (length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) {
    if (data[offset + i] !== bytes[i]) return false;
  }
  return true;
}

function ruleMatches(data: Uint8Array, length: number, rule: MagicRule): boolean {
  if (rule.also && !matchesAt(data, length, rule.also.offset, rule.also.bytes)) return false;
  return matchesAt(data, length, rule.offset, rule.bytes);
}

/** The byte a rule requires at offset 0, if any (every rule in the table has one). */
function requiredFirstByte(rule: MagicRule): number | undefined {
  if (rule.offset === 0) return rule.bytes[0];
  if (rule.also?.offset === 0) return rule.also.bytes[0];
  return undefined;
}

/** MAGIC_RULES by the first byte they need, in table order: a body is tried against few rules. */
const RULES_BY_FIRST_BYTE: readonly (readonly MagicRule[])[] = Array.from({ length: 256 }, (_, b) =>
  MAGIC_RULES.filter((rule) => {
    const first = requiredFirstByte(rule);
    return first === undefined || first === b;
  }),
);

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c;

/** True when the bytes look like text: printable ASCII, whitespace, or well-formed UTF-8 sequences. */
function looksLikeText(data: Uint8Array, length: number): boolean {
  let i = 0;
  while (i < length) {
    const b = data[i];
    if (b < 0x80) {
      if (b < 0x20 && !isSpace(b) && b !== 0x1b) return false;
      if (b === 0x7f) return false;
      i++;
      continue;
    }
    const extra = b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (extra < 0 || b >= 0xf5) return false;
    for (let k = 1; k <= extra; k++) {
      // A sequence cut by the end of the sniff window still counts as text.
      if (i + k >= length) return true;
      if ((data[i + k] & 0xc0) !== 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

/** Markup and JSON are recognised within this many bytes after leading whitespace. */
const HEAD_BYTES = 16;
const MARKUP_HTML_PREFIX_BYTES = MARKUP_HTML_PREFIXES.map(ascii);
const XML_PREFIX = ascii("<?xml");
/** What may follow "[" in a JSON array (after whitespace; letters in lower case). */
const JSON_ARRAY_NEXT = new Set(ascii('"{[]-0123456789tfn'));

/** ASCII letters in lower case; other bytes unchanged (latin1 never lower-cases into ASCII). */
const lowerAscii = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/** Whitespace as String#trimStart sees it, for latin1 bytes. */
const isTrimmedByte = (b: number): boolean => (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0xa0;

/** data[start, end) begins with `prefix` (lower-case ASCII), ignoring ASCII letter case. */
function startsWithLower(data: Uint8Array, start: number, end: number, prefix: readonly number[]): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (lowerAscii(data[start + i]) !== prefix[i]) return false;
  }
  return true;
}

/** `{` must open an object ("key" or empty), `[` an array of JSON values. */
function looksLikeJsonStart(data: Uint8Array, start: number, end: number): boolean {
  const first = data[start];
  let at = start + 1;
  while (at < end && isTrimmedByte(data[at])) at++;
  if (at >= end) return false;
  const next = lowerAscii(data[at]);
  return first === 0x7b ? next === 0x22 || next === 0x7d : JSON_ARRAY_NEXT.has(next);
}

/**
 * The MIME type of a body from its first bytes (data[0, length): callers with a filled prefix of
 * a buffer pass its length instead of a view), or undefined when nothing in the table fits.
 */
export function sniffMimeType(data: Uint8Array, length = data.length): string | undefined {
  if (length === 0) return undefined;
  const rules = RULES_BY_FIRST_BYTE[data[0]];
  for (let r = 0; r < rules.length; r++) {
    if (ruleMatches(data, length, rules[r])) return rules[r].mime;
  }
  let start = 0;
  while (start < length && isSpace(data[start])) start++;
  // The first HEAD_BYTES after the whitespace, compared without letter case.
  const end = Math.min(length, start + HEAD_BYTES);
  const first = data[start];
  if (first === 0x3c) {
    for (let p = 0; p < MARKUP_HTML_PREFIX_BYTES.length; p++) {
      if (startsWithLower(data, start, end, MARKUP_HTML_PREFIX_BYTES[p])) return "text/html";
    }
    if (startsWithLower(data, start, end, XML_PREFIX)) return "application/xml";
  } else if ((first === 0x7b || first === 0x5b) && looksLikeJsonStart(data, start, end)) {
    return "application/json";
  }
  return looksLikeText(data, length) ? "text/plain" : undefined;
}
