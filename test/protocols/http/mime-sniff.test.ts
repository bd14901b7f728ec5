// The byte-level MIME sniffer must agree with the straightforward string-based reading of the
// table in mime.ts (the implementation it replaced, kept here as the oracle, over the same table):
// every magic rule in order, then markup / XML / JSON on the lower-cased first 16 characters after
// whitespace, then the text check.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAGIC_RULES, sniffMimeType } from "../../../sensor-ami/src/protocols/http/mime.js";

/** The implementation reads the same table, indexed by first byte: the oracle walks it in order. */
const RULES = MAGIC_RULES;
const at = (d: Uint8Array, offset: number, bytes: readonly number[]): boolean =>
  d.length >= offset + bytes.length && bytes.every((b, i) => d[offset + i] === b);
const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c;

function looksLikeText(data: Uint8Array): boolean {
  let i = 0;
  while (i < data.length) {
    const b = data[i];
    if (b < 0x80) {
      if ((b < 0x20 && !isSpace(b) && b !== 0x1b) || b === 0x7f) return false;
      i++;
      continue;
    }
    const extra = b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    if (extra < 0 || b >= 0xf5) return false;
    for (let k = 1; k <= extra; k++) {
      if (i + k >= data.length) return true;
      if ((data[i + k] & 0xc0) !== 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

function reference(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  for (const r of RULES)
    if ((!r.also || at(data, r.also.offset, r.also.bytes)) && at(data, r.offset, r.bytes)) return r.mime;
  let start = 0;
  while (start < data.length && isSpace(data[start])) start++;
  const head = Buffer.from(data.subarray(start, start + 16))
    .toString("latin1")
    .toLowerCase();
  if (["<!doctype html", "<html", "<head", "<body", "<title"].some((p) => head.startsWith(p)))
    return "text/html";
  if (head.startsWith("<?xml")) return "application/xml";
  const first = head.charAt(0);
  if (first === "{" || first === "[") {
    const next = head.slice(1).trimStart().charAt(0);
    if (next !== "" && (first === "{" ? next === '"' || next === "}" : '"{[]-0123456789tfn'.includes(next)))
      return "application/json";
  }
  return looksLikeText(data) ? "text/plain" : undefined;
}

const TOKENS = [
  "<!DOCTYPE html",
  "<!doctype HTML",
  "<html",
  "<HEAD",
  "<body",
  "<title",
  "<?xml",
  "<?XML",
  "<svg",
  "{",
  "[",
  '"',
  "}",
  "]",
  "-",
  "1",
  "t",
  "T",
  "F",
  "n",
  "x",
  " ",
  "\t",
  "\n",
  "\r",
  "\f",
  "\v",
  "\xa0",
  "\x00",
  "\x1b",
  "\x7f",
  "\xc3\xa9",
  "\xe2\x82",
  "\xff",
  "\xc0",
  "GIF89a",
  "RIFF",
  "WEBP",
  "Rar!\x1a\x07",
  "MZ",
  "\x7fELF",
  "PK\x03\x04",
  "\x1f\x8b",
  "%PDF-",
  "%!PS",
  "wOF2",
  "ID3",
  "\x89PNG\r\n\x1a\n",
  "\xff\xd8\xff",
  "\x00\x00\x01\x00",
];

describe("sniffMimeType", () => {
  it("agrees with the string-based reading of the table", () => {
    const bodies = fc.oneof(
      fc
        .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 8 })
        .map((parts) => new Uint8Array(Buffer.from(parts.join(""), "latin1")).subarray(0, 64)),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(bodies, fc.nat(64), (body, cut) => {
        expect(sniffMimeType(body)).toBe(reference(body));
        const prefix = body.subarray(0, cut);
        expect(sniffMimeType(prefix)).toBe(reference(prefix));
        // A filled prefix of a larger buffer, given by its length, is sniffed as that prefix alone.
        const padded = new Uint8Array(body.length + 8).fill(0x3c);
        padded.set(body);
        expect(sniffMimeType(padded, body.length)).toBe(reference(body));
      }),
      { numRuns: 20000 },
    );
  });
});
