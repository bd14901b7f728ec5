import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HEX_OCTETS,
  HEX_OCTETS_UPPER,
  hex,
  hex16,
  hexUpper,
  isHexOf,
  latin1,
  latin1Text,
} from "../../sensor-ami/src/text/bytes.js";

/** Random bytes and a [start, end) slice of them, inside a view that does not start its buffer. */
const sliced = fc
  .tuple(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(8), fc.nat(), fc.nat())
  .map(([data, pad, a, b]) => {
    const backing = new Uint8Array(pad + data.length);
    backing.set(data, pad);
    const bytes = backing.subarray(pad);
    const x = data.length === 0 ? 0 : a % (data.length + 1);
    const y = data.length === 0 ? 0 : b % (data.length + 1);
    return { bytes, start: Math.min(x, y), end: Math.max(x, y) };
  });

const viaBuffer = (bytes: Uint8Array, start: number, end: number, encoding: "latin1" | "hex") =>
  Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString(encoding);

describe("latin1 and hex", () => {
  it("are Buffer#toString of the slice, on views with a byte offset", () => {
    fc.assert(
      fc.property(sliced, ({ bytes, start, end }) => {
        expect(latin1(bytes, start, end)).toBe(viaBuffer(bytes, start, end, "latin1"));
        expect(hex(bytes, start, end)).toBe(viaBuffer(bytes, start, end, "hex"));
        expect(hexUpper(bytes, start, end)).toBe(viaBuffer(bytes, start, end, "hex").toUpperCase());
      }),
    );
  });

  it("map every byte value to one character / two digits", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = latin1Text(all);
    expect(text.length).toBe(256);
    for (let i = 0; i < 256; i++) expect(text.charCodeAt(i)).toBe(i);
    expect(hex(all, 0, 256)).toBe(HEX_OCTETS.join(""));
    expect(hexUpper(all, 0, 256)).toBe(HEX_OCTETS_UPPER.join(""));
    expect([HEX_OCTETS[0], HEX_OCTETS[0x0a], HEX_OCTETS[0xff]]).toEqual(["00", "0a", "ff"]);
    expect([HEX_OCTETS_UPPER[0x0a], HEX_OCTETS_UPPER[0xff]]).toEqual(["0A", "FF"]);
  });

  it("hex16 is a 16-bit value as four lower-case digits", () => {
    expect([hex16(0), hex16(0x0a0a), hex16(0x1301), hex16(0xffff)]).toEqual(["0000", "0a0a", "1301", "ffff"]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (v) => {
        expect(hex16(v)).toBe(v.toString(16).padStart(4, "0"));
      }),
    );
  });
});

describe("isHexOf", () => {
  it("is hex(bytes, start, end) === text, without making the string", () => {
    fc.assert(
      fc.property(
        sliced,
        fc.option(fc.string({ unit: fc.constantFrom(..."0123456789abcdefA") })),
        (s, other) => {
          const { bytes, start, end } = s;
          const same = hex(bytes, start, end);
          expect(isHexOf(same, bytes, start, end)).toBe(true);
          expect(isHexOf(same.toUpperCase(), bytes, start, end)).toBe(same === same.toUpperCase());
          const text = other ?? undefined;
          expect(isHexOf(text, bytes, start, end)).toBe(text === same);
        },
      ),
    );
  });

  it("is false for undefined and for a different length", () => {
    const bytes = Uint8Array.of(0xde, 0xad);
    expect(isHexOf(undefined, bytes, 0, 2)).toBe(false);
    expect(isHexOf("dead", bytes, 0, 2)).toBe(true);
    expect(isHexOf("de", bytes, 0, 2)).toBe(false);
    expect(isHexOf("", bytes, 1, 1)).toBe(true);
  });
});
