// IPv4 and IPv6 fragment reassembly. Legitimate fragments are rare, so completing a datagram may
// allocate; but a flood of fragments that never complete is a cheap attack, so the path every
// fragment takes is bounded and lean: datagrams are found through a fixed hash table on numeric
// keys (no key string per fragment), kept in arrival order so expiry and eviction touch only the
// datagrams they drop, and recycled (their objects are reused). The table has a size cap and a
// memory account; when either is full the oldest datagram is dropped (as Linux does), so a flood
// cannot lock legitimate fragments out. Overlapping fragments keep the first copy (with a weird
// when the second disagrees), as Zeek and Suricata's default policies do.

import type { FragmentInfo } from "./ip.js";
import { nextLayerForProto } from "./ip.js";
import { type DecodedPacket, Layer } from "./packet.js";
import { W } from "./weirds.js";

export interface FragmentLimits {
  /** Seconds a datagram may wait for its missing fragments. */
  timeoutSeconds: number;
  /** Datagrams waiting for fragments at once; beyond it the oldest is dropped (and counted). */
  maxPending: number;
  /** Fragments one datagram may consist of. */
  maxFragmentsPerDatagram: number;
}

export const DEFAULT_FRAGMENT_LIMITS: FragmentLimits = {
  timeoutSeconds: 30,
  maxPending: 8192,
  maxFragmentsPerDatagram: 256,
};

/**
 * Where held fragment bytes are charged (the engine's memory budget, engine/memory-budget.ts):
 * declared here as the two calls this layer needs, since decoders import nothing of the engine.
 */
export interface ByteAccount {
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

/** Datagrams lost in one report window from which they are reported as one flood, not one weird each. */
export const FRAGMENT_FLOOD_DATAGRAMS = 1000;
export const WEIRD_FRAGMENT_FLOOD = "fragment_flood";

/** Largest IP payload a reassembled datagram may have (IPv4's 16-bit total length). */
const MAX_REASSEMBLED_PAYLOAD = 65535;
/** Charged per pending datagram and per held piece besides its bytes (objects, array slots). */
const DATAGRAM_OVERHEAD_BYTES = 256;
const CHUNK_OVERHEAD_BYTES = 96;
/** Recycled datagram objects kept for reuse (a flood reuses them instead of making garbage). */
const MAX_FREE_DATAGRAMS = 1024;

interface Chunk {
  offset: number;
  data: Uint8Array;
}

/** One datagram being reassembled: its key, its pieces, and its place in arrival order. */
class Pending {
  version = 0;
  scope = 0;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d0 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  id = 0;
  keyProto = 0;
  hash = 0;
  /** Next datagram in the same hash bucket. */
  nextInBucket: Pending | null = null;
  /** Neighbours in arrival order (older = towards the head, which is dropped first). */
  older: Pending | null = null;
  newer: Pending | null = null;
  firstTs = 0;
  /** IP header bytes (through the fragment header for IPv6) of the offset-0 fragment. */
  header: Uint8Array | undefined = undefined;
  chunks: Chunk[] = [];
  /** Fragments received (the loss report counts them). */
  fragments = 0;
  /** Payload length once the last fragment (MF=0) is seen, else -1. */
  totalLen = -1;
  /** Upper-layer protocol. */
  proto = 0;
  /** Bytes charged to the memory account. */
  charged = 0;
}

/** Datagrams dropped incomplete since the last report, and what they held. */
export class FragmentLoss {
  timedOut = 0;
  /** Dropped to make room (table or memory account full). */
  evicted = 0;
  fragments = 0;
  bytes = 0;

  get datagrams(): number {
    return this.timedOut + this.evicted;
  }

  /** Whether this window's loss is a flood (one aggregated weird) rather than a few drops. */
  get isFlood(): boolean {
    return this.datagrams >= FRAGMENT_FLOOD_DATAGRAMS;
  }

  /** The flood weird's addl. */
  describe(): string {
    return `${this.datagrams} datagrams never completed (${this.timedOut} timed out, ${this.evicted} dropped from the full table), ${this.fragments} fragments, ${this.bytes} bytes`;
  }

