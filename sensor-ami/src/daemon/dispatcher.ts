// The receiving thread's work per datagram: check it is VXLAN as AWS sends it, find the inner IP
// header, note a mirror packet the session's PacketLength cut short, and copy it into the ring of
// the engine that owns the inner flow (inner-flow.ts). Everything refused is counted.

import type { ReceiveBatch } from "../capture/udp/types.js";
import { engineFor, InnerFlow, locateInnerIp } from "./inner-flow.js";
import { FLAG_TRUNCATED, type RingWriter } from "./ring.js";

export interface DispatchCounts {
  datagrams: number;
  bytes: number;
  /** Not VXLAN (no I flag or shorter than its header): counted, never analysed. */
  notVxlan: number;
  /** The inner packet is longer than what arrived: the session's PacketLength (or the slot) cut it. */
  truncated: number;
  /** Refused because the owning engine's ring was full. */
  queueDrops: number;
  /** Per engine: datagrams handed to it. */
  perEngine: number[];
}

export class Dispatcher {
  readonly counts: DispatchCounts;
  private readonly flow = new InnerFlow();

  constructor(private readonly rings: RingWriter[]) {
    this.counts = {
      datagrams: 0,
      bytes: 0,
      notVxlan: 0,
      truncated: 0,
      queueDrops: 0,
      perEngine: rings.map(() => 0),
    };
  }

  /** Dispatches every datagram of a batch, then publishes the rings it wrote to. */
  dispatch(batch: ReceiveBatch): void {
    const c = this.counts;
    const flow = this.flow;
    const rings = this.rings;
    const workers = rings.length;
    const data = batch.data;
    for (let i = 0; i < batch.count; i++) {
      const start = batch.offsets[i];
      const length = batch.lengths[i];
      let wire = batch.wireLengths[i];
      c.datagrams++;
      c.bytes += wire;
      locateInnerIp(data, start, start + length, flow);
      if (!flow.vxlan) {
        c.notVxlan++;
        continue;
      }
      let flags = wire > length ? FLAG_TRUNCATED : 0;
      const ip = flow.ipOffset;
      if (ip !== 0) {
        // The inner packet's own length says how long the mirrored frame was on the wire.
        const at = start + ip;
        const inner =
          data[at] >> 4 === 4
            ? (data[at + 2] << 8) | data[at + 3]
            : 40 + ((data[at + 4] << 8) | data[at + 5]);
        if (ip + inner > length) {
          flags = FLAG_TRUNCATED;
          if (ip + inner > wire) wire = ip + inner;
        }
      }
      if (flags !== 0) c.truncated++;
      const k = engineFor(flow.hash, workers);
      if (
        rings[k].push(
          data,
          start,
          length,
          wire,
          batch.timestamps[i],
          batch.srcAddrs,
          i * 4,
          batch.srcFamilies[i],
          batch.srcPorts[i],
          ip,
          flags,
        )
      ) {
        c.perEngine[k]++;
      } else {
        c.queueDrops++;
      }
    }
    for (let k = 0; k < workers; k++) rings[k].commit();
  }
}
