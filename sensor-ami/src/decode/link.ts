// Link-layer decoders: Ethernet with any number of 802.1Q/802.1ad tags, MPLS label stacks,
// PPPoE session, Linux cooked v1/v2, BSD loopback and raw IP. Each reads in place and says which
// layer comes next (or returns -weird when the frame is cut off or malformed).
//
// Ethernet II                              802.1Q / 802.1ad tag
// +--------+--------+------+               +-----+---+--------+-----------+
// | dst(6) | src(6) | type |               | PCP |DEI|VID(12) | type (16) |
// +--------+--------+------+               +-----+---+--------+-----------+
//
// MPLS label stack entry (RFC 3032)         PPPoE session (RFC 2516)
// +-------------+----+--+--------+          +-+-+------+--------+--------+-------------+
// | label (20)  | TC |S | TTL (8)|          |V|T| code | sess id| length | PPP proto   |
// +-------------+----+--+--------+          +-+-+------+--------+--------+-------------+
//                                           PPP proto: 2 octets, or 1 when compressed (odd)

import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD_12,
  LINKTYPE_RAW_BSD_14,
} from "../capture/link-types.js";
import { type DecodedPacket, Layer } from "./packet.js";
import { W } from "./weirds.js";

/** A live source's VXLAN datagram (capture/link-types.ts): the engine decodes it, not decodeLink. */
export { LINKTYPE_VXLAN_DATAGRAM } from "../capture/link-types.js";

/** Deeper tag stacks than this are treated as garbage rather than followed. */
const MAX_LINK_TAGS = 8;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD1 = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
const ETH_MPLS_UC = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_PPPOE_SESSION = 0x8864;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** Decodes the link header of a captured frame; sets p.ipOff when IP follows. */
export function decodeLink(p: DecodedPacket, off: number, linkType: number): number {
  const b = p.buf;
  const end = p.capEnd;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(p, off);
    case LINKTYPE_LINUX_SLL:
      if (off + 16 > end) return -W.truncatedLink;
      return decodeEtherType(p, off + 16, (b[off + 14] << 8) | b[off + 15]);
    case LINKTYPE_LINUX_SLL2:
      if (off + 20 > end) return -W.truncatedLink;
      return decodeEtherType(p, off + 20, (b[off] << 8) | b[off + 1]);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (off + 4 > end) return -W.truncatedLink;
      // The family is in the capturing host's byte order (NULL) or network order (LOOP); a
      // value above 0xffff in one order means the other one is right.
      let family = b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
      if (linkType === LINKTYPE_LOOP || family >>> 16 !== 0) {
        family = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
      }
      p.ipOff = off + 4;
      if (family === 2) return Layer.IPv4;
      if (family === 10 || family === 24 || family === 28 || family === 30) return Layer.IPv6;
      return Layer.NonIp;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6: {
      if (off >= end) return -W.truncatedIp;
      p.ipOff = off;
      const v = b[off] >> 4;
      if (v === 4) return Layer.IPv4;
      if (v === 6) return Layer.IPv6;
      return -W.unknownIpVersion;
    }
    default:
      return -W.unknownLinkType;
  }
}

export function decodeEthernet(p: DecodedPacket, off: number): number {
  if (off + 14 > p.capEnd) return -W.truncatedLink;
  const b = p.buf;
  return decodeEtherType(p, off + 14, (b[off + 12] << 8) | b[off + 13]);
}

function decodeEtherType(p: DecodedPacket, off: number, type: number): number {
  const b = p.buf;
  const end = p.capEnd;
  for (let tags = 0; tags <= MAX_LINK_TAGS; tags++) {
    switch (type) {
      case ETH_IPV4:
        p.ipOff = off;
        return Layer.IPv4;
      case ETH_IPV6:
        p.ipOff = off;
        return Layer.IPv6;
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD1:
      case ETH_QINQ_OLD2: {
        if (off + 4 > end) return -W.truncatedLink;
        const vid = ((b[off] & 0x0f) << 8) | b[off + 1];
        if (p.vlanDepth === 0) p.vlan = vid;
        else if (p.vlanDepth === 1) p.innerVlan = vid;
        p.vlanDepth++;
        type = (b[off + 2] << 8) | b[off + 3];
        off += 4;
        continue;
      }
      case ETH_MPLS_UC:
      case ETH_MPLS_MC: {
        let bottom = 0;
        for (let labels = 0; bottom === 0; labels++) {
          if (off + 4 > end) return -W.truncatedMpls;
          if (labels > MAX_LINK_TAGS) return -W.tooManyVlans;
          bottom = b[off + 2] & 1;
          off += 4;
        }
        if (off >= end) return -W.truncatedMpls;
        // MPLS does not say what it carries: like Zeek, look at the IP version nibble.
        const v = b[off] >> 4;
        p.ipOff = off;
        if (v === 4) return Layer.IPv4;
        if (v === 6) return Layer.IPv6;
        return Layer.NonIp;
      }
      case ETH_PPPOE_SESSION: {
        if (off + 7 > end) return -W.truncatedPppoe;
        // PPP protocol-field compression (RFC 1661 §6.5): a first octet with its low bit set is
        // the whole (one-octet) field, since every two-octet protocol number has an even first octet.
        let ppp = b[off + 6];
        let ipOff = off + 7;
        if ((ppp & 1) === 0) {
          if (off + 8 > end) return -W.truncatedPppoe;
          ppp = (ppp << 8) | b[off + 7];
          ipOff = off + 8;
        }
        p.ipOff = ipOff;
        if (ppp === PPP_IPV4) return Layer.IPv4;
        if (ppp === PPP_IPV6) return Layer.IPv6;
        return Layer.NonIp;
      }
      default:
        return Layer.NonIp;
    }
  }
  return -W.tooManyVlans;
}