  reset(): void {
    this.timedOut = 0;
    this.evicted = 0;
    this.fragments = 0;
    this.bytes = 0;
  }
}

/**
 * Copies bytes out of the capture buffer. (Buffer#slice returns a view, which the next read would
 * overwrite; held fragments must own their bytes.)
 */
function copyBytes(src: Uint8Array, from: number, to: number): Uint8Array {
  // A Buffer, like the capture buffer, so code reading p.buf sees one object shape.
  const out = Buffer.allocUnsafe(to - from);
  out.set(src.subarray(from, to));
  return out;
}

/** memcmp of two byte ranges (native compare: garbage fragment floods overlap a lot). */
function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset + ao, len),
      Buffer.from(b.buffer, b.byteOffset + bo, len),
    ) === 0
  );
}

function byOffset(a: Chunk, b: Chunk): number {
  return a.offset - b.offset;
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x01000193);
  return h ^ (h >>> 15);
}

export class FragmentReassembler {
  /** Hash buckets (chains through Pending.nextInBucket); twice maxPending, a power of two. */
  private readonly buckets: (Pending | null)[];
  private readonly mask: number;
  private oldest: Pending | null = null;
  private newest: Pending | null = null;
  private count = 0;
  private readonly free: Pending[] = [];
  /** Weird codes raised by the last add() besides its return value (overlap is not fatal). */
  sideWeird = 0;
  /** Datagrams dropped because they timed out incomplete (in all). */
  timedOut = 0;
  /** Datagrams dropped incomplete to make room (in all). */
  evicted = 0;
  /** Incomplete datagrams dropped since the caller last reported and reset it. */
  readonly loss = new FragmentLoss();

