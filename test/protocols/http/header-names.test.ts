// Byte-level header matching must agree with the string operations it replaces: the analyzer
// used to compare `name.toLowerCase()` / `name.toUpperCase()` of latin1 text, and to trim names
// and values with String#trim.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeaderNames } from "../../../sensor-ami/src/protocols/http/header-names.js";
import { isTrimmedByte } from "../../../sensor-ami/src/protocols/http/line-bytes.js";
import { LOGGED_REQUEST_HEADERS } from "../../../sensor-ami/src/protocols/http/transaction.js";

const NAMES = ["content-length", "transfer-encoding", "content-encoding", ...LOGGED_REQUEST_HEADERS];
const LOWER = new Set(NAMES.map((n) => n.toLowerCase()));
const UPPER = new Set(NAMES.map((n) => n.toUpperCase()));
const names = new HeaderNames(NAMES);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("HeaderNames", () => {
  it("matches exactly the latin1 strings whose lower or upper case is a listed name", () => {
    // Characters of the names in both cases, plus every byte that is not an ASCII letter.
    const alphabet = [...new Set([...NAMES.join("").toLowerCase(), ...NAMES.join("").toUpperCase()])];
    for (let b = 0; b < 256; b++)
      if (!/[A-Za-z]/.test(String.fromCharCode(b))) alphabet.push(String.fromCharCode(b));
    const mutated = fc
      .tuple(
        fc.constantFrom(...NAMES),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...alphabet)), { maxLength: 3 }),
      )
      .map(([name, edits]) => {
        const chars = [...name];
        for (const [at, c] of edits) chars[at % chars.length] = c;
        return chars.map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join("");
      });
    fc.assert(
      fc.property(
        fc.oneof(mutated, fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 20 })),
        (text) => {
          const bytes = latin1(`  ${text}:`);
          const expected = LOWER.has(text.toLowerCase()) || UPPER.has(text.toUpperCase());
          expect(names.has(bytes, 2, 2 + text.length)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives each name its position in the list, in any letter case", () => {
    NAMES.forEach((name, id) => {
      const mixed = [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join("");
      expect(names.match(latin1(mixed), 0, mixed.length)).toBe(id);
    });
    expect(names.match(latin1("Accept"), 0, 6)).toBe(-1);
  });

  it("trims the same bytes as String#trim", () => {
    for (let b = 0; b < 256; b++) {
      expect(isTrimmedByte(b)).toBe(String.fromCharCode(b).trim() === "");
    }
  });
});
