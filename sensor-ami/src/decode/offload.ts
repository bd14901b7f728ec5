// What a checksum left unfinished by checksum offloading looks like. A host that offloads
// checksums hands its NIC packets whose checksum the NIC fills in on the way out, so a capture
// taken on that host (or in a VM whose virtual NIC passes packets on unfinished) sees them before
// that happens:
//   - TCP/UDP/ICMPv6: the stack has already put the one's-complement sum of the pseudo header in
//     the checksum field (Linux CHECKSUM_PARTIAL, the BSDs' and macOS's csum_data), so the NIC only
//     has to add the segment. TSO drivers (Intel's, FreeBSD's in_pseudo) leave the length out of
//     that sum. A few drivers leave TCP's field at zero.
//   - IPv4 header: Windows and macOS also offload the header checksum and leave the field zero.
// A failure of this shape is offloading, not corruption: a random corruption lands on exactly
// these values once in 65,536. Called only for checksums that failed (off the common path).

import { wordHalves } from "./checksum.js";
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, pseudoHeaderAddressSum } from "./ip.js";
import type { DecodedPacket } from "./packet.js";

/** End-around-carry fold of a small non-negative integer into 0..0xffff. */
function fold(x: number): number {
  x = (x & 0xffff) + (x >>> 16);
  return (x & 0xffff) + (x >>> 16);
}

/**
 * Whether the failed TCP/UDP/ICMPv6 checksum of `p` holds what a sending host writes before its
 * NIC finishes the checksum: the pseudo-header sum (with or without the length), or zero for TCP.
 */
export function transportChecksumLooksOffloaded(p: DecodedPacket, proto: number): boolean {
  // ICMPv4 has no pseudo header and is checksummed by the stack itself: never offloaded.
  if (proto === IPPROTO_ICMP) return false;
  const at = p.l4Off + (proto === IPPROTO_TCP ? 16 : proto === IPPROTO_UDP ? 6 : 2);
  if (at + 2 > p.capEnd) return false;
  const field = (p.buf[at] << 8) | p.buf[at + 1];
  if (field === 0) return proto === IPPROTO_TCP;
  const addresses = pseudoHeaderAddressSum(p, proto);
  return field === fold(addresses + wordHalves(p.l4Len)) || field === fold(addresses);
}

/** Whether a failed IPv4 header checksum is an unset (zero) field: header checksum offloading. */
export function ipv4ChecksumLooksOffloaded(p: DecodedPacket): boolean {
  const at = p.ipOff + 10;
  return p.buf[at] === 0 && p.buf[at + 1] === 0;
}
