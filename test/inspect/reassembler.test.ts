// TCP reassembly on a real stream: the HTTP response of zeek/http__get.pcap (TCP stream 0,
// responder side, frames 6-9), cut the way the capture cut it and in other ways.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BLOCK_OVERHEAD_BYTES,
  RETAINED_BYTES_PER_DIRECTION,
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
    expect(budget.used - budget.retained).toBe(0); // held bytes back; the retention rings stay until discard
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
    expect(budget.used - budget.retained).toBe(0); // held bytes back; the retention rings stay until discard
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
    expect(budget.used - budget.retained).toBe(0); // held bytes back; the retention rings stay until discard
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
    expect(budget.used - budget.retained).toBe(0); // held bytes back; the retention rings stay until discard
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
          expect(budget.used - budget.retained).toBe(0); // held bytes back; the retention rings stay until discard
          r.discard();
          expect(budget.used).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("retransmissions of delivered bytes (issue #10, A7)", () => {
  /** The real stream delivered in the capture's segmentation, in order. */
  function delivered(budget = new ReassemblyBudget()) {
    const s = setup(budget);
    for (const f of FRAMES) s.send(...f);
    return s;
  }
  /** STREAM with the byte at relative seq `seq` changed. */
  function altered(seq: number): Uint8Array {
    const copy = Uint8Array.from(STREAM);
    copy[seq - 1] ^= 0x20;
    return copy;
  }

  it("an identical retransmission of delivered bytes raises nothing and delivers nothing again", () => {
    // Prepare
    const { sink, send } = delivered();
    const before = sink.events.length;
    // Act: the last two frames again, as sent.
    send(...FRAMES[2]);
    send(...FRAMES[3]);
    // Assess
    expect(sink.weirds).toEqual([]);
    expect(sink.events.length).toBe(before);
  });

  it("a TCP keep-alive probe (one garbage byte just below the stream position) is not a rewrite", () => {
    // Prepare: the whole stream delivered; a Windows keep-alive repeats the last byte as 0x00
    // (pcapplusplus/many-protocols.pcap, 10.0.0.1:55195 → 212.199.219.232:80, packet 1415).
    const { sink, r } = delivered();
    const probe = new Uint8Array(67);
    // Act
    r.resp.segment(probe, 66, 1, STREAM.length, 0);
    // Assess
    expect(STREAM[STREAM.length - 1]).not.toBe(0);
    expect(sink.weirds).toEqual([]);
  });

  it("a retransmission that rewrites delivered bytes raises rexmit_inconsistency; the first version stays", () => {
    // Prepare
    const { sink, send, budget } = delivered();
    // Act: frame 9's bytes again with one byte of the body changed (an evasion attempt).
    send(FRAMES[3][0], FRAMES[3][1], altered(4500));
    // Assess
    expect(sink.weirds).toEqual([WEIRD_REXMIT_INCONSISTENCY]);
    expect(budget.inconsistencies).toBe(1);
    expect(Buffer.from(sink.stream()).equals(STREAM)).toBe(true);
  });

  it("compares the delivered part of a segment that also carries new bytes", () => {
    // Prepare: the first three frames delivered.
    const { sink, send } = setup();
    for (const f of FRAMES.slice(0, 3)) send(...f);
    // Act: one segment from inside frame 8 to the end, its delivered part changed.
    send(4000, STREAM.length - 3999, altered(4100));
    // Assess
    expect(sink.weirds).toEqual([WEIRD_REXMIT_INCONSISTENCY]);
    expect(
      Buffer.from(sink.stream()).equals(
        Buffer.concat([STREAM.subarray(0, 4344), altered(4100).subarray(4344)]),
      ),
    ).toBe(true);
  });

  it(`compares within the last ${RETAINED_BYTES_PER_DIRECTION} delivered bytes only (the stated bound)`, () => {
    // Prepare: 5007 bytes delivered; the ring holds seq 912..5007.
    const { sink, send } = delivered();
    // Act: frame 6 again, changed at seq 100 (older than the ring) …
    send(FRAMES[0][0], FRAMES[0][1], altered(100));
    const beyondWindow = [...sink.weirds];
    // … and changed at seq 1000 (inside it).
    send(FRAMES[0][0], FRAMES[0][1], altered(1000));
    // Assess
    expect(beyondWindow).toEqual([]);
    expect(sink.weirds).toEqual([WEIRD_REXMIT_INCONSISTENCY]);
  });

  it("after a gap, only bytes delivered since the gap are compared", () => {
    // Prepare: frame 6, then the peer acknowledges past frame 7 (lost), then frame 8.
    const { sink, r, send } = setup();
    send(...FRAMES[0]);
    r.resp.advanceTo(FRAMES[1][0] + FRAMES[1][1], 0);
    send(...FRAMES[2]);
    // Act: "frame 7" finally arrives, different from the zeros nothing was compared against.
    send(FRAMES[1][0], FRAMES[1][1], new Uint8Array(STREAM.length));
    // Assess: the hole's bytes were never delivered: nothing to compare them with.
    expect(sink.gaps()).toEqual([1448]);
    expect(sink.weirds).toEqual([]);
  });

  it("rings are charged to the global budget, capped, and given back on discard", () => {
    // Prepare: room for exactly one ring.
    const budget = new ReassemblyBudget(64 * 1024 * 1024, 256 * 1024, RETAINED_BYTES_PER_DIRECTION);
    const a = delivered(budget);
    const b = delivered(budget);
    // Act: b has no ring, so its rewritten retransmission goes unnoticed (and is counted).
    b.send(FRAMES[3][0], FRAMES[3][1], altered(4500));
    a.send(FRAMES[3][0], FRAMES[3][1], altered(4500));
    // Assess
    expect(budget.retained).toBe(RETAINED_BYTES_PER_DIRECTION);
    expect(budget.used).toBe(RETAINED_BYTES_PER_DIRECTION);
    expect(budget.retentionDenied).toBe(1);
    expect(b.sink.weirds).toEqual([]);
    expect(a.sink.weirds).toEqual([WEIRD_REXMIT_INCONSISTENCY]);
    a.r.discard();
    b.r.discard();
    expect(budget.used).toBe(0);
    expect(budget.retained).toBe(0);
  });
});
