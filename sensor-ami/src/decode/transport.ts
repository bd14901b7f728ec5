// TCP, UDP and ICMP/ICMPv6 header decoders (in place, no allocation).
//
// TCP (RFC 9293)
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// |                        Sequence Number                        |
// |                    Acknowledgment Number                      |
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// UDP (RFC 768): source port | destination port | length | checksum
// ICMP (RFC 792) / ICMPv6 (RFC 4443): type | code | checksum | rest of header (4)

import { checksumVerifies, onesSum } from "./checksum.js";
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, transportChecksumOk } from "./ip.js";
import type { DecodedPacket } from "./packet.js";
import { W } from "./weirds.js";

function captured(p: DecodedPacket): void {
  const avail = p.ipEnd - p.payloadOff;
  p.payloadCap = avail < 0 ? 0 : Math.min(avail, p.payloadLen);
}

export function decodeTcp(p: DecodedPacket, verifyChecksum: boolean): number {
  const b = p.buf;
  const o = p.l4Off;
  if (o + 20 > p.capEnd || p.l4Len < 20) return -W.truncatedHeader;
  const hl = (b[o + 12] >> 4) << 2;
  if (hl < 20 || hl > p.l4Len) return -W.badTcpHeaderLen;
  if (o + hl > p.capEnd) return -W.truncatedHeader;
  p.sport = (b[o] << 8) | b[o + 1];
  p.dport = (b[o + 2] << 8) | b[o + 3];
  p.seq = (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
  p.ack = (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11];
  p.tcpFlags = b[o + 13];
  p.win = (b[o + 14] << 8) | b[o + 15];
  p.tcpHdrLen = hl;
  p.payloadOff = o + hl;
  p.payloadLen = p.l4Len - hl;
  captured(p);
  p.badChecksum = verifyChecksum && !transportChecksumOk(p, IPPROTO_TCP);
  return 0;
}

export function decodeUdp(p: DecodedPacket, verifyChecksum: boolean): number {
  const b = p.buf;
  const o = p.l4Off;
  if (o + 8 > p.capEnd || p.l4Len < 8) return -W.truncatedHeader;
  p.sport = (b[o] << 8) | b[o + 1];
  p.dport = (b[o + 2] << 8) | b[o + 3];
  const ulen = (b[o + 4] << 8) | b[o + 5];
  p.payloadOff = o + 8;
  // Trust the UDP length when it fits in the IP datagram; otherwise fall back to the IP length.
  p.payloadLen = ulen >= 8 && ulen <= p.l4Len ? ulen - 8 : p.l4Len - 8;
  captured(p);
  const sum = (b[o + 6] << 8) | b[o + 7];
  // A zero checksum means "not computed" for IPv4 (RFC 768); IPv6 forbids it, but many stacks
  // and tunnel encapsulators send it anyway (RFC 6935), so zero is accepted for both.
  p.badChecksum = verifyChecksum && sum !== 0 && ulen === p.l4Len && !transportChecksumOk(p, IPPROTO_UDP);
  return 0;
}

export function decodeIcmp(p: DecodedPacket, v6: boolean, verifyChecksum: boolean): number {
  const b = p.buf;
  const o = p.l4Off;
  if (o + 4 > p.capEnd || p.l4Len < 4) return -W.truncatedHeader;
  p.icmpType = b[o];
  p.icmpCode = b[o + 1];
  const hdr = p.l4Len >= 8 ? 8 : 4;
  p.payloadOff = o + hdr;
  p.payloadLen = p.l4Len - hdr;
  captured(p);
  if (verifyChecksum) {
    if (v6) p.badChecksum = !transportChecksumOk(p, IPPROTO_ICMPV6);
    else p.badChecksum = !icmp4ChecksumOk(p);
  } else {
    p.badChecksum = false;
  }
  return 0;
}

function icmp4ChecksumOk(p: DecodedPacket): boolean {
  const end = p.l4Off + p.l4Len;
  if (end > p.capEnd) return true;
  return checksumVerifies(onesSum(p.buf, p.l4Off, end, 0));
}
