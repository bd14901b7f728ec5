// Which of the replay's source ports carries a frame: a hash of the inner 5-tuple, as AWS picks the
// outer source port of a mirrored packet per flow. Not symmetric by default (AWS may give the two
// directions of a connection different outer ports, and the sensor must not rely on them being
// equal); `symmetric` orders the endpoints first so both directions share a port.

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, d: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ d[i], FNV_PRIME);
  return h;
}

function compare(d: Uint8Array, a: number, b: number, n: number): number {
  for (let i = 0; i < n; i++) if (d[a + i] !== d[b + i]) return d[a + i] - d[b + i];
  return 0;
}

/**
 * Hash of the inner flow of the Ethernet frame d[at, at + length): addresses, protocol and ports
 * for IPv4/IPv6 TCP, UDP and SCTP (addresses and protocol for the rest, and for fragments after
 * the first), the MAC addresses for non-IP frames. Unsigned 32-bit.
 */
export function innerFlowHash(d: Uint8Array, at: number, length: number, symmetric = false): number {
  const end = at + length;
  let p = at + 12;
  if (p + 2 > end) return fnv(FNV_OFFSET, d, at, end) >>> 0;
  let etherType = (d[p] << 8) | d[p + 1];
  while ((etherType === 0x8100 || etherType === 0x88a8 || etherType === 0x9100) && p + 6 <= end) {
    p += 4;
    etherType = (d[p] << 8) | d[p + 1];
  }
  p += 2;
  let src: number;
  let dst: number;
  let addrLen: number;
  let proto: number;
  let l4: number;
  if (etherType === ETHERTYPE_IPV4 && p + 20 <= end) {
    addrLen = 4;
    src = p + 12;
    dst = p + 16;
    proto = d[p + 9];
    const fragmentOffset = ((d[p + 6] & 0x1f) << 8) | d[p + 7];
    l4 = fragmentOffset === 0 ? p + (d[p] & 0x0f) * 4 : -1;
  } else if (etherType === ETHERTYPE_IPV6 && p + 40 <= end) {
    addrLen = 16;
    src = p + 8;
    dst = p + 24;
    proto = d[p + 6];
    l4 = p + 40;
  } else {
    return fnv(FNV_OFFSET, d, at, Math.min(at + 12, end)) >>> 0;
  }
  const hasPorts = (proto === 6 || proto === 17 || proto === 132) && l4 >= 0 && l4 + 4 <= end;
  let h = FNV_OFFSET;
  let first = src;
  let second = dst;
  let firstPort = hasPorts ? l4 : -1;
  let secondPort = hasPorts ? l4 + 2 : -1;
  if (symmetric) {
    const order = compare(d, src, dst, addrLen) || (hasPorts ? compare(d, l4, l4 + 2, 2) : 0);
    if (order > 0) {
      first = dst;
      second = src;
      firstPort = secondPort;
      secondPort = hasPorts ? l4 : -1;
    }
  }
  h = fnv(h, d, first, first + addrLen);
  h = fnv(h, d, second, second + addrLen);
  h = Math.imul(h ^ proto, FNV_PRIME);
  if (hasPorts) {
    h = fnv(h, d, firstPort, firstPort + 2);
    h = fnv(h, d, secondPort, secondPort + 2);
  }
  // Final avalanche, so that `% ports` uses every bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
