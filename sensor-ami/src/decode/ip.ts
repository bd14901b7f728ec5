// IPv4 and IPv6 decoders. They fill addresses, protocol and lengths in place and report
// fragments to the caller (reassembly lives in fragments.ts, off the hot path).
//
// IPv4 (RFC 791)
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// |         Identification        |Flags|      Fragment Offset    |
// |  Time to Live |    Protocol   |         Header Checksum       |
// |                       Source Address                          |
// |                    Destination Address                        |
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// IPv6 (RFC 8200): version(4) class(8) flow(20) | payload length(16) next header(8) hop limit(8)
// | source(128) | destination(128), then extension headers (hop-by-hop 0, routing 43,
// fragment 44, destination options 60, AH 51, mobility 135) until the upper-layer header.

import { checksumVerifies, onesSum, wordHalves } from "./checksum.js";
import { type DecodedPacket, Layer } from "./packet.js";
import { W } from "./weirds.js";

/** Extension headers beyond this count are treated as an attack, not followed. */
const MAX_IPV6_EXTENSION_HEADERS = 16;

/**
 * IP protocol numbers (IANA) the decoders dispatch on, exported together as the table they are
 * although only TCP, UDP and ICMPv6 are used outside this file.
 */
export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;

/** Fragment facts of the last decoded IP header (valid when decodeIp returned a fragment). */
export class FragmentInfo {
  isFragment = false;
  /** Byte offset of this fragment's payload in the original datagram. */
  offset = 0;
  moreFragments = false;
  id = 0;
  /** IPv6: offset of the fragment header's payload; IPv4: l4Off. */
  payloadOff = 0;
  /** Upper-layer protocol carried by the fragments. */
  proto = 0;
}

function ipv4HeaderChecksumOk(b: Uint8Array, off: number, hl: number): boolean {
  return checksumVerifies(onesSum(b, off, off + hl, 0));
}

/**
 * Transport checksum over the pseudo header and the segment [l4Off, l4Off+l4Len).
 * Returns true when it verifies (or cannot be checked because the segment was not fully captured).
 */
export function transportChecksumOk(p: DecodedPacket, proto: number): boolean {
  const end = p.l4Off + p.l4Len;
  if (end > p.capEnd) return true;
  return checksumVerifies(
    onesSum(p.buf, p.l4Off, end, pseudoHeaderAddressSum(p, proto) + wordHalves(p.l4Len)),
  );
}

/**
 * The unfolded one's-complement sum of the pseudo header without its length: the protocol and the
 * source and destination addresses, from the decoded address words (the same bytes, already in
 * registers). The offload check compares a checksum field against it with and without the length.
 */
export function pseudoHeaderAddressSum(p: DecodedPacket, proto: number): number {
  let sum = proto + wordHalves(p.s3) + wordHalves(p.d3);
  if (p.ipVersion !== 4) {
    sum +=
      wordHalves(p.s0) +
      wordHalves(p.s1) +
      wordHalves(p.s2) +
      wordHalves(p.d0) +
      wordHalves(p.d1) +
      wordHalves(p.d2);
  }
  return sum;
}

export function decodeIPv4(p: DecodedPacket, frag: FragmentInfo, verifyChecksum: boolean): number {
  const b = p.buf;
  const off = p.ipOff;
  const end = p.capEnd;
  frag.isFragment = false;
  if (off + 20 > end) return -W.truncatedIp;
  const vhl = b[off];
  if (vhl >> 4 !== 4) return -W.unknownIpVersion;
  const hl = (vhl & 0x0f) << 2;
  if (hl < 20) return -W.badIpHeaderLen;
  if (off + hl > end) return -W.truncatedIp;
  let total = (b[off + 2] << 8) | b[off + 3];
  if (total === 0) {
    // TSO/LRO captures leave the length at 0; the frame length is the best available truth.
    total = end - off;
  }
  if (total < hl) return -W.badIpHeaderLen;
  p.ipVersion = 4;
  p.ipHdrLen = hl;
  p.ipTotalLen = total;
  p.ipEnd = Math.min(off + total, end);
  p.ttl = b[off + 8];
  p.ipId = (b[off + 4] << 8) | b[off + 5];
  p.proto = b[off + 9];
  p.s0 = 0;
  p.s1 = 0;
  p.s2 = 0xffff;
  p.s3 = (b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15];
  p.d0 = 0;
  p.d1 = 0;
  p.d2 = 0xffff;
  p.d3 = (b[off + 16] << 24) | (b[off + 17] << 16) | (b[off + 18] << 8) | b[off + 19];
  p.l4Off = off + hl;
  p.l4Len = total - hl;
  // Checked once the addresses are filled in: the engine's checksum policy is per sending host.
  if (verifyChecksum && !ipv4HeaderChecksumOk(b, off, hl)) return -W.badIpChecksum;
  const ff = (b[off + 6] << 8) | b[off + 7];
  if (ff & 0x3fff) {
    frag.isFragment = true;
    frag.offset = (ff & 0x1fff) << 3;
    frag.moreFragments = (ff & 0x2000) !== 0;
    frag.id = p.ipId;
    frag.payloadOff = p.l4Off;
    frag.proto = p.proto;
    return Layer.FragmentHeld;
  }
  return nextLayerForProto(p.proto);
}

