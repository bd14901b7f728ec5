// Per-direction TCP stream reassembly for protocol analyzers: turns (relative sequence number,
// bytes) segments, delivered by the engine in packet order, into an in-order byte stream with
// explicit gaps. In-order segments are handed through as views (no copy); only bytes that arrive
// ahead of a hole are copied and held, under a per-connection and a global byte budget.
//
// The engine already accounts missed_bytes and the g/G history letters from ACKs; this module only
// decides what analyzers see. Overlaps are first-wins (the bytes buffered first are the ones
// delivered), as in Zeek's reassembler, and differing overlap content raises Zeek's
// `rexmit_inconsistency`. The last RETAINED_BYTES_PER_DIRECTION delivered bytes of each direction
// are kept in a ring, so a retransmission of recently delivered data is compared too (an evasion
// that rewrites what was already analyzed leaves a weird); older delivered bytes are not kept.

import type { MemoryAccount } from "../engine/memory-budget.js";
import { uninitializedBytes } from "./uninitialized.js";

/** Bytes held out of order per connection (both directions) before holes are declared gaps. */
export const MAX_BUFFERED_BYTES_PER_CONNECTION = 256 * 1024;
/** Bytes held out of order across all connections of one inspector. */
const MAX_BUFFERED_BYTES_GLOBAL = 64 * 1024 * 1024;
/**
 * Delivered bytes kept per direction to compare retransmissions with: a little more than two
 * full-size segments, where nearly every retransmission falls. A power of two (positions are masked).
 */
export const RETAINED_BYTES_PER_DIRECTION = 4 * 1024;
/**
 * Share of the global budget the retention rings may take (4 KiB x 2 per connection: 2048
 * connections), so that holding out-of-order data always keeps the rest. Connections beyond it go
 * without comparison of delivered data (counted in `retentionDenied`).
 */
const MAX_RETAINED_BYTES_GLOBAL = 16 * 1024 * 1024;
/**
 * Rings given back by finished connections, kept for reuse (allocating a zero-filled 4 KiB buffer
 * for every direction was most of the rings' cost). Not charged: at most this many times 4 KiB (1 MiB).
 */
const SPARE_RINGS = 256;
/** Accounting overhead charged per held block, so floods of 1-byte segments are bounded too. */
export const BLOCK_OVERHEAD_BYTES = 64;

export const WEIRD_REXMIT_INCONSISTENCY = "rexmit_inconsistency";
export const WEIRD_CONN_BUFFER_LIMIT = "tcp_reassembly_connection_limit";
export const WEIRD_GLOBAL_BUFFER_LIMIT = "tcp_reassembly_global_limit";

/** Where reassembled bytes go (the inspection layer's dispatcher). */
export interface ReassemblySink {
  data(isOrig: boolean, bytes: Uint8Array, ts: number): void;
  gap(isOrig: boolean, length: number, ts: number): void;
  weird(name: string, addl?: string): void;
}

/** Memory shared by all connections of one inspector, and how often its limits were hit. */
export class ReassemblyBudget {
  used = 0;
  connectionLimitHits = 0;
  globalLimitHits = 0;
  inconsistencies = 0;
  /** Bytes of `used` that are retention rings (delivered bytes kept for comparison). */
  retained = 0;
  /** Directions that got no retention ring because MAX_RETAINED_BYTES_GLOBAL was reached. */
  retentionDenied = 0;

  /**
   * The reassembly share of the engine's memory budget (engine/memory-budget.ts), when wired
   * (Inspector.useMemory): every byte held is charged to both it and `globalLimit`.
   */
  memory: MemoryAccount | null = null;

  /** Released retention rings waiting for reuse (at most SPARE_RINGS; their content is stale). */
  readonly spareRings: Uint8Array[] = [];

  constructor(
    readonly globalLimit: number = MAX_BUFFERED_BYTES_GLOBAL,
    readonly connectionLimit: number = MAX_BUFFERED_BYTES_PER_CONNECTION,
    readonly retainedLimit: number = MAX_RETAINED_BYTES_GLOBAL,
  ) {}

  /** Charges `cost` if the global limit and the memory budget both allow it. */
  take(cost: number): boolean {
    if (this.used + cost > this.globalLimit) return false;
    if (this.memory !== null && !this.memory.reserve(cost)) return false;
    this.used += cost;
    return true;
  }

