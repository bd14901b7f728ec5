// Which engine a mirrored datagram belongs to: a hash of the inner packet's two IP addresses,
// the same whichever is the source. Not the outer header (AWS derives the outer source port from
// the inner 5-tuple and does not promise both directions the same one; the kernel's and the NLB's
// hashes see only the outer header), and not the inner ports (a non-first fragment has none).
// Both directions, every fragment and both mirrored copies of a packet therefore meet in one
// engine, whatever the outer ports and VNIs are.
//
//  VXLAN (RFC 7348)          0                   1                   2                   3
//                            0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//                           +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                           |R|R|R|R|I|R|R|R|            Reserved                           |
//                           +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                           |                VXLAN Network Identifier (VNI) |   Reserved    |
//                           +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  then the mirrored Ethernet frame: 6+6 addresses, optional 802.1Q/802.1ad tags, EtherType.

import { VXLAN_FLAG_VNI_VALID, VXLAN_HEADER_BYTES } from "../capture/link-types.js";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
/** VLAN tags followed before giving up (a frame with more is hashed as non-IP). */
const MAX_VLAN_TAGS = 2;

/** The result of `locateInnerIp`, reused: one object per dispatcher. */
export class InnerFlow {
  /** Offset of the inner IP header from the datagram's start; 0 when there is none (non-IP, truncated, not VXLAN). */
  ipOffset = 0;
  /** Symmetric hash of the inner addresses (0 for non-IP). */
  hash = 0;
  /** The datagram carries VXLAN as AWS sends it (I flag set, at least a header). */
  vxlan = false;
  vni = 0;
}

/** 32-bit finalizer (murmur3 fmix32): spreads every input bit over the word. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function word(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Reads datagram b[start, end) in place and fills `out`. Never throws. */
export function locateInnerIp(b: Uint8Array, start: number, end: number, out: InnerFlow): void {
  out.ipOffset = 0;
  out.hash = 0;
  out.vni = 0;
  out.vxlan = end - start >= VXLAN_HEADER_BYTES && (b[start] & VXLAN_FLAG_VNI_VALID) !== 0;
  if (!out.vxlan) return;
  out.vni = (b[start + 4] << 16) | (b[start + 5] << 8) | b[start + 6];
  let o = start + VXLAN_HEADER_BYTES + 12;
  if (o + 2 > end) return;
  let type = (b[o] << 8) | b[o + 1];
  for (
    let tags = 0;
    (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) &&
    tags < MAX_VLAN_TAGS;
    tags++
  ) {
    o += 4;
    if (o + 2 > end) return;
    type = (b[o] << 8) | b[o + 1];
  }
  const ip = o + 2;
  if (type === ETHERTYPE_IPV4 && ip + 20 <= end && b[ip] >> 4 === 4) {
    out.ipOffset = ip - start;
    // Addition commutes: a→b and b→a hash alike.
    out.hash = (mix(word(b, ip + 12)) + mix(word(b, ip + 16))) >>> 0;
  } else if (type === ETHERTYPE_IPV6 && ip + 40 <= end && b[ip] >> 4 === 6) {
    out.ipOffset = ip - start;
    let s = 0;
    let d = 0;
    for (let i = 0; i < 16; i += 4) {
      s = mix(s ^ word(b, ip + 8 + i));
      d = mix(d ^ word(b, ip + 24 + i));
    }
    out.hash = (s + d) >>> 0;
  }
}

/** The engine (0 … workers-1) for a hash; non-IP frames go to engine 0. */
export function engineFor(hash: number, workers: number): number {
  // The high bits: after mix() they are as good as the low ones, and the modulo of a power of two
  // would otherwise look only at the low bits of the sum.
  return workers === 1 ? 0 : Math.floor((hash / 0x1_0000_0000) * workers);
}
