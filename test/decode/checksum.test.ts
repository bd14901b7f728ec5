import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checksumVerifies, onesSum } from "../../sensor-ami/src/decode/checksum.js";

/** RFC 1071 as written: big-endian 16-bit words, end-around carry after every addition. */
function referenceSum(b: Uint8Array, from: number, to: number, sum: number): number {
  let s = sum;
  for (let i = from; i < to; i += 2) {
    s += (b[i] << 8) | (i + 1 < to ? b[i + 1] : 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}

describe("onesSum (word-at-a-time Internet checksum)", () => {
  it("agrees with RFC 1071's byte loop for every length, alignment and starting sum", () => {
    fc.assert(
      fc.property(
        // Many 0x00 and 0xff bytes: sums that are exact multiples of 0xffff are the edge case.
        fc
          .array(fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 255 })), {
            maxLength: 3000,
          })
          .map((a) => Uint8Array.from(a)),
        fc.nat(7),
        fc.nat(7),
        fc.nat(0xffff),
        (bytes, lead, shift, start) => {
          // Prepare: the bytes at an arbitrary offset inside a larger buffer (any alignment).
          const backing = new Uint8Array(bytes.length + lead + 8);
          backing.set(bytes, lead);
          const view = backing.subarray(shift > lead ? 0 : shift, backing.length);
          const from = lead - (shift > lead ? 0 : shift);
          // Act
          const got = onesSum(view, from, from + bytes.length, start);
          // Assess: the same folded sum, hence the same "all ones" verdict.
          const want = referenceSum(view, from, from + bytes.length, start);
          expect(got).toBe(want);
          expect(checksumVerifies(got)).toBe(want === 0xffff);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("verifies a real ICMP echo whose words add up to an exact multiple of 0xffff", () => {
    // Prepare: bench.pcap frame 17799, the 64-byte ICMP echo request (checksum 0x92af, valid per
    // tshark), placed 4-aligned so that the whole message is read as 32-bit words.
    const icmp = Buffer.from(
      "080092af000100016b5f3a6100000000f5ba0b0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
      "hex",
    );
    const aligned = new Uint8Array(new ArrayBuffer(128), 0, 128);
    aligned.set(icmp, 32);
    // Act
    const sum = onesSum(aligned, 32, 32 + icmp.length, 0);
    // Assess
    expect(sum).toBe(0xffff);
    expect(checksumVerifies(sum)).toBe(true);
  });

  it("verifies a segment and rejects it with one bit flipped", () => {
    // Prepare: a 100-byte buffer whose last two bytes make the whole sum 0xffff.
    const b = new Uint8Array(101);
    for (let i = 0; i < 99; i++) b[i + 1] = (i * 37 + 11) & 0xff;
    const partial = referenceSum(b, 1, 99, 0);
    const fix = 0xffff - partial;
    b[99] = fix >> 8;
    b[100] = fix & 0xff;
    // Act / Assess
    expect(checksumVerifies(onesSum(b, 1, 101, 0))).toBe(true);
    b[50] ^= 0x10;
    expect(checksumVerifies(onesSum(b, 1, 101, 0))).toBe(false);
  });

  it("does not call an all-zero segment verified (a zero sum is not all ones)", () => {
    expect(checksumVerifies(onesSum(new Uint8Array(128), 0, 128, 0))).toBe(false);
  });
});