  give(cost: number): void {
    this.used -= cost;
    if (this.memory !== null) this.memory.release(cost);
  }
}

interface Block {
  seq: number;
  bytes: Uint8Array;
}

/** Ring states of a direction: none asked for yet, kept, refused by the budget. */
const RING_NONE = 0;
const RING_KEPT = 1;
const RING_DENIED = 2;

function sameBytes(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Index of the first of `len` bytes where a[aOff..] and b[bOff..] differ, or -1. */
function firstDifference(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, len: number): number {
  for (let k = 0; k < len; k++) if (a[aOff + k] !== b[bOff + k]) return k;
  return -1;
}

/** One direction's stream position and the blocks held above it (sorted, non-overlapping). */
class DirectionReassembler {
  /** Next relative sequence number to deliver (the first data byte after a SYN is 1). */
  next = 1;
  /** Bytes handed to the sink as data, and as gaps. */
  delivered = 0;
  gapped = 0;
  blocks: Block[] | null = null;
  /** Accounted bytes held by this direction (payload + per-block overhead). */
  held = 0;
  /** The last delivered bytes: byte at relative seq q is ring[q % RETAINED_BYTES_PER_DIRECTION]. */
  private ring: Uint8Array | null = null;
  private ringState = RING_NONE;
  /** Lowest seq of the contiguous delivered run the ring holds (valid from max(this, next - size)). */
  private ringBase = 0;

  constructor(
    /** Changes only when the engine flips the connection's roles. */
    public isOrig: boolean,
    private readonly owner: TcpReassembler,
  ) {}

  /** One segment's payload: buf[off, off+len) starting at relative sequence number relSeq. */
  segment(buf: Uint8Array, off: number, len: number, relSeq: number, ts: number): void {
    if (len <= 0) return;
    const end = relSeq + len;
    // Bytes below `next` were delivered already: compare what the ring still has of them. Not a
    // lone byte just below `next`: that is a TCP keep-alive probe, whose byte is often garbage
    // (Windows sends 0x00), not a rewrite.
    if (relSeq < this.next && this.ring !== null && !(len === 1 && relSeq === this.next - 1))
      this.compareDelivered(buf, off, relSeq, end);
    if (end <= this.next) return; // retransmission of delivered bytes
    if (relSeq < this.next) {
      off += this.next - relSeq;
      relSeq = this.next;
    }
    const blocks = this.blocks;
    if (relSeq === this.next && (blocks === null || blocks.length === 0)) {
      // Fast path: in order with nothing held — hand a view through.
      this.deliver(buf.subarray(off, off + (end - relSeq)), ts);
      return;
    }
    // Slow path: split the segment into the ranges not already held (first wins), checking
    // that the overlapping bytes agree.
    const pieces: number[] = [];
    let cursor = relSeq;
    if (blocks !== null) {
      for (let i = 0; i < blocks.length && cursor < end; i++) {
        const b = blocks[i];
        const bEnd = b.seq + b.bytes.length;
        if (bEnd <= cursor) continue;
        if (b.seq >= end) break;
        if (b.seq > cursor) pieces.push(cursor, b.seq);
        const from = Math.max(cursor, b.seq);
        const to = Math.min(end, bEnd);
        if (!sameBytes(buf, off + (from - relSeq), b.bytes, from - b.seq, to - from)) {
          this.owner.inconsistent(from, to - from);
        }
        cursor = to;
      }
    }
    if (cursor < end) pieces.push(cursor, end);
    for (let i = 0; i < pieces.length; i += 2) {
      this.drain(ts);
      // A limit may have forced `next` forward (as a gap) past part of this piece.
      const s = Math.max(pieces[i], this.next);
      const e = pieces[i + 1];
      if (e <= s) continue;
      const view = buf.subarray(off + (s - relSeq), off + (e - relSeq));
      if (s === this.next) this.deliver(view, ts);
      else this.hold(s, view, ts);
    }
    this.drain(ts);
    this.owner.enforceConnectionLimit(this, ts);
  }

  /** The stream is known to have advanced to `upTo` (peer ACK, truncated capture): holes become gaps. */
  advanceTo(upTo: number, ts: number): void {
    while (this.next < upTo) {
      const first = this.blocks !== null && this.blocks.length > 0 ? this.blocks[0] : null;
      if (first !== null && first.seq <= this.next) {
        this.drain(ts);
        continue;
      }
      const holeEnd = first !== null ? Math.min(upTo, first.seq) : upTo;
      this.emitGap(holeEnd - this.next, ts);
    }
    this.drain(ts);
  }

  /** Declares the hole before the first held block a gap and delivers what becomes contiguous. */
  skipToFirstBlock(ts: number): boolean {
    const blocks = this.blocks;
    if (blocks === null || blocks.length === 0) return false;
    const first = blocks[0];
    if (first.seq > this.next) this.emitGap(first.seq - this.next, ts);
    this.drain(ts);
    return true;
  }

  /** End of the connection: everything held is delivered, with gaps for the holes. */
  flush(ts: number): void {
    while (this.skipToFirstBlock(ts)) {
      // each call consumes at least one block
    }
  }

  /** Forgets held bytes without delivering them (analysis stopped), returning the budget. */
  discard(): void {
    this.owner.release(this.held);
    this.held = 0;
    this.blocks = null;
    if (this.ring !== null) {
      this.owner.releaseRing(this.ring);
      this.ring = null;
    }
    this.ringState = RING_DENIED;
  }

  private deliver(bytes: Uint8Array, ts: number): void {
    if (this.owner.closed) {
      this.next += bytes.length;
      return;
    }
    if (this.ringState !== RING_DENIED) this.retain(bytes);
    this.next += bytes.length;
    this.delivered += bytes.length;
    this.owner.sink.data(this.isOrig, bytes, ts);
  }

  /** Copies delivered bytes (starting at `next`) into the ring, asking the budget for it first. */
  private retain(bytes: Uint8Array): void {
    let ring = this.ring;
    if (ring === null) {
      ring = this.owner.reserveRing();
      if (ring === null) {
        this.ringState = RING_DENIED;
        return;
      }
      this.ring = ring;
      this.ringState = RING_KEPT;
      this.ringBase = this.next;
    }
    const size = RETAINED_BYTES_PER_DIRECTION;
    const n = bytes.length;
    // Only the last `size` bytes can stay; copy from there.
    const from = n > size ? n - size : 0;
    const at = (this.next + from) & (size - 1);
    const room = size - at;
    if (from === 0 && n <= room) {
      ring.set(bytes, at); // the usual case: one copy, no view
      return;
    }
    // Wrapping around the ring's end: two native copies (never a byte loop).
    ring.set(bytes.subarray(from, from + room), at);
    ring.set(bytes.subarray(from + room, n), 0);
  }

  /**
   * A segment starting below `next`: its bytes in [relSeq, min(end, next)) that the ring still
   * holds must equal what was delivered (Zeek's rexmit_inconsistency otherwise).
   */
  private compareDelivered(buf: Uint8Array, off: number, relSeq: number, end: number): void {
    const ring = this.ring!;
    const size = RETAINED_BYTES_PER_DIRECTION;
    const oldest = Math.max(this.ringBase, this.next - size);
    const from = Math.max(relSeq, oldest);
    const to = Math.min(end, this.next);
    if (from >= to) return;
    // At most two linear runs of the ring: up to its end, then from its start.
    const at = from & (size - 1);
    const i = off + (from - relSeq);
    const first = Math.min(to - from, size - at);
    let d = firstDifference(buf, i, ring, at, first);
    if (d < 0 && first < to - from) {
      d = firstDifference(buf, i + first, ring, 0, to - from - first);
      if (d >= 0) d += first;
    }
    if (d >= 0) this.owner.inconsistent(from + d, to - from - d);
  }

  private emitGap(length: number, ts: number): void {
    // The ring holds a contiguous run: after a hole it starts again at the new position.
    this.ringBase = this.next + length;
    this.next += length;
    if (this.owner.closed) return;
    this.gapped += length;
    this.owner.sink.gap(this.isOrig, length, ts);
  }

  /** Delivers held blocks that have become contiguous with `next`. */
  private drain(ts: number): void {
    for (;;) {
      // Re-read each time: a delivery may end analysis and discard the blocks.
      const blocks = this.blocks;
      if (blocks === null || blocks.length === 0 || blocks[0].seq > this.next) return;
      const b = blocks.shift()!;
      const bEnd = b.seq + b.bytes.length;
      this.releaseBlock(b);
      if (bEnd > this.next) this.deliver(b.bytes.subarray(this.next - b.seq), ts);
    }
  }

  private releaseBlock(b: Block): void {
    const cost = b.bytes.length + BLOCK_OVERHEAD_BYTES;
    this.held -= cost;
    this.owner.release(cost);
  }

  /** Copies `view` (bytes at relative seq `seq`, above a hole) into a held block. */
  private hold(seq: number, view: Uint8Array, ts: number): void {
    if (this.owner.closed) return;
    const cost = view.length + BLOCK_OVERHEAD_BYTES;
    if (!this.owner.reserve(cost, ts)) {
      // The global budget is spent even after this connection gave back what it held:
      // declare the hole a gap and deliver the bytes now rather than hold them.
      this.advanceTo(seq, ts);
      this.deliver(view, ts);
      return;
    }
    if (this.owner.closed) {
      this.owner.release(cost);
      return;
    }
    let blocks = this.blocks;
    if (blocks === null) {
      blocks = [];
      this.blocks = blocks;
    }
    let i = blocks.length;
    while (i > 0 && blocks[i - 1].seq > seq) i--;
    blocks.splice(i, 0, { seq, bytes: view.slice() });
    this.held += cost;
  }
}

/** Both directions of one TCP connection, sharing its byte budget. */
export class TcpReassembler {
  orig: DirectionReassembler;
  resp: DirectionReassembler;
  private connLimitReported = false;
  /** Set by discard(): a sink may stop analysis in the middle of a delivery. */
  closed = false;

  constructor(
    public sink: ReassemblySink,
    private readonly budget: ReassemblyBudget,
  ) {
    this.orig = new DirectionReassembler(true, this);
    this.resp = new DirectionReassembler(false, this);
  }

  direction(isOrig: boolean): DirectionReassembler {
    return isOrig ? this.orig : this.resp;
  }

  /** The engine swapped originator and responder: so do the directions. */
  swapDirections(): void {
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
  }

  get held(): number {
    return this.orig.held + this.resp.held;
  }

  /** Releases everything held (connection done or analysis stopped). */
  discard(): void {
    this.closed = true;
    this.orig.discard();
    this.resp.discard();
  }

  inconsistent(seq: number, length: number): void {
    this.budget.inconsistencies++;
    this.sink.weird(WEIRD_REXMIT_INCONSISTENCY, `${length} bytes at relative seq ${seq} differ`);
  }

  release(cost: number): void {
    this.budget.give(cost);
  }

  /** A retention ring for one direction, within the rings' share of the global budget (null: refused). */
  reserveRing(): Uint8Array | null {
    const b = this.budget;
    const cost = RETAINED_BYTES_PER_DIRECTION;
    if (b.retained + cost > b.retainedLimit || !b.take(cost)) {
      b.retentionDenied++;
      return null;
    }
    b.retained += cost;
    // A reused ring's stale bytes are never read: only seqs from ringBase on are compared. So a
    // new one needs no zero-fill either.
    return b.spareRings.pop() ?? uninitializedBytes(cost);
  }

  releaseRing(ring: Uint8Array): void {
    const b = this.budget;
    b.retained -= RETAINED_BYTES_PER_DIRECTION;
    b.give(RETAINED_BYTES_PER_DIRECTION);
    if (b.spareRings.length < SPARE_RINGS) b.spareRings.push(ring);
  }

  /** Reserves held bytes against the global budget; on exhaustion, first gives back this connection's. */
  reserve(cost: number, ts: number): boolean {
    const b = this.budget;
    if (b.take(cost)) return true;
    b.globalLimitHits++;
    this.sink.weird(WEIRD_GLOBAL_BUFFER_LIMIT, `${b.used} bytes held across connections`);
    this.orig.flush(ts);
    this.resp.flush(ts);
    return b.take(cost);
  }

  /** Over the per-connection limit: holes are declared gaps until the held bytes fit again. */
  enforceConnectionLimit(dir: DirectionReassembler, ts: number): void {
    const limit = this.budget.connectionLimit;
    if (this.held <= limit) return;
    this.budget.connectionLimitHits++;
    if (!this.connLimitReported) {
      this.connLimitReported = true;
      this.sink.weird(WEIRD_CONN_BUFFER_LIMIT, `${this.held} bytes held out of order`);
    }
    const other = dir === this.orig ? this.resp : this.orig;
    while (this.held > limit) {
      if (!dir.skipToFirstBlock(ts) && !other.skipToFirstBlock(ts)) break;
    }
  }
}
