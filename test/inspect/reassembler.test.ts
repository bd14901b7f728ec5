// TCP reassembly on a real stream: the HTTP response of zeek/http__get.pcap (TCP stream 0,
// responder side, frames 6-9), cut the way the capture cut it and in other ways.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BLOCK_OVERHEAD_BYTES,
  ReassemblyBudget,
  type ReassemblySink,
  TcpReassembler,
  WEIRD_CONN_BUFFER_LIMIT,
  WEIRD_GLOBAL_BUFFER_LIMIT,
  WEIRD_REXMIT_INCONSISTENCY,
} from "../../sensor-ami/src/inspect/reassembler.js";
import { loadHex } from "./hex-fixture.js";

const STREAM = loadHex("http__get.stream0.resp.hex");
/** The capture's own segmentation: [relative seq, length] of frames 6, 7, 8, 9. */
const FRAMES: ReadonlyArray<readonly [number, number]> = [
  [1, 1448],
  [1449, 1448],
  [2897, 1448],
  [4345, 663],
];

type Event =
  | { kind: "data"; isOrig: boolean; bytes: Uint8Array }
  | { kind: "gap"; isOrig: boolean; length: number };

class RecordingSink implements ReassemblySink {
  events: Event[] = [];
  weirds: string[] = [];
  data(isOrig: boolean, bytes: Uint8Array): void {
    this.events.push({ kind: "data", isOrig, bytes: bytes.slice() });
  }
  gap(isOrig: boolean, length: number): void {
    this.events.push({ kind: "gap", isOrig, length });
  }
  weird(name: string): void {
    this.weirds.push(name);
  }
  /** The delivered stream with gaps as zero bytes (so offsets stay comparable). */
  stream(isOrig = false): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const e of this.events) {
      if (e.isOrig !== isOrig) continue;
      parts.push(e.kind === "data" ? e.bytes : new Uint8Array(e.length));
    }
    return Buffer.concat(parts);
  }
  gaps(): number[] {
    return this.events.flatMap((e) => (e.kind === "gap" ? [e.length] : []));
  }
}

/** Puts a segment's bytes at a non-zero offset of a larger packet buffer, as the engine does. */
function packet(seq: number, len: number, source: Uint8Array = STREAM): { buf: Uint8Array; off: number } {
  const buf = new Uint8Array(len + 66);
  buf.set(source.subarray(seq - 1, seq - 1 + len), 66);
  return { buf, off: 66 };
}

function setup(budget = new ReassemblyBudget()) {
  const sink = new RecordingSink();
  const r = new TcpReassembler(sink, budget);
  const send = (seq: number, len: number, source?: Uint8Array) => {
    const { buf, off } = packet(seq, len, source);
    r.resp.segment(buf, off, len, seq, 0);
  };
  return { sink, r, send, budget };
}

