// Suppresses the second mirrored copy of a packet. When both ends of a conversation are mirrored,
// each packet arrives twice: once from the sender's mirror session and once from the receiver's,
// with different outer sources (and, across VPCs, different VNIs), a fraction of a millisecond
// apart. As Arkime does, a packet is identified by its inner IP header without the fields that
// change in transit (TTL/hop limit, IPv4 header checksum) and the start of what follows (the
// transport header: ports, sequence and acknowledgement numbers, TCP checksum and options).
//
// What makes a copy a copy here is that it came from ANOTHER mirror origin within the window: a
// packet seen again from the SAME origin is a genuine retransmission (or a duplicate on the wire,
// which Zeek would see too) and is always kept, however soon it arrives. So the window only bounds
// how far apart two sessions' copies may be; a retransmission after it is never touched.

/** Default window: the two copies of a packet arrive well within it on one VPC. */
export const DEFAULT_DEDUP_WINDOW_SECONDS = 0.05;
/** Bytes after the IP header included in the identity (transport header and options, some payload). */
const TRANSPORT_BYTES = 48;
/** Slots of the direct-mapped table: 2^18 (about 5 MB), far more than a window's packets at line rate. */
const TABLE_BITS = 18;

const M1 = 0x5bd1e995;
const M2 = 0x9e3779b1;

/** murmur3's finalizer: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class DuplicateFilter {
  /** Copies suppressed. */
  duplicates = 0;
  private readonly mask = (1 << TABLE_BITS) - 1;
  private readonly keys = new Uint32Array(1 << TABLE_BITS);
  private readonly checks = new Uint32Array(1 << TABLE_BITS);
  private readonly origins = new Uint32Array(1 << TABLE_BITS);
  private readonly times = new Float64Array(1 << TABLE_BITS).fill(Number.NEGATIVE_INFINITY);

  constructor(private readonly windowSeconds = DEFAULT_DEDUP_WINDOW_SECONDS) {}

  /**
   * Whether the IP packet at b[ip, end) is another origin's copy of one seen within the window.
   * For a frame without (a whole) IP header, `ip` is where the inner frame starts. `origin` is
   * the mirror origin (VNI and outer source) of this copy, never 0.
   */
  isDuplicate(b: Uint8Array, ip: number, end: number, origin: number, ts: number): boolean {
    if (this.windowSeconds <= 0 || ip >= end) return false;
    let h1 = 0x811c9dc5;
    let h2 = 0x2545f491;
    const v = ip + 20 <= end ? b[ip] >> 4 : 0;
    let headerEnd: number;
    if (v === 4) {
      headerEnd = ip + (b[ip] & 0x0f) * 4;
      if (headerEnd < ip + 20 || headerEnd > end) return false;
      for (let i = ip; i < headerEnd; i++) {
        // TTL (8) and header checksum (10, 11) change between the two mirror points.
        const k = i - ip;
        if (k === 8 || k === 10 || k === 11) continue;
        h1 = Math.imul(h1 ^ b[i], M1);
        h1 ^= h1 >>> 13;
        h2 = Math.imul(h2 + b[i], M2);
        h2 ^= h2 >>> 16;
      }
    } else if (v === 6) {
      headerEnd = ip + 40;
      if (headerEnd > end) return false;
      for (let i = ip; i < headerEnd; i++) {
        if (i - ip === 7) continue; // hop limit
        h1 = Math.imul(h1 ^ b[i], M1);
        h1 ^= h1 >>> 13;
        h2 = Math.imul(h2 + b[i], M2);
        h2 ^= h2 >>> 16;
      }
    } else {
      // Not IP (ARP, LLDP, a truncated header): the frame's first bytes are its identity.
      headerEnd = ip;
    }
    const stop = Math.min(end, headerEnd + TRANSPORT_BYTES);
    for (let i = headerEnd; i < stop; i++) {
      h1 = Math.imul(h1 ^ b[i], M1);
      h1 ^= h1 >>> 13;
      h2 = Math.imul(h2 + b[i], M2);
      h2 ^= h2 >>> 16;
    }
    h1 = fmix(h1);
    h2 = fmix(h2 ^ (stop - headerEnd));
    // Two ways per set: a packet's entry survives one other packet landing in its set.
    const way0 = (h1 ^ (h1 >>> TABLE_BITS)) & this.mask & ~1;
    let slot = -1;
    for (let s = way0; s <= way0 + 1; s++) {
      if (this.keys[s] === h1 && this.checks[s] === h2) {
        slot = s;
        break;
      }
    }
    if (slot >= 0) {
      if (this.origins[slot] !== origin && ts - this.times[slot] <= this.windowSeconds) {
        // The kept copy's entry stays: a third arrival from this same origin is a retransmission.
        this.duplicates++;
        return true;
      }
    } else {
      // Replace the older way.
      slot = this.times[way0] <= this.times[way0 + 1] ? way0 : way0 + 1;
    }
    this.keys[slot] = h1;
    this.checks[slot] = h2;
    this.origins[slot] = origin;
    this.times[slot] = ts;
    return false;
  }
}