export function nextLayerForProto(proto: number): number {
  switch (proto) {
    case IPPROTO_TCP:
      return Layer.Tcp;
    case IPPROTO_UDP:
      return Layer.Udp;
    case IPPROTO_ICMP:
      return Layer.Icmp;
    case IPPROTO_ICMPV6:
      return Layer.Icmp6;
    case IPPROTO_GRE:
      return Layer.Gre;
    case IPPROTO_IPIP:
      return Layer.IPv4;
    case IPPROTO_IPV6:
      return Layer.IPv6;
    default:
      return Layer.OtherIp;
  }
}

function read32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

/** Routing header types whose address list names the final destination. */
const ROUTING_SOURCE_ROUTE = 0; // RFC 2460 (deprecated by RFC 5095, still seen)
const ROUTING_MOBILE = 2; // RFC 6275: one address, the mobile node's home address
const ROUTING_SEGMENT = 4; // RFC 8754 segment routing header

/**
 * A routing header at `o` with segments left: the packet is still on its way to the address the
 * header ends at, and that address, not the header's current hop, is the responder Zeek and
 * tshark key the connection by and the one the transport checksum's pseudo header uses
 * (RFC 8200 §8.1). Type 0 and 2 list it last; segment routing (RFC 8754 §2) lists segments in
 * reverse, so it is Segment List[0]. A list that does not fit the header or the capture, or an
 * unknown type, leaves the destination as it is.
 */
function finalDestination(p: DecodedPacket, b: Uint8Array, o: number, end: number): void {
  const hdrEnd = o + ((b[o + 1] + 1) << 3);
  const type = b[o + 2];
  let at: number;
  if (type === ROUTING_SOURCE_ROUTE || type === ROUTING_MOBILE) {
    // Zeek's rule: an odd length is no whole list of addresses; type 2 carries exactly one.
    if ((b[o + 1] & 1) !== 0) return;
    const count = b[o + 1] >> 1;
    if (count === 0 || (type === ROUTING_MOBILE && count !== 1)) return;
    at = o + 8 + (count - 1) * 16;
  } else if (type === ROUTING_SEGMENT) {
    at = o + 8;
  } else {
    return;
  }
  if (at + 16 > hdrEnd || at + 16 > end) return;
  p.d0 = read32(b, at);
  p.d1 = read32(b, at + 4);
  p.d2 = read32(b, at + 8);
  p.d3 = read32(b, at + 12);
}

export function decodeIPv6(p: DecodedPacket, frag: FragmentInfo): number {
  const b = p.buf;
  const off = p.ipOff;
  const end = p.capEnd;
  frag.isFragment = false;
  if (off + 40 > end) return -W.truncatedIp6;
  if (b[off] >> 4 !== 6) return -W.unknownIpVersion;
  let payloadLen = (b[off + 4] << 8) | b[off + 5];
  if (payloadLen === 0) payloadLen = end - off - 40; // jumbogram or TSO capture
  p.ipVersion = 6;
  p.ipTotalLen = payloadLen + 40;
  p.ipEnd = Math.min(off + 40 + payloadLen, end);
  p.ttl = b[off + 7];
  p.ipId = 0;
  p.s0 = read32(b, off + 8);
  p.s1 = read32(b, off + 12);
  p.s2 = read32(b, off + 16);
  p.s3 = read32(b, off + 20);
  p.d0 = read32(b, off + 24);
  p.d1 = read32(b, off + 28);
  p.d2 = read32(b, off + 32);
  p.d3 = read32(b, off + 36);
  let next = b[off + 6];
  let o = off + 40;
  const dgramEnd = off + 40 + payloadLen;
  for (let n = 0; n < MAX_IPV6_EXTENSION_HEADERS; n++) {
    switch (next) {
      case 43: // routing: the final destination replaces the header's (see finalDestination)
        if (o + 8 > end) return -W.truncatedIp6Ext;
        if (b[o + 3] > 0) finalDestination(p, b, o, end);
        next = b[o];
        o += (b[o + 1] + 1) << 3;
        if (o > dgramEnd) return -W.truncatedIp6Ext;
        continue;
      case 0: // hop-by-hop
      case 60: // destination options
      case 135: // mobility
        if (o + 8 > end) return -W.truncatedIp6Ext;
        next = b[o];
        o += (b[o + 1] + 1) << 3;
        if (o > dgramEnd) return -W.truncatedIp6Ext;
        continue;
      case 51: // AH: length in 4-byte units minus 2
        if (o + 8 > end) return -W.truncatedIp6Ext;
        next = b[o];
        o += (b[o + 1] + 2) << 2;
        if (o > dgramEnd) return -W.truncatedIp6Ext;
        continue;
      case 44: {
        if (o + 8 > end) return -W.truncatedIp6Ext;
        const fo = (b[o + 2] << 8) | b[o + 3];
        const offset = fo & 0xfff8;
        const more = (fo & 1) !== 0;
        const proto = b[o];
        o += 8;
        if (offset === 0 && !more) {
          // Atomic fragment (RFC 6946): a whole datagram that merely carries the header.
          next = proto;
          continue;
        }
        p.proto = proto;
        p.l4Off = o;
        p.ipHdrLen = o - off;
        p.l4Len = dgramEnd - o;
        frag.isFragment = true;
        frag.offset = offset;
        frag.moreFragments = more;
        frag.id = read32(b, o - 4);
        frag.payloadOff = o;
        frag.proto = proto;
        return Layer.FragmentHeld;
      }
      default:
        p.proto = next;
        p.ipHdrLen = o - off;
        p.l4Off = o;
        p.l4Len = dgramEnd - o;
        if (p.l4Len < 0) return -W.truncatedIp6Ext;
        return nextLayerForProto(next);
    }
  }
  return -W.truncatedIp6Ext;
}
