import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createRing,
  RECORD_HEADER,
  RingReader,
  RingRecord,
  RingWriter,
} from "../../sensor-ami/src/daemon/ring.js";

const addrs = Uint32Array.from([0x0100000a, 0, 0, 0]);

function datagram(n: number, len: number): Uint8Array {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (n * 31 + i) & 0xff;
  return d;
}

describe("ring", () => {
  it("carries each datagram and its metadata to the reader, in order", () => {
    // Prepare
    const shared = createRing(4096);
    const w = new RingWriter(shared);
    const r = new RingReader(shared);
    const rec = new RingRecord();

    // Act
    w.push(datagram(1, 100), 0, 100, 120, 1.5, addrs, 0, 4, 4321, 22, 1);
    w.push(datagram(2, 7), 0, 7, 7, 2.5, addrs, 0, 4, 1, 0, 0);
    const beforeCommit = r.next(rec);
    w.commit();

    // Assess
    expect(beforeCommit).toBe(false);
    expect(r.next(rec)).toBe(true);
    expect([
      rec.length,
      rec.wireLength,
      rec.ts,
      rec.addr[0],
      rec.family,
      rec.port,
      rec.ipOffset,
      rec.flags,
    ]).toEqual([100, 120, 1.5, 0x0100000a, 4, 4321, 22, 1]);
    expect(r.bytes.subarray(rec.offset, rec.offset + rec.length)).toEqual(datagram(1, 100));
    expect(r.next(rec)).toBe(true);
    expect(r.bytes.subarray(rec.offset, rec.offset + rec.length)).toEqual(datagram(2, 7));
    expect(r.next(rec)).toBe(false);
  });

  it("refuses and counts when full, and never overwrites what the reader has not released", () => {
    const shared = createRing(1024);
    const w = new RingWriter(shared);
    const r = new RingReader(shared);
    let accepted = 0;
    for (let i = 0; i < 20; i++)
      if (w.push(datagram(i, 200), 0, 200, 200, i, addrs, 0, 4, 1, 0, 0)) accepted++;
    w.commit();
    expect(accepted).toBe(Math.floor(1023 / (RECORD_HEADER + 200)));
    expect(w.drops).toBe(20 - accepted);
    const rec = new RingRecord();
    for (let i = 0; i < accepted; i++) {
      expect(r.next(rec)).toBe(true);
      expect(r.bytes.subarray(rec.offset, rec.offset + rec.length)).toEqual(datagram(i, 200));
    }
    expect(r.next(rec)).toBe(false);
  });

  it("delivers every accepted datagram intact across wraps, whatever the sizes and read pace", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1500, max: 5000 }),
        (steps, cap) => {
          const shared = createRing(cap);
          const w = new RingWriter(shared);
          const r = new RingReader(shared);
          const rec = new RingRecord();
          const expected: number[] = [];
          const got: number[] = [];
          let n = 0;
          const drain = () => {
            while (r.next(rec)) {
              const id = rec.port;
              expect(rec.length).toBe(expected[got.length] >>> 16);
              expect(r.bytes.subarray(rec.offset, rec.offset + rec.length)).toEqual(datagram(id, rec.length));
              got.push(id);
            }
            r.release();
          };
          for (const [len, read] of steps) {
            n = (n + 1) & 0xffff;
            if (w.push(datagram(n, len), 0, len, len, n, addrs, 0, 4, n, 0, 0))
              expected.push((len << 16) | n);
            w.commit();
            if (read) drain();
          }
          drain();
          expect(got).toEqual(expected.map((e) => e & 0xffff));
          expect(w.drops).toBe(steps.length - expected.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells the reader to stop only after what was committed", () => {
    const shared = createRing(1024);
    const w = new RingWriter(shared);
    const r = new RingReader(shared);
    w.push(datagram(1, 10), 0, 10, 10, 0, addrs, 0, 4, 1, 0, 0);
    w.stop();
    expect(r.stopRequested).toBe(true);
    expect(r.empty()).toBe(false);
    expect(r.next(new RingRecord())).toBe(true);
    expect(r.empty()).toBe(true);
  });
});