  constructor(
    private readonly limits: FragmentLimits = DEFAULT_FRAGMENT_LIMITS,
    private readonly memory: ByteAccount | null = null,
  ) {
    let n = 16;
    while (n < limits.maxPending * 2) n *= 2;
    this.buckets = new Array<Pending | null>(n).fill(null);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Stores one fragment. When it completes its datagram, rewrites `p` to point at the reassembled
   * datagram and returns the transport layer to decode; otherwise returns FragmentHeld or -weird.
   */
  add(p: DecodedPacket, f: FragmentInfo, ts: number, scope: number): number {
    this.sideWeird = 0;
    const keyProto = p.ipVersion === 4 ? f.proto : 0;
    let h = mix(0x811c9dc5, p.ipVersion | (scope << 4));
    h = mix(mix(mix(mix(h, p.s0), p.s1), p.s2), p.s3);
    h = mix(mix(mix(mix(h, p.d0), p.d1), p.d2), p.d3);
    h = mix(mix(h, f.id), keyProto);
    let d = this.buckets[h & this.mask];
    while (
      d !== null &&
      !(
        d.hash === h &&
        d.id === f.id &&
        d.s3 === p.s3 &&
        d.d3 === p.d3 &&
        d.version === p.ipVersion &&
        d.scope === scope &&
        d.keyProto === keyProto &&
        d.s0 === p.s0 &&
        d.s1 === p.s1 &&
        d.s2 === p.s2 &&
        d.d0 === p.d0 &&
        d.d1 === p.d1 &&
        d.d2 === p.d2
      )
    ) {
      d = d.nextInBucket;
    }
    if (d !== null && ts - d.firstTs > this.limits.timeoutSeconds) {
      this.lose(d, false);
      d = null;
    }
    const payloadEnd = p.ipEnd;
    const len = payloadEnd - f.payloadOff;
    if (len < 0) return -W.truncatedIp;
    if (p.l4Len > len) {
      // The fragment was cut by the snap length (or its length field lies): it can never be
      // reassembled. A first fragment still carries the transport header, so the flow is
      // tracked from it (as tshark does) rather than lost; later ones are only counted.
      if (d !== null) this.drop(d);
      if (f.offset === 0) {
        this.sideWeird = W.truncatedIp;
        return nextLayerForProto(f.proto);
      }
      return -W.truncatedIp;
    }
    if (f.offset + len > MAX_REASSEMBLED_PAYLOAD) {
      if (d !== null) this.drop(d);
      return -W.fragmentTooLarge;
    }
    if (d === null) {
      // Room first: the table's cap and the memory account drop the oldest datagrams.
      while (this.count >= this.limits.maxPending && this.oldest !== null) this.lose(this.oldest, true);
      if (!this.charge(null, DATAGRAM_OVERHEAD_BYTES)) return -W.fragmentTableFull;
      d = this.open(p, f, h, keyProto, scope, ts);
    }
    if (d.chunks.length >= this.limits.maxFragmentsPerDatagram) {
      this.drop(d);
      return -W.fragmentTableFull;
    }
    d.fragments++;
    if (!f.moreFragments) {
      const total = f.offset + len;
      if (d.totalLen >= 0 && d.totalLen !== total) {
        this.drop(d);
        return -W.fragmentInconsistency;
      }
      d.totalLen = total;
    } else if (len % 8 !== 0 && p.ipVersion === 6) {
      this.sideWeird = W.ip6FragmentTooSmall;
    }
    if (f.offset === 0 && !d.header) {
      const hl = f.payloadOff - p.ipOff;
      if (!this.charge(d, hl)) return -W.fragmentTableFull;
      d.header = copyBytes(p.buf, p.ipOff, f.payloadOff);
      d.proto = f.proto;
    }
    if (!this.insert(d, f.offset, p.buf.subarray(f.payloadOff, payloadEnd))) return -W.fragmentTableFull;
    if (d.totalLen < 0 || !d.header) return Layer.FragmentHeld;
    // Complete when the chunks cover [0, totalLen) without holes.
    let covered = 0;
    for (const c of d.chunks) {
      if (c.offset > covered) return Layer.FragmentHeld;
      const e = c.offset + c.data.length;
      if (e > covered) covered = e;
    }
    if (covered < d.totalLen) return Layer.FragmentHeld;
    const layer = this.emit(p, d);
    this.drop(d);
    return layer;
  }

  /** A new datagram (a recycled object when one is free), newest in arrival order. */
  private open(
    p: DecodedPacket,
    f: FragmentInfo,
    h: number,
    keyProto: number,
    scope: number,
    ts: number,
  ): Pending {
    const d = this.free.pop() ?? new Pending();
    d.version = p.ipVersion;
    d.scope = scope;
    d.s0 = p.s0;
    d.s1 = p.s1;
    d.s2 = p.s2;
    d.s3 = p.s3;
    d.d0 = p.d0;
    d.d1 = p.d1;
    d.d2 = p.d2;
    d.d3 = p.d3;
    d.id = f.id;
    d.keyProto = keyProto;
    d.hash = h;
    d.firstTs = ts;
    d.header = undefined;
    d.fragments = 0;
    d.totalLen = -1;
    d.proto = f.proto;
    d.charged = DATAGRAM_OVERHEAD_BYTES;
    const b = h & this.mask;
    d.nextInBucket = this.buckets[b];
    this.buckets[b] = d;
    d.older = this.newest;
    d.newer = null;
    if (this.newest !== null) this.newest.newer = d;
    else this.oldest = d;
    this.newest = d;
    this.count++;
    return d;
  }

  /**
   * Charges `bytes` for datagram `d` (null: one about to be opened), dropping the oldest other
   * datagrams while the account is full; false when even that does not make room.
   */
  private charge(d: Pending | null, bytes: number): boolean {
    const m = this.memory;
    if (m === null) {
      if (d !== null) d.charged += bytes;
      return true;
    }
    while (!m.reserve(bytes)) {
      const victim = this.oldest === d ? (d?.newer ?? null) : this.oldest;
      if (victim === null) {
        if (d !== null) this.lose(d, true);
        return false;
      }
      this.lose(victim, true);
    }
    if (d !== null) d.charged += bytes;
    return true;
  }

  /** Keeps the parts of a fragment nobody covered yet (first copy wins); false if memory ran out. */
  private insert(d: Pending, offset: number, data: Uint8Array): boolean {
    let start = offset;
    const end = offset + data.length;
    const chunks = d.chunks;
    const before = chunks.length;
    let inOrder = before === 0 || chunks[before - 1].offset < offset;
    for (let i = 0; i < before && start < end; i++) {
      const c = chunks[i];
      const cs = c.offset;
      const ce = c.offset + c.data.length;
      if (ce <= start || cs >= end) continue;
      const os = Math.max(cs, start);
      const oe = Math.min(ce, end);
      // Identical overlap is a harmless duplicate; different bytes are an evasion attempt.
      if (this.sideWeird !== W.fragmentOverlap && !sameBytes(c.data, os - cs, data, os - offset, oe - os)) {
        this.sideWeird = W.fragmentOverlap;
      }
      if (cs > start) {
        if (!this.keep(d, start, data, start - offset, cs - offset)) return false;
        inOrder = false;
      }
      start = Math.max(start, ce);
    }
    if (start < end && !this.keep(d, start, data, start - offset, end - offset)) return false;
    // Fragments mostly arrive in order: sort only when this one did not.
    if (!inOrder && chunks.length > before) chunks.sort(byOffset);
    return true;
  }

  private keep(d: Pending, offset: number, data: Uint8Array, from: number, to: number): boolean {
    if (!this.charge(d, to - from + CHUNK_OVERHEAD_BYTES)) return false;
    d.chunks.push({ offset, data: copyBytes(data, from, to) });
    return true;
  }

  private emit(p: DecodedPacket, d: Pending): number {
    const header = d.header as Uint8Array;
    const out = Buffer.alloc(header.length + d.totalLen);
    out.set(header, 0);
    for (const c of d.chunks) {
      const room = d.totalLen - c.offset;
      if (room <= 0) continue;
      out.set(room < c.data.length ? c.data.subarray(0, room) : c.data, header.length + c.offset);
    }
    if (d.version === 4) {
      const total = header.length + d.totalLen;
      out[2] = total >> 8;
      out[3] = total & 0xff;
      out[6] = 0;
      out[7] = 0;
    }
    p.buf = out;
    p.ipOff = 0;
    p.capEnd = out.length;
    p.ipEnd = out.length;
    p.ipHdrLen = header.length;
    p.ipTotalLen = out.length;
    p.l4Off = header.length;
    p.l4Len = d.totalLen;
    p.proto = d.proto;
    return nextLayerForProto(d.proto);
  }

  /** Drops an incomplete datagram and counts it as lost (timed out, or evicted to make room). */
  private lose(d: Pending, evicted: boolean): void {
    const loss = this.loss;
    if (evicted) {
      this.evicted++;
      loss.evicted++;
    } else {
      this.timedOut++;
      loss.timedOut++;
    }
    loss.fragments += d.fragments;
    for (const c of d.chunks) loss.bytes += c.data.length;
    this.drop(d);
  }

  /** Removes a datagram from the table and the arrival order, returns its memory, recycles it. */
  private drop(d: Pending): void {
    const b = d.hash & this.mask;
    let prev: Pending | null = null;
    let cur = this.buckets[b];
    while (cur !== null && cur !== d) {
      prev = cur;
      cur = cur.nextInBucket;
    }
    if (cur === null) return; // not in the table (already dropped)
    if (prev === null) this.buckets[b] = d.nextInBucket;
    else prev.nextInBucket = d.nextInBucket;
    if (d.older !== null) d.older.newer = d.newer;
    else this.oldest = d.newer;
    if (d.newer !== null) d.newer.older = d.older;
    else this.newest = d.older;
    this.count--;
    if (this.memory !== null) this.memory.release(d.charged);
    d.nextInBucket = d.older = d.newer = null;
    d.header = undefined;
    d.chunks.length = 0;
    d.charged = 0;
    if (this.free.length < MAX_FREE_DATAGRAMS) this.free.push(d);
  }

  /**
   * Drops datagrams that waited longer than the timeout; returns how many. Datagrams are kept in
   * arrival order, so this stops at the first one still in time (capture time only moves forward;
   * a datagram behind a clock step back waits until the ones before it go).
   */
  expire(now: number): number {
    let n = 0;
    const timeout = this.limits.timeoutSeconds;
    while (this.oldest !== null && now - this.oldest.firstTs > timeout) {
      this.lose(this.oldest, false);
      n++;
    }
    return n;
  }
}
