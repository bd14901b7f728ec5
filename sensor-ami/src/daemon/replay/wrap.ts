// One capture frame as AWS VPC Traffic Mirroring sends it: the VXLAN header (flags 0x08, the
// session's 24-bit VNI) followed by the mirrored Ethernet frame. Frames of other link types get a
// synthetic Ethernet header carrying the right EtherType; with vniFromVlan the frame's outer
// 802.1Q/802.1ad VLAN ID becomes the VNI and the tag is removed (a tagged capture stands in for
// several mirror sessions).

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
  VXLAN_FLAG_VNI_VALID,
  VXLAN_HEADER_BYTES,
} from "../../capture/link-types.js";
import type { Frame } from "../../engine/frame.js";

const ETHERNET_HEADER_BYTES = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
/** Synthetic Ethernet addresses for frames captured without one (locally administered). */
export const SYNTHETIC_DST_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x02]);
export const SYNTHETIC_SRC_MAC = Buffer.from([0x02, 0, 0, 0, 0, 0x01]);
/** The largest UDP payload of one IPv4 datagram. */
export const MAX_UDP_PAYLOAD = 65507;

export interface WrapOptions {
  /** VNI of every frame (or of untagged frames with vniFromVlan). */
  vni: number;
  vniFromVlan: boolean;
}

/** Why a frame was not sent. */
export type SkipReason =
  | "unsupported link type"
  | "not IP (no EtherType known)"
  | "too short"
  | "too large for UDP";

export type WrapResult =
  | { ok: true; length: number; vni: number; untagged: boolean }
  | { ok: false; reason: SkipReason };

function writeVxlan(out: Buffer, at: number, vni: number): void {
  out[at] = VXLAN_FLAG_VNI_VALID;
  out[at + 1] = 0;
  out[at + 2] = 0;
  out[at + 3] = 0;
  out[at + 4] = (vni >>> 16) & 0xff;
  out[at + 5] = (vni >>> 8) & 0xff;
  out[at + 6] = vni & 0xff;
  out[at + 7] = 0;
}

/** EtherType for an IP packet from its version nibble, or 0. */
function ipEtherType(first: number | undefined): number {
  const version = (first ?? 0) >> 4;
  return version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0;
}

/** Where the network-layer packet starts and its EtherType, for non-Ethernet link types. */
function network(frame: Frame): { skip: number; etherType: number } | SkipReason {
  const d = frame.data;
  const o = frame.offset;
  const n = frame.caplen;
  switch (frame.linkType) {
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14:
      return n < 1 ? "too short" : { skip: 0, etherType: ipEtherType(d[o]) };
    case LINKTYPE_IPV4:
      return { skip: 0, etherType: ETHERTYPE_IPV4 };
    case LINKTYPE_IPV6:
      return { skip: 0, etherType: ETHERTYPE_IPV6 };
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return n < 5 ? "too short" : { skip: 4, etherType: ipEtherType(d[o + 4]) };
    case LINKTYPE_LINUX_SLL:
      return n < 16 ? "too short" : { skip: 16, etherType: (d[o + 14] << 8) | d[o + 15] };
    case LINKTYPE_LINUX_SLL2:
      return n < 20 ? "too short" : { skip: 20, etherType: (d[o] << 8) | d[o + 1] };
    default:
      return "unsupported link type";
  }
}

/**
 * Writes `frame` wrapped in VXLAN into out[at...]; the caller leaves room for caplen + 8 + 14
 * bytes. Returns the datagram's length and VNI, or why it cannot be sent.
 */
export function wrapFrame(frame: Frame, out: Buffer, at: number, options: WrapOptions): WrapResult {
  const d = frame.data;
  const o = frame.offset;
  const n = frame.caplen;
  const inner = at + VXLAN_HEADER_BYTES;
  let length: number;
  let vni = options.vni;
  let untagged = false;
  if (frame.linkType === LINKTYPE_ETHERNET) {
    if (n < ETHERNET_HEADER_BYTES) return { ok: false, reason: "too short" };
    const etherType = (d[o + 12] << 8) | d[o + 13];
    if (options.vniFromVlan && (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ) && n >= 18) {
      vni = ((d[o + 14] << 8) | d[o + 15]) & 0x0fff;
      out.set(d.subarray(o, o + 12), inner);
      out.set(d.subarray(o + 16, o + n), inner + 12);
      length = n - 4;
    } else {
      untagged = options.vniFromVlan;
      out.set(d.subarray(o, o + n), inner);
      length = n;
    }
  } else {
    const net = network(frame);
    if (typeof net === "string") return { ok: false, reason: net };
    if (net.etherType === 0) return { ok: false, reason: "not IP (no EtherType known)" };
    out.set(SYNTHETIC_DST_MAC, inner);
    out.set(SYNTHETIC_SRC_MAC, inner + 6);
    out[inner + 12] = net.etherType >> 8;
    out[inner + 13] = net.etherType & 0xff;
    out.set(d.subarray(o + net.skip, o + n), inner + ETHERNET_HEADER_BYTES);
    length = ETHERNET_HEADER_BYTES + n - net.skip;
    untagged = options.vniFromVlan;
  }
  if (VXLAN_HEADER_BYTES + length > MAX_UDP_PAYLOAD) return { ok: false, reason: "too large for UDP" };
  writeVxlan(out, at, vni);
  return { ok: true, length: VXLAN_HEADER_BYTES + length, vni, untagged };
}
