import { describe, expect, it } from "vitest";
import { createReceiveBatch } from "../../sensor-ami/src/capture/udp/batch.js";
import { Dispatcher } from "../../sensor-ami/src/daemon/dispatcher.js";
import {
  createRing,
  FLAG_TRUNCATED,
  RingReader,
  RingRecord,
  RingWriter,
} from "../../sensor-ami/src/daemon/ring.js";

/** A VXLAN datagram holding an IPv4/UDP packet whose header says `ipTotal` bytes, cut to `present`. */
function datagram(ipTotal: number, present: number, flags = 0x08): Buffer {
  const d = Buffer.alloc(8 + 14 + present);
  d[0] = flags;
  d[6] = 9;
  d.writeUInt16BE(0x0800, 8 + 12);
  d.set([0x45, 0, ipTotal >> 8, ipTotal & 0xff, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 22);
  return d;
}

function dispatchAll(datagrams: Buffer[], workers: number) {
  const shared = Array.from({ length: workers }, () => createRing(1 << 16));
  const d = new Dispatcher(shared.map((s) => new RingWriter(s)));
  const batch = createReceiveBatch();
  datagrams.forEach((g, i) => {
    g.copy(batch.data, batch.offsets[i]);
    batch.lengths[i] = g.length;
    batch.wireLengths[i] = g.length;
    batch.timestamps[i] = 1 + i;
    batch.srcFamilies[i] = 4;
  });
  batch.count = datagrams.length;
  d.dispatch(batch);
  return { counts: d.counts, readers: shared.map((s) => new RingReader(s)) };
}

describe("Dispatcher", () => {
  it("counts a mirror packet cut by the session's PacketLength as truncated, with its wire length", () => {
    // Prepare: the inner IP packet says 1500 bytes, 100 arrived.
    const cut = datagram(1500, 100);
    const whole = datagram(28, 28);

    // Act
    const { counts, readers } = dispatchAll([cut, whole], 1);

    // Assess
    expect(counts).toMatchObject({ datagrams: 2, truncated: 1, notVxlan: 0, queueDrops: 0 });
    const rec = new RingRecord();
    expect(readers[0].next(rec)).toBe(true);
    expect([rec.length, rec.wireLength, rec.flags & FLAG_TRUNCATED, rec.ipOffset]).toEqual([
      cut.length,
      22 + 1500,
      FLAG_TRUNCATED,
      22,
    ]);
    expect(readers[0].next(rec)).toBe(true);
    expect([rec.wireLength, rec.flags]).toEqual([whole.length, 0]);
  });

  it("counts what is not VXLAN and never queues it", () => {
    const { counts, readers } = dispatchAll([datagram(28, 28, 0x00), Buffer.from([8, 0, 0])], 2);
    expect(counts.notVxlan).toBe(2);
    expect(readers.every((r) => r.empty())).toBe(true);
  });
});
