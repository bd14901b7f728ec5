// Flood traffic for the resource benchmarks, generated in place: one Ethernet/IPv4 frame in one
// buffer, rewritten for every packet (new source address, port or IP id), so the generator itself
// allocates nothing and the figures are the engine's alone. Frames are what a hostile peer sends:
// - syn: TCP SYNs from distinct (source address, source port) pairs to one server, each a new
//   connection that is never answered;
// - fragment: first fragments (offset 0, more-fragments set) of UDP datagrams with distinct
//   (source, IP id), none of which is ever completed.

import { Frame } from "../src/engine/frame.js";

export type FloodKind = "syn" | "fragment";

const ETH = 14;
const IP = 20;
/** Payload of each fragment: a UDP header and 24 bytes, a multiple of 8 as fragments must be. */
const FRAGMENT_PAYLOAD = 32;
const LINKTYPE_ETHERNET = 1;

/** Generates `count` flood frames, one at a time, into one reused Frame. */
export class FloodSource {
  readonly frame = new Frame();
  private readonly buf: Buffer;
  private n = 0;

  constructor(
    readonly kind: FloodKind,
    readonly count: number,
    /** Seconds between packets (1 µs: a million packets in one second of capture time). */
    private readonly spacing = 1e-6,
    private readonly startTs = 1_700_000_000,
  ) {
    const l4 = kind === "syn" ? 20 : FRAGMENT_PAYLOAD;
    const b = Buffer.alloc(ETH + IP + l4);
    b.writeUInt16BE(0x0800, 12);
    b[ETH] = 0x45;
    b.writeUInt16BE(IP + l4, ETH + 2);
    b[ETH + 8] = 64;
    b[ETH + 9] = kind === "syn" ? 6 : 17;
    b.writeUInt32BE(0xc0000201, ETH + 16); // 192.0.2.1
    if (kind === "syn") {
      b.writeUInt16BE(80, ETH + IP + 2);
      b[ETH + IP + 12] = 5 << 4;
      b[ETH + IP + 13] = 0x02; // SYN
      b.writeUInt16BE(64240, ETH + IP + 14);
    } else {
      b.writeUInt16BE(0x2000, ETH + 6); // MF, offset 0
      b.writeUInt16BE(53, ETH + IP + 2);
      b.writeUInt16BE(1000, ETH + IP + 4); // claims more than this fragment carries
    }
    this.buf = b;
    const f = this.frame;
    f.data = b;
    f.caplen = b.length;
    f.origlen = b.length;
    f.linkType = LINKTYPE_ETHERNET;
  }

  /** Fills `frame` with the next flood packet; false when `count` were generated. */
  next(): boolean {
    if (this.n >= this.count) return false;
    const i = this.n++;
    const b = this.buf;
    // Sources: the 16 M addresses of 10.0.0.0/8 first, then the next source port for each.
    b.writeUInt32BE((0x0a000000 | (i & 0xffffff)) >>> 0, ETH + 12);
    if (this.kind === "syn") {
      b.writeUInt16BE(1024 + ((i >>> 24) & 0xffff), ETH + IP);
      b.writeUInt32BE((i * 2654435761) >>> 0, ETH + IP + 4); // ISN
    } else {
      b.writeUInt16BE(i & 0xffff, ETH + 4);
    }
    const f = this.frame;
    f.ts = this.startTs + i * this.spacing;
    f.index = i + 1;
    return true;
  }
}