describe("TcpReassembler on the http__get.pcap response", () => {
  it("passes in-order segments through as views of the packet buffer, without copying", () => {
    // Prepare
    const sink = new RecordingSink();
    const seen: Uint8Array[] = [];
    const r = new TcpReassembler(
      { data: (_o, b) => seen.push(b), gap: sink.gap.bind(sink), weird: sink.weird.bind(sink) },
      new ReassemblyBudget(),
    );
    const buffers: Uint8Array[] = [];
    // Act
    for (const [seq, len] of FRAMES) {
      const { buf, off } = packet(seq, len);
      buffers.push(buf);
      r.resp.segment(buf, off, len, seq, 0);
    }
    // Assess
    expect(seen.map((b) => b.buffer)).toEqual(buffers.map((b) => b.buffer));
    expect(Buffer.concat(seen)).toEqual(Buffer.from(STREAM));
    expect(r.held).toBe(0);
    expect(sink.weirds).toEqual([]);
  });

  it("holds out-of-order segments and delivers them once the hole is filled", () => {
    // Prepare
    const { sink, r, send, budget } = setup();
    // Act: 7, 9, 8 arrive before 6
    send(...FRAMES[1]);
    send(...FRAMES[3]);
    send(...FRAMES[2]);
    const beforeFirst = sink.events.length;
    const heldBeforeFirst = budget.used;
    send(...FRAMES[0]);
    // Assess
    expect(beforeFirst).toBe(0);
    expect(heldBeforeFirst).toBe(1448 * 2 + 663 + 3 * BLOCK_OVERHEAD_BYTES);
    expect(sink.stream()).toEqual(Buffer.from(STREAM));
    expect(sink.gaps()).toEqual([]);
    expect(r.held).toBe(0);
    expect(budget.used).toBe(0);
  });

  it("drops retransmissions of delivered bytes and trims partial ones", () => {
    // Prepare
    const { sink, send } = setup();
    // Act: frame 6 twice, then a retransmission that re-covers half of frame 6 and all of frame 7
    send(...FRAMES[0]);
    send(...FRAMES[0]);
    send(725, 1448 + 724);
    send(...FRAMES[1]);
    send(...FRAMES[2]);
    send(...FRAMES[3]);
    // Assess
    expect(sink.stream()).toEqual(Buffer.from(STREAM));
    expect(sink.weirds).toEqual([]);
  });

  it("accepts overlaps that carry the same bytes without a weird", () => {
    // Prepare
    const { sink, send } = setup();
    // Act: hold [2000, 4000), then an in-order segment [1, 3000) overlapping it
    send(2000, 2000);
    send(1, 2999);
    send(4000, STREAM.length - 3999);
    // Assess
    expect(sink.stream()).toEqual(Buffer.from(STREAM));
    expect(sink.weirds).toEqual([]);
  });

  it("keeps the first copy of overlapping bytes that differ and reports rexmit_inconsistency", () => {
    // Prepare
    const { sink, send, budget } = setup();
    const altered = STREAM.slice();
    for (let i = 2000; i < 2100; i++) altered[i] ^= 0xff;
    // Act: the original frame 7 is held first; a different copy of the same range follows
    send(...FRAMES[1]);
    send(1449, 1448, altered);
    send(...FRAMES[0]);
    send(...FRAMES[2]);
    send(...FRAMES[3]);
    // Assess
    expect(sink.weirds).toEqual([WEIRD_REXMIT_INCONSISTENCY]);
    expect(budget.inconsistencies).toBe(1);
    expect(sink.stream()).toEqual(Buffer.from(STREAM));
  });

  it("turns a hole into a gap when the peer acknowledges past it", () => {
    // Prepare
    const { sink, r, send, budget } = setup();
    // Act: frame 7 is lost; the client's ACK of 2897 says it was sent
    send(...FRAMES[0]);
    send(...FRAMES[2]);
    r.resp.advanceTo(2897, 0);
    send(...FRAMES[3]);
    // Assess
    expect(sink.gaps()).toEqual([1448]);
    const expected = STREAM.slice();
    expected.fill(0, 1448, 2896);
    expect(sink.stream()).toEqual(Buffer.from(expected));
    expect(budget.used).toBe(0);
  });

  it("declares holes gaps when a connection holds more than its limit", () => {
    // Prepare: room for one held full-size segment, not two
    const budget = new ReassemblyBudget(1 << 20, 1448 + 800 + 2 * BLOCK_OVERHEAD_BYTES);
    const { sink, r, send } = setup(budget);
    // Act: frame 6 never arrives; 8 and 9 are held, 7 pushes the total over the limit
    send(...FRAMES[2]);
    send(...FRAMES[3]);
    send(...FRAMES[1]);
    // Assess
    expect(sink.weirds).toEqual([WEIRD_CONN_BUFFER_LIMIT]);
    expect(budget.connectionLimitHits).toBe(1);
    expect(sink.gaps()).toEqual([1448]);
    expect(r.held).toBeLessThanOrEqual(budget.connectionLimit);
    expect(sink.stream().subarray(1448)).toEqual(Buffer.from(STREAM.subarray(1448)));
  });

  it("never holds more than the global limit across connections", () => {
    // Prepare: two connections sharing a budget that fits about two held segments
    const budget = new ReassemblyBudget(2 * (1448 + BLOCK_OVERHEAD_BYTES) + 10, 1 << 20);
    const a = setup(budget);
    const b = setup(budget);
    // Act: connection A holds two segments; B then needs room for one
    a.send(...FRAMES[1]);
    a.send(...FRAMES[2]);
    b.send(...FRAMES[1]);
    b.send(...FRAMES[2]);
    // Assess
    expect(budget.used).toBeLessThanOrEqual(budget.globalLimit);
    expect(budget.globalLimitHits).toBeGreaterThan(0);
    expect(b.sink.weirds).toContain(WEIRD_GLOBAL_BUFFER_LIMIT);
    expect(b.sink.gaps()).toEqual([1448]);
    expect(b.sink.stream().subarray(1448, 4344)).toEqual(Buffer.from(STREAM.subarray(1448, 4344)));
    a.r.discard();
    b.r.discard();
    expect(budget.used).toBe(0);
  });

  it("delivers what is still held at the end, with gaps for the holes", () => {
    // Prepare
    const { sink, r, send, budget } = setup();
    send(...FRAMES[0]);
    send(...FRAMES[3]);
    // Act
    r.resp.flush(0);
    // Assess
    expect(sink.gaps()).toEqual([1448 * 2]);
    expect(sink.stream().subarray(4344)).toEqual(Buffer.from(STREAM.subarray(4344)));
    expect(budget.used).toBe(0);
  });

  it("keeps the directions apart and swaps them when the engine flips roles", () => {
    // Prepare
    const { sink, r } = setup();
    const req = Buffer.from("GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n");
    // Act
    r.orig.segment(req, 0, 10, 1, 0);
    r.swapDirections();
    r.resp.segment(req, 10, req.length - 10, 11, 0);
    // Assess
    expect(sink.events.map((e) => e.isOrig)).toEqual([true, false]);
    expect(Buffer.concat(sink.events.map((e) => (e.kind === "data" ? e.bytes : new Uint8Array())))).toEqual(
      req,
    );
  });

  it("stops delivering once discarded, even in the middle of a delivery", () => {
    // Prepare: the sink ends analysis on the first byte it sees
    const budget = new ReassemblyBudget();
    let calls = 0;
    const r: TcpReassembler = new TcpReassembler(
      {
        data: () => {
          calls++;
          r.discard();
        },
        gap: () => {},
        weird: () => {},
      },
      budget,
    );
    const hold = packet(...FRAMES[1]);
    r.resp.segment(hold.buf, hold.off, 1448, 1449, 0);
    // Act
    const first = packet(...FRAMES[0]);
    r.resp.segment(first.buf, first.off, 1448, 1, 0);
    const later = packet(...FRAMES[3]);
    r.resp.segment(later.buf, later.off, 663, 4345, 0);
    // Assess
    expect(calls).toBe(1);
    expect(budget.used).toBe(0);
  });

  it("reassembles any cut of the stream, in any order, with duplicates", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 24 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8 }),
        (cuts, order, dups) => {
          // Prepare
          const points = [...new Set([0, ...cuts, STREAM.length])].sort((x, y) => x - y);
          const segs: [number, number][] = [];
          for (let i = 0; i + 1 < points.length; i++) segs.push([points[i] + 1, points[i + 1] - points[i]]);
          const shuffled = segs.slice();
          for (let i = 0; i < order.length && shuffled.length > 1; i++) {
            const j = order[i] % shuffled.length;
            const k = i % shuffled.length;
            [shuffled[j], shuffled[k]] = [shuffled[k], shuffled[j]];
          }
          for (const d of dups) if (segs.length > 0) shuffled.push(segs[d % segs.length]);
          const { sink, r, send, budget } = setup();
          // Act
          for (const [seq, len] of shuffled) send(seq, len);
          r.resp.flush(0);
          // Assess
          expect(sink.gaps()).toEqual([]);
          // Buffer.equals: toEqual walks 5 kB element by element, too slow for 200 runs.
          expect(Buffer.from(sink.stream()).equals(STREAM)).toBe(true);
          expect(sink.weirds).toEqual([]);
          expect(budget.used).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
