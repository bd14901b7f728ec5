import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAddr, formatIPv4, formatIPv6 } from "../../sensor-ami/src/text/ip.js";

/** The WHATWG URL parser's IPv6 serializer compresses zero runs as RFC 5952 does (never dotted). */
function whatwgIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const groups = [w0, w1, w2, w3].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]);
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/**
 * Zeek's IPAddr::AsString, written out as src/3rdparty/zeek_inet_ntop.c reads (arrays and all): an
 * IPv4-mapped address is dotted; otherwise the first longest run of >= 2 zero words is "::", and
 * after a leading run of 6 (IPv4-compatible), 5 before ffff (mapped) or 4 before ffff:0
 * (IPv4-translated) the last 4 bytes are dotted.
 */
function zeekAddrText(bytes: Uint8Array): string {
  const dotted = (at: number) => Array.from(bytes.subarray(at, at + 4)).join(".");
  if (bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff))) return dotted(12);
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) text += ":";
      continue;
    }
    if (i !== 0) text += ":";
    if (
      i === 6 &&
      best.base === 0 &&
      (best.len === 6 ||
        (best.len === 7 && words[7] !== 1) ||
        (best.len === 5 && words[5] === 0xffff) ||
        (best.len === 4 && words[4] === 0xffff && words[5] === 0))
    ) {
      text += dotted(12);
      break;
    }
    text += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) text += ":";
  return text;
}

const bytesOf = (hexDump: string): Uint8Array =>
  Uint8Array.from(Buffer.from(hexDump.replace(/\s/g, ""), "hex"));

function wordsOf(bytes: Uint8Array, at = 0): [number, number, number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 16);
  return [view.getInt32(0), view.getInt32(4), view.getInt32(8), view.getInt32(12)];
}

/** 16 bytes whose 16-bit groups are mostly 0, ffff or small: zero runs, ties and the IPv4 forms are common. */
const addressBytes = fc
  .array(
    fc.oneof(
      fc.constant(0),
      fc.constant(0),
      fc.constant(0xffff),
      fc.constant(1),
      fc.integer({ min: 0, max: 0xffff }),
    ),
    {
      minLength: 8,
      maxLength: 8,
    },
  )
  .map((groups) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff])));

/** Addresses the IPv4 forms do not apply to: mapped, compatible and translated ones print dotted. */
function embedsIPv4(w0: number, w1: number, w2: number, w3: number): boolean {
  if (w0 !== 0 || w1 !== 0) return false;
  return w2 === 0xffff || (w2 === 0 && w3 >>> 16 !== 0) || w2 >>> 0 === 0xffff0000;
}

describe("formatAddr (address words)", () => {
  it("prints IPv6 addresses as RFC 5952 (and the WHATWG URL serializer) does", () => {
    // Words biased towards zero so that runs of zero groups, and ties between them, are common.
    const word = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.constant(1 << 16), fc.integer());
    fc.assert(
      fc.property(word, word, word, word, (w0, w1, w2, w3) => {
        fc.pre(!embedsIPv4(w0 | 0, w1 | 0, w2 | 0, w3 | 0));
        expect(formatAddr(w0 | 0, w1 | 0, w2 | 0, w3 | 0)).toBe(whatwgIpv6(w0, w1, w2, w3));
      }),
      { numRuns: 5000 },
    );
  });

  it("takes the words signed or unsigned", () => {
    fc.assert(
      fc.property(addressBytes, (bytes) => {
        const [w0, w1, w2, w3] = wordsOf(bytes);
        expect(formatAddr(w0 >>> 0, w1 >>> 0, w2 >>> 0, w3 >>> 0)).toBe(formatAddr(w0, w1, w2, w3));
      }),
    );
  });

  it("prints the edge cases", () => {
    expect(formatAddr(0, 0, 0, 0)).toBe("::");
    expect(formatAddr(0, 0, 0, 1)).toBe("::1");
    expect(formatAddr(0x20010db8 | 0, 0, 0, 1)).toBe("2001:db8::1");
    expect(formatAddr(0x20010db8 | 0, 0x10000, 0, 1)).toBe("2001:db8:1::1");
    expect(formatAddr(0x20010000 | 0, 1, 0, 0)).toBe("2001:0:0:1::");
    expect(formatAddr(0, 0, 0xffff, 0x0a000001)).toBe("10.0.0.1");
    expect(formatAddr(0, 0, 0xffff, 0xffffffff | 0)).toBe("255.255.255.255");
    expect(formatAddr(0, 0, 0, 0x0a000001)).toBe("::10.0.0.1");
    expect(formatAddr(0, 0, 0xffff0000 | 0, 0x0a000001)).toBe("::ffff:0:10.0.0.1");
  });
});

