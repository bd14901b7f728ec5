import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAddr } from "../../sensor-ami/src/engine/addr.js";

/** The WHATWG URL parser's IPv6 serializer compresses zero runs as RFC 5952 does. */
function whatwgIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const groups = [w0, w1, w2, w3].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]);
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

describe("formatAddr", () => {
  it("prints IPv6 addresses as RFC 5952 (and the WHATWG URL serializer) does", () => {
    // Words biased towards zero so that runs of zero groups, and ties between them, are common.
    const word = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.constant(1 << 16), fc.integer());
    fc.assert(
      fc.property(word, word, word, word, (w0, w1, w2, w3) => {
        fc.pre(!(w0 === 0 && w1 === 0 && w2 === 0xffff)); // IPv4-mapped prints as dotted quad
        expect(formatAddr(w0 | 0, w1 | 0, w2 | 0, w3 | 0)).toBe(whatwgIpv6(w0, w1, w2, w3));
      }),
      { numRuns: 5000 },
    );
  });

  it("prints the edge cases", () => {
    expect(formatAddr(0, 0, 0, 0)).toBe("::");
    expect(formatAddr(0, 0, 0, 1)).toBe("::1");
    expect(formatAddr(0x20010db8 | 0, 0, 0, 1)).toBe("2001:db8::1");
    expect(formatAddr(0x20010db8 | 0, 0x10000, 0, 1)).toBe("2001:db8:1::1");
    expect(formatAddr(0x20010000 | 0, 1, 0, 0)).toBe("2001:0:0:1::");
    expect(formatAddr(0, 0, 0xffff, 0x0a000001)).toBe("10.0.0.1");
  });
});
