// Tunnel decoders: VXLAN (RFC 7348), GENEVE (RFC 8926), GRE (RFC 2784/2890) and the ERSPAN
// type II/III headers carried in GRE. Each validates the encapsulation header in place, sets the
// VNI where there is one, and returns where the inner frame starts and what it is.
//
// VXLAN                                    GENEVE
// +-+-+-+-+-+-+-+-+-----------------+      +---+------+-+-+--------+---------------+
// |R|R|R|R|I|R|R|R| reserved (24)   |      |Ver|OptLen|O|C| rsvd   | protocol type |
// +-----------------+---------------+      +-----------------------+---------------+
// |        VNI (24)  | reserved (8) |      |        VNI (24)       | reserved (8)  |
// +-----------------+---------------+      +-----------------------+---------------+
//                                          | options (OptLen * 4 bytes)            |
// GRE
// +-+-+-+-+-+---------+-----+-------------------------------+
// |C|R|K|S|s|Recur|Flags| Ver |        Protocol Type        |
// +-+-+-+-+-+---------+-----+-------------------------------+
// | checksum+reserved (if C or R) | key (if K) | seq (if S) |

import { VXLAN_FLAG_VNI_VALID, VXLAN_HEADER_BYTES } from "../capture/link-types.js";
import { type DecodedPacket, Layer } from "./packet.js";
import { W } from "./weirds.js";

export const GENEVE_PORT = 6081;
export const VXLAN_PORT = 4789;

const GENEVE_ETHERNET = 0x6558;
const GRE_TEB = 0x6558;
const GRE_IPV4 = 0x0800;
const GRE_IPV6 = 0x86dd;
const GRE_ERSPAN_II = 0x88be;
const GRE_ERSPAN_III = 0x22eb;

/** Result of a tunnel decoder: the inner layer's offset is written here. */
export class TunnelResult {
  innerOff = 0;
  /** Encapsulation type for records: "vxlan", "geneve", "gre", "erspan". */
  kind = "";
}

export function decodeVxlan(p: DecodedPacket, r: TunnelResult): number {
  const b = p.buf;
  const o = p.payloadOff;
  if (o + VXLAN_HEADER_BYTES > p.capEnd || p.payloadLen < VXLAN_HEADER_BYTES) return -W.truncatedVxlan;
  // Only the I flag (VNI valid) may be set; anything else is not VXLAN as AWS or RFC 7348 send it.
  if ((b[o] & VXLAN_FLAG_VNI_VALID) === 0) return -W.vxlanReservedBits;
  p.vni = (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6];
  r.innerOff = o + VXLAN_HEADER_BYTES;
  r.kind = "vxlan";
  return Layer.Ethernet;
}

export function decodeGeneve(p: DecodedPacket, r: TunnelResult): number {
  const b = p.buf;
  const o = p.payloadOff;
  if (o + 8 > p.capEnd || p.payloadLen < 8) return -W.truncatedGeneve;
  if (b[o] >> 6 !== 0) return -W.truncatedGeneve;
  const optLen = (b[o] & 0x3f) << 2;
  const proto = (b[o + 2] << 8) | b[o + 3];
  const inner = o + 8 + optLen;
  if (inner > p.capEnd) return -W.truncatedGeneve;
  p.vni = (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6];
  r.innerOff = inner;
  r.kind = "geneve";
  if (proto === GENEVE_ETHERNET) return Layer.Ethernet;
  if (proto === GRE_IPV4) return Layer.IPv4;
  if (proto === GRE_IPV6) return Layer.IPv6;
  return Layer.NonIp;
}

export function decodeGre(p: DecodedPacket, r: TunnelResult): number {
  const b = p.buf;
  const o = p.l4Off;
  const end = p.capEnd;
  if (o + 4 > end) return -W.truncatedGre;
  const flags = b[o];
  const version = b[o + 1] & 0x07;
  const proto = (b[o + 2] << 8) | b[o + 3];
  let hl = 4;
  if (version === 0) {
    if (flags & 0xc0) hl += 4; // checksum (+reserved1), also present when routing bit set
    if (flags & 0x20) hl += 4; // key
    if (flags & 0x10) hl += 4; // sequence
  } else if (version === 1) {
    // Enhanced GRE (PPTP): key always present, optional sequence and acknowledgment.
    hl += 4;
    if (flags & 0x10) hl += 4;
    if (b[o + 1] & 0x80) hl += 4;
  } else {
    return -W.unknownGreVersion;
  }
  let inner = o + hl;
  if (inner > end) return -W.truncatedGre;
  r.kind = "gre";
  switch (proto) {
    case GRE_TEB:
      r.innerOff = inner;
      return Layer.Ethernet;
    case GRE_IPV4:
      r.innerOff = inner;
      return Layer.IPv4;
    case GRE_IPV6:
      r.innerOff = inner;
      return Layer.IPv6;
    case GRE_ERSPAN_II:
      // ERSPAN type I has no header (and no sequence bit); type II has 8 bytes.
      if (flags & 0x10) inner += 8;
      if (inner > end) return -W.truncatedErspan;
      r.innerOff = inner;
      r.kind = "erspan";
      return Layer.Ethernet;
    case GRE_ERSPAN_III: {
      if (inner + 12 > end) return -W.truncatedErspan;
      const hasSubheader = (b[inner + 11] & 0x01) !== 0;
      inner += 12 + (hasSubheader ? 8 : 0);
      if (inner > end) return -W.truncatedErspan;
      r.innerOff = inner;
      r.kind = "erspan";
      return Layer.Ethernet;
    }
    default:
      return -W.unknownGreProtocol;
  }
}