describe("formatIPv6 (16 address bytes)", () => {
  it.each([
    // Plain compression: the longest run, the first one on ties, never a single zero group.
    ["20010db8 00000000 00000000 00000001", "2001:db8::1"],
    ["20010db8 00000000 00010000 00000001", "2001:db8::1:0:0:1"], // 2-2 tie: first
    ["20010000 00000001 00000000 00010001", "2001::1:0:0:1:1"], // 2-2 tie: first
    ["20010000 00000001 00000000 00000001", "2001:0:0:1::1"], // 2 then 3: the longer
    ["00010000 00010000 00010000 00010000", "1:0:1:0:1:0:1:0"], // single zeros stay
    ["20010db8 00000001 00010001 00010001", "2001:db8:0:1:1:1:1:1"],
    ["20010db8 00000000 00010000 00000000", "2001:db8:0:0:1::"], // 2 then 3: the longer
    ["fe800000 00000000 021ec2ff fe9f1a2b", "fe80::21e:c2ff:fe9f:1a2b"],
    ["ff020000 00000000 00000000 000000fb", "ff02::fb"], // mDNS group
    ["2a0004e0 00000000 00000000 00000a01", "2a00:4e0::a01"],
    ["00000000 00000000 00000000 00000000", "::"],
    ["00000000 00000000 00000000 00000001", "::1"],
    ["00010000 00000000 00000000 00000000", "1::"], // trailing run
    ["00000000 00000000 00000001 00000000", "::1:0:0"],
    ["ffffffff ffffffff ffffffff ffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ["0abc0def 01230456 00780009 00000000", "abc:def:123:456:78:9::"],
    // IPv4-mapped: Zeek's addr is IPv4, a dotted quad (glibc would print ::ffff:192.0.2.1).
    ["00000000 00000000 0000ffff c0000201", "192.0.2.1"],
    ["00000000 00000000 0000ffff 00000000", "0.0.0.0"],
    // IPv4-compatible (::/96 with group 6 not zero): embedded dotted quad, as glibc and Zeek.
    ["00000000 00000000 00000000 c0000201", "::192.0.2.1"],
    ["00000000 00000000 00000000 00010000", "::0.1.0.0"],
    ["00000000 00000000 00000000 00010001", "::0.1.0.1"],
    // IPv4-translated (::ffff:0:0/96): zeek_inet_ntop6 embeds the quad, glibc prints ::ffff:0:c000:201.
    ["00000000 00000000 ffff0000 c0000201", "::ffff:0:192.0.2.1"],
    ["00000000 00000000 ffff0000 00000000", "::ffff:0:0.0.0.0"],
    // Near misses that stay hex.
    ["00000000 00000000 00000000 0000ffff", "::ffff"], // run of 7
    ["00000000 00000001 0000ffff c0000201", "::1:0:ffff:c000:201"],
    ["00000000 00000000 0001ffff c0000201", "::1:ffff:c000:201"],
    ["00000000 00000000 fffe0000 c0000201", "::fffe:0:c000:201"],
    ["00010000 00000000 00000000 c0000201", "1::c000:201"],
  ])("%s → %s", (dump, text) => {
    const bytes = bytesOf(dump);
    expect(formatIPv6(bytes, 0)).toBe(text);
    expect(zeekAddrText(bytes)).toBe(text);
  });

  it("reads the address at an offset inside a larger message", () => {
    const message = bytesOf("dead 20010db8000000000000000000000001 beef");
    expect(formatIPv6(message, 2)).toBe("2001:db8::1");
  });

  it("is Zeek's IPAddr::AsString (zeek_inet_ntop6) on any address", () => {
    fc.assert(
      fc.property(addressBytes, (bytes) => {
        expect(formatIPv6(bytes, 0)).toBe(zeekAddrText(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with formatAddr on the same address", () => {
    fc.assert(
      fc.property(addressBytes, (bytes) => {
        const [w0, w1, w2, w3] = wordsOf(bytes);
        expect(formatIPv6(bytes, 0)).toBe(formatAddr(w0, w1, w2, w3));
      }),
      { numRuns: 5000 },
    );
  });
});

describe("formatIPv4", () => {
  it.each([
    ["00000000", "0.0.0.0"],
    ["c0a80001", "192.168.0.1"],
    ["ffffffff", "255.255.255.255"],
    ["0a000a64", "10.0.10.100"],
  ])("%s → %s", (dump, text) => {
    expect(formatIPv4(bytesOf(dump), 0)).toBe(text);
    expect(formatAddr(0, 0, 0xffff, Number.parseInt(dump, 16) | 0)).toBe(text);
  });

  it("reads the address at an offset", () => {
    expect(formatIPv4(bytesOf("ff 7f000001"), 1)).toBe("127.0.0.1");
  });
});
