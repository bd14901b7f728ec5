// The decoded view of one packet. One instance is reused for every packet (and every tunnel
// level): decoders write plain numeric fields in place instead of allocating layer objects.

/** What the decoder found next; negative values are weird reasons (see weirds.ts). */
export enum Layer {
  Ethernet = 1,
  IPv4 = 2,
  IPv6 = 3,
  Tcp = 4,
  Udp = 5,
  Icmp = 6,
  Icmp6 = 7,
  OtherIp = 8,
  /** A valid frame that carries no IP (ARP, STP, LLC…): counted, not tracked. */
  NonIp = 9,
  /** An IP fragment was stored; nothing to track until the datagram is complete. */
  FragmentHeld = 10,
  Gre = 11,
}

export class DecodedPacket {
  /** Buffer the current layer offsets refer to (the capture buffer or a reassembly buffer). */
  buf: Uint8Array = Buffer.alloc(0);
  /** One past the last captured byte of this packet in buf. */
  capEnd = 0;

  // Link
  vlan = 0;
  innerVlan = 0;
  vlanDepth = 0;

  // IP
  ipVersion = 0;
  ipOff = 0;
  ipHdrLen = 0;
  /** Total length from the IP header (IPv6: payload length + 40): Zeek's *_ip_bytes. */
  ipTotalLen = 0;
  /** End of this IP datagram in buf according to its length field (clamped to capEnd). */
  ipEnd = 0;
  ttl = 0;
  ipId = 0;
  proto = 0;
  /**
   * Addresses as four 32-bit words each, IPv4 stored IPv4-mapped (::ffff:a.b.c.d). Words, like
   * seq/ack, are signed int32 so V8 keeps them as small integers; use `>>> 0` for unsigned order.
   */
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  d0 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;

  // Transport
  l4Off = 0;
  /** Transport length according to the IP header (may exceed what was captured). */
  l4Len = 0;
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  win = 0;
  tcpHdrLen = 0;
  icmpType = 0;
  icmpCode = 0;
  payloadOff = 0;
  /** Payload length from the headers. */
  payloadLen = 0;
  /** Payload bytes actually captured (<= payloadLen when the snap length cut the packet). */
  payloadCap = 0;
  /** Transport checksum was verified and is wrong. */
  badChecksum = false;

  // Tunnels
  tunnelDepth = 0;
  /** VNI of the innermost VXLAN/GENEVE encapsulation, or -1. */
  vni = -1;
  /** The live source's mirror origin of the frame (engine/frame.ts), 0 for files. */
  origin = 0;

  resetForTunnel(): void {
    this.vlan = 0;
    this.innerVlan = 0;
    this.vlanDepth = 0;
    this.badChecksum = false;
  }
}

/** The TCP flag bits (RFC 9293 §3.1), exported as the whole table; PSH is only named here. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
