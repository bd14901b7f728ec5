// The connection a captured Ethernet frame belongs to, as conn.log names it: protocol, addresses
// as Zeek prints them, ports (ICMP: type and code, as Zeek's orig_p/resp_p). Enough of the headers
// to match a frame to a record, no more: VLAN tags are skipped, IPv6 extension headers walked, a
// non-first fragment (no transport header) matches by addresses and protocol only.

import { formatIPv4, formatIPv6 } from "../text/ip.js";

export interface Flow {
  proto: "tcp" | "udp" | "icmp";
  src: string;
  dst: string;
  /** Undefined for a non-first fragment. */
  sport: number | undefined;
  dport: number | undefined;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);
const ETHERNET_HEADER_BYTES = 14;
const VLAN_TAG_BYTES = 4;
const IPV6_HEADER_BYTES = 40;
const IPV6_FRAGMENT = 44;
/** IPv6 extension headers whose length is in 8-octet units after the first 8. */
const IPV6_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const PROTOCOLS: Record<number, Flow["proto"]> = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp" };

/** The flow of the frame `b[at, end)`, or undefined when it is not TCP, UDP or ICMP over IP. */
export function frameFlow(b: Uint8Array, at: number, end: number): Flow | undefined {
  let p = at + ETHERNET_HEADER_BYTES - 2;
  if (p + 2 > end) return undefined;
  let type = (b[p] << 8) | b[p + 1];
  while (VLAN_TAGS.has(type)) {
    p += VLAN_TAG_BYTES;
    if (p + 2 > end) return undefined;
    type = (b[p] << 8) | b[p + 1];
  }
  p += 2;
  if (type === ETHERTYPE_IPV4) {
    if (p + 20 > end || b[p] >> 4 !== 4) return undefined;
    const ihl = (b[p] & 0x0f) * 4;
    const fragmentOffset = ((b[p + 6] & 0x1f) << 8) | b[p + 7];
    return transport(
      b,
      p + ihl,
      end,
      b[p + 9],
      formatIPv4(b, p + 12),
      formatIPv4(b, p + 16),
      fragmentOffset !== 0,
    );
  }
  if (type === ETHERTYPE_IPV6) {
    if (p + IPV6_HEADER_BYTES > end || b[p] >> 4 !== 6) return undefined;
    const src = formatIPv6(b, p + 8);
    const dst = formatIPv6(b, p + 24);
    let next = b[p + 6];
    let q = p + IPV6_HEADER_BYTES;
    let later = false;
    while (q + 8 <= end) {
      if (next === IPV6_FRAGMENT) {
        later = (((b[q + 2] << 8) | b[q + 3]) & 0xfff8) !== 0;
        next = b[q];
        q += 8;
      } else if (IPV6_EXTENSIONS.has(next)) {
        next = b[q];
        q += (b[q + 1] + 1) * 8;
      } else break;
    }
    return transport(b, q, end, next, src, dst, later);
  }
  return undefined;
}

function transport(
  b: Uint8Array,
  p: number,
  end: number,
  protocol: number,
  src: string,
  dst: string,
  laterFragment: boolean,
): Flow | undefined {
  const proto = PROTOCOLS[protocol];
  if (proto === undefined) return undefined;
  if (laterFragment) return { proto, src, dst, sport: undefined, dport: undefined };
  if (proto === "icmp") {
    if (p + 2 > end) return undefined;
    return { proto, src, dst, sport: b[p], dport: b[p + 1] };
  }
  if (p + 4 > end) return undefined;
  return { proto, src, dst, sport: (b[p] << 8) | b[p + 1], dport: (b[p + 2] << 8) | b[p + 3] };
}

/** A connection as conn.log gives it: `id.orig_h` and the rest. */
export interface ConnKey {
  proto: Flow["proto"];
  origH: string;
  origP: number;
  respH: string;
  respP: number;
}

/**
 * Whether a frame belongs to the connection, in either direction. ICMP matches by addresses only:
 * Zeek's orig_p/resp_p of an ICMP "connection" are the request's type and code, which the reply
 * does not carry.
 */
export function flowMatches(f: Flow, k: ConnKey): boolean {
  if (f.proto !== k.proto) return false;
  const forward = f.src === k.origH && f.dst === k.respH;
  const backward = f.src === k.respH && f.dst === k.origH;
  if (!forward && !backward) return false;
  if (f.proto === "icmp" || f.sport === undefined) return true;
  return forward ? f.sport === k.origP && f.dport === k.respP : f.sport === k.respP && f.dport === k.origP;
}
