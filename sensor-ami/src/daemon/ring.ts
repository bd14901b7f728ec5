// A single-producer single-consumer queue of datagrams in shared memory: the receiving thread
// copies each datagram once into the ring of the engine that owns its flow; that engine's worker
// reads it in place. No message passing, no allocation per packet.
//
// Layout: a control block of Int32 words (write position, read position, a wake-up sequence
// number, the producer's drop count) and a byte area. Each record is a fixed header and the
// datagram, padded to 8 bytes; a record never wraps: when it does not fit before the end, a wrap
// marker sends the reader back to the start. One byte always stays free so that full and empty
// differ.
//
// Record header (little-endian, 40 bytes):
//   0 u32 captured length   4 u32 wire length   8 f64 receive time (s since epoch)
//  16 u32[4] outer source address (IPv4 in word 0)   32 u16 inner IP offset (0: none)
//  34 u8 address family (4/6)   35 u8 flags   36 u16 outer source port   38 u16 reserved

export const RECORD_HEADER = 40;
const WRAP = 0xffffffff;
const W_WRITE = 0;
const W_READ = 1;
const W_SEQ = 2;
const W_DROPS = 3;
const W_STOP = 4;
const CONTROL_WORDS = 16;
/** Flag: the slot or the mirror session cut the datagram short. */
export const FLAG_TRUNCATED = 1;

export interface RingShared {
  control: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

export function createRing(bytes: number): RingShared {
  return {
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    data: new SharedArrayBuffer(bytes),
  };
}

/** The receiving thread's end. */
export class RingWriter {
  private readonly ctl: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly cap: number;
  /** Local write position, published by commit(). */
  private w: number;
  private pending = false;

  constructor(shared: RingShared) {
    this.ctl = new Int32Array(shared.control);
    this.bytes = new Uint8Array(shared.data);
    this.view = new DataView(shared.data);
    this.cap = this.bytes.length;
    this.w = Atomics.load(this.ctl, W_WRITE);
  }

  /** Datagrams refused because the ring was full (the consumer fell behind). */
  get drops(): number {
    return Atomics.load(this.ctl, W_DROPS);
  }

  /**
   * Appends one datagram; false (and counted as a drop) when the ring is full. Not visible to
   * the reader until commit().
   */
  push(
    src: Uint8Array,
    start: number,
    length: number,
    wireLength: number,
    ts: number,
    addrs: Uint32Array,
    addrIndex: number,
    family: number,
    port: number,
    ipOffset: number,
    flags: number,
  ): boolean {
    const need = (RECORD_HEADER + length + 7) & ~7;
    const r = Atomics.load(this.ctl, W_READ);
    let w = this.w;
    if (w + need > this.cap) {
      // Wrap: only if the start is free (the reader is not in [0, need]) and the reader is not
      // still behind w at the end.
      if (r > w || r <= need) return this.refuse();
      if (w + 4 <= this.cap) this.view.setUint32(w, WRAP, true);
      w = 0;
    } else if (r > w ? w + need >= r : w + need === this.cap && r === 0) {
      // Not past the reader, and never onto it: equal positions mean empty.
      return this.refuse();
    }
    const v = this.view;
    v.setUint32(w, length, true);
    v.setUint32(w + 4, wireLength, true);
    v.setFloat64(w + 8, ts, true);
    v.setUint32(w + 16, addrs[addrIndex], true);
    v.setUint32(w + 20, addrs[addrIndex + 1], true);
    v.setUint32(w + 24, addrs[addrIndex + 2], true);
    v.setUint32(w + 28, addrs[addrIndex + 3], true);
    v.setUint16(w + 32, ipOffset, true);
    this.bytes[w + 34] = family;
    this.bytes[w + 35] = flags;
    v.setUint16(w + 36, port, true);
    this.bytes.set(src.subarray(start, start + length), w + RECORD_HEADER);
    this.w = w + need === this.cap ? 0 : w + need;
    this.pending = true;
    return true;
  }

  /** Publishes what was pushed and wakes the reader. */
  commit(): void {
    if (!this.pending) return;
    this.pending = false;
    Atomics.store(this.ctl, W_WRITE, this.w);
    Atomics.add(this.ctl, W_SEQ, 1);
    Atomics.notify(this.ctl, W_SEQ);
  }

  /** Asks the reader to finish what is queued and stop. */
  stop(): void {
    this.commit();
    Atomics.store(this.ctl, W_STOP, 1);
    Atomics.add(this.ctl, W_SEQ, 1);
    Atomics.notify(this.ctl, W_SEQ);
  }

  private refuse(): false {
    Atomics.add(this.ctl, W_DROPS, 1);
    return false;
  }
}

/** One datagram as the reader sees it: valid until the next call to next(). */
export class RingRecord {
  offset = 0;
  length = 0;
  wireLength = 0;
  ts = 0;
  readonly addr = new Uint32Array(4);
  family = 0;
  port = 0;
  ipOffset = 0;
  flags = 0;
}

/** The engine worker's end. */
export class RingReader {
  readonly bytes: Uint8Array;
  private readonly ctl: Int32Array;
  private readonly view: DataView;
  private readonly cap: number;
  private r: number;
  private w: number;

  constructor(shared: RingShared) {
    this.ctl = new Int32Array(shared.control);
    this.bytes = new Uint8Array(shared.data);
    this.view = new DataView(shared.data);
    this.cap = this.bytes.length;
    this.r = Atomics.load(this.ctl, W_READ);
    this.w = Atomics.load(this.ctl, W_WRITE);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.ctl, W_STOP) === 1;
  }

  /** The wake-up sequence number, for wait(). */
  get sequence(): number {
    return Atomics.load(this.ctl, W_SEQ);
  }

  /** Whether nothing is left to read (looks at the writer's latest commit). */
  empty(): boolean {
    this.w = Atomics.load(this.ctl, W_WRITE);
    return this.r === this.w;
  }

  /** Fills `rec` with the next datagram; false when the ring is empty. */
  next(rec: RingRecord): boolean {
    if (this.r === this.w) {
      this.w = Atomics.load(this.ctl, W_WRITE);
      if (this.r === this.w) return false;
    }
    const v = this.view;
    let r = this.r;
    if (r + RECORD_HEADER > this.cap || v.getUint32(r, true) === WRAP) r = 0;
    const length = v.getUint32(r, true);
    rec.offset = r + RECORD_HEADER;
    rec.length = length;
    rec.wireLength = v.getUint32(r + 4, true);
    rec.ts = v.getFloat64(r + 8, true);
    rec.addr[0] = v.getUint32(r + 16, true);
    rec.addr[1] = v.getUint32(r + 20, true);
    rec.addr[2] = v.getUint32(r + 24, true);
    rec.addr[3] = v.getUint32(r + 28, true);
    rec.ipOffset = v.getUint16(r + 32, true);
    rec.family = this.bytes[r + 34];
    rec.flags = this.bytes[r + 35];
    rec.port = v.getUint16(r + 36, true);
    const need = (RECORD_HEADER + length + 7) & ~7;
    this.r = r + need === this.cap ? 0 : r + need;
    return true;
  }

  /** Hands the space of every record read so far back to the writer. */
  release(): void {
    Atomics.store(this.ctl, W_READ, this.r);
  }

  /** Resolves when the writer commits after `seen`, or after `timeoutMs`. Never blocks the thread. */
  async wait(seen: number, timeoutMs: number): Promise<void> {
    const res = Atomics.waitAsync(this.ctl, W_SEQ, seen, timeoutMs);
    if (res.async) await res.value;
  }
}
