// IPv4 and IPv6 fragment reassembly. Fragments are rare in practice, so this path may allocate;
// what it must not do is grow without bound or be fooled by overlaps: the table has a size cap,
// pending datagrams time out, and overlapping fragments keep the first copy (with a weird when the
// second disagrees), as Zeek and Suricata's default policies do.

import type { FragmentInfo } from "./ip.js";
import { nextLayerForProto } from "./ip.js";
import { type DecodedPacket, Layer } from "./packet.js";
import { W } from "./weirds.js";

export interface FragmentLimits {
  /** Seconds a datagram may wait for its missing fragments. */
  timeoutSeconds: number;
  /** Datagrams waiting for fragments at once; new ones beyond this are dropped (and counted). */
  maxPending: number;
  /** Fragments one datagram may consist of. */
  maxFragmentsPerDatagram: number;
}

export const DEFAULT_FRAGMENT_LIMITS: FragmentLimits = {
  timeoutSeconds: 30,
  maxPending: 8192,
  maxFragmentsPerDatagram: 256,
};

/** Largest IP payload a reassembled datagram may have (IPv4's 16-bit total length). */
const MAX_REASSEMBLED_PAYLOAD = 65535;

interface Chunk {
  offset: number;
  data: Uint8Array;
}

interface Pending {
  firstTs: number;
  /** IP header bytes (through the fragment header for IPv6) of the offset-0 fragment. */
  header: Uint8Array | undefined;
  chunks: Chunk[];
  /** Payload length once the last fragment (MF=0) is seen, else -1. */
  totalLen: number;
  proto: number;
  version: number;
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

export class FragmentReassembler {
  private readonly pending = new Map<string, Pending>();
  /** Weird codes raised by the last add() besides its return value (overlap is not fatal). */
  sideWeird = 0;
  /** Datagrams dropped because they timed out incomplete. */
  timedOut = 0;

  constructor(private readonly limits: FragmentLimits = DEFAULT_FRAGMENT_LIMITS) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Stores one fragment. When it completes its datagram, rewrites `p` to point at the reassembled
   * datagram and returns the transport layer to decode; otherwise returns FragmentHeld or -weird.
   */
  add(p: DecodedPacket, f: FragmentInfo, ts: number, scope: number): number {
    this.sideWeird = 0;
    const key = `${p.ipVersion}|${scope}|${p.s0},${p.s1},${p.s2},${p.s3}|${p.d0},${p.d1},${p.d2},${p.d3}|${f.id}|${p.ipVersion === 4 ? f.proto : 0}`;
    let d = this.pending.get(key);
    if (d && ts - d.firstTs > this.limits.timeoutSeconds) {
      this.pending.delete(key);
      this.timedOut++;
      d = undefined;
    }
    if (!d) {
      if (this.pending.size >= this.limits.maxPending) {
        this.expire(ts);
        if (this.pending.size >= this.limits.maxPending) return -W.fragmentTableFull;
      }
      d = { firstTs: ts, header: undefined, chunks: [], totalLen: -1, proto: f.proto, version: p.ipVersion };
      this.pending.set(key, d);
    }
    const payloadEnd = p.ipEnd;
    const len = payloadEnd - f.payloadOff;
    if (len < 0) return -W.truncatedIp;
    if (p.l4Len > len) {
      // The fragment was cut by the snap length (or its length field lies): it can never be
      // reassembled. A first fragment still carries the transport header, so the flow is
      // tracked from it (as tshark does) rather than lost; later ones are only counted.
      this.pending.delete(key);
      if (f.offset === 0) {
        this.sideWeird = W.truncatedIp;
        return nextLayerForProto(f.proto);
      }
      return -W.truncatedIp;
    }
    if (f.offset + len > MAX_REASSEMBLED_PAYLOAD) {
      this.pending.delete(key);
      return -W.fragmentTooLarge;
    }
    if (d.chunks.length >= this.limits.maxFragmentsPerDatagram) {
      this.pending.delete(key);
      return -W.fragmentTableFull;
    }
    if (!f.moreFragments) {
      const total = f.offset + len;
      if (d.totalLen >= 0 && d.totalLen !== total) {
        this.pending.delete(key);
        return -W.fragmentInconsistency;
      }
      d.totalLen = total;
    } else if (len % 8 !== 0 && p.ipVersion === 6) {
      this.sideWeird = W.ip6FragmentTooSmall;
    }
    if (f.offset === 0 && !d.header) {
      d.header = copyBytes(p.buf, p.ipOff, f.payloadOff);
      d.proto = f.proto;
    }
    this.insert(d, f.offset, p.buf.subarray(f.payloadOff, payloadEnd));
    if (d.totalLen < 0 || !d.header) return Layer.FragmentHeld;
    // Complete when the chunks cover [0, totalLen) without holes.
    let covered = 0;
    for (const c of d.chunks) {
      if (c.offset > covered) return Layer.FragmentHeld;
      const e = c.offset + c.data.length;
      if (e > covered) covered = e;
    }
    if (covered < d.totalLen) return Layer.FragmentHeld;
    this.pending.delete(key);
    return this.emit(p, d);
  }

  private insert(d: Pending, offset: number, data: Uint8Array): void {
    // First copy wins: only the parts of the new fragment nobody covered yet are kept.
    let start = offset;
    const end = offset + data.length;
    const pieces: Chunk[] = [];
    for (const c of d.chunks) {
      const cs = c.offset;
      const ce = c.offset + c.data.length;
      if (ce <= start || cs >= end) continue;
      const os = Math.max(cs, start);
      const oe = Math.min(ce, end);
      // Identical overlap is a harmless duplicate; different bytes are an evasion attempt.
      if (this.sideWeird !== W.fragmentOverlap && !sameBytes(c.data, os - cs, data, os - offset, oe - os)) {
        this.sideWeird = W.fragmentOverlap;
      }
      if (cs > start) pieces.push({ offset: start, data: copyBytes(data, start - offset, cs - offset) });
      start = Math.max(start, ce);
    }
    if (start < end) pieces.push({ offset: start, data: copyBytes(data, start - offset, end - offset) });
    if (pieces.length === 0) return;
    const chunks = d.chunks;
    const inOrder = chunks.length === 0 || chunks[chunks.length - 1].offset < pieces[0].offset;
    for (const piece of pieces) chunks.push(piece);
    // Fragments mostly arrive in order: sort only when this one did not.
    if (!inOrder) chunks.sort((a, b) => a.offset - b.offset);
  }

  private emit(p: DecodedPacket, d: Pending): number {
    const header = d.header as Uint8Array;
    const out = Buffer.alloc(header.length + d.totalLen);
    out.set(header, 0);
    for (const c of d.chunks) {
      const room = d.totalLen - c.offset;
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

  /** Drops datagrams that waited longer than the timeout; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [k, d] of this.pending) {
      if (now - d.firstTs > this.limits.timeoutSeconds) {
        this.pending.delete(k);
        n++;
      }
    }
    this.timedOut += n;
    return n;
  }
}
