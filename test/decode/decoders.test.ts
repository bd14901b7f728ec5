// Decoder unit tests on hex dumps of real packets from the corpus (capture and frame noted),
// including truncated ones: every layer must say what comes next or why it stopped.

import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET } from "../../sensor-ami/src/capture/link-types.js";
import { FragmentReassembler } from "../../sensor-ami/src/decode/fragments.js";
import { decodeIPv4, decodeIPv6, FragmentInfo } from "../../sensor-ami/src/decode/ip.js";
import { decodeEthernet, decodeLink } from "../../sensor-ami/src/decode/link.js";
import { DecodedPacket, Layer, TCP_SYN } from "../../sensor-ami/src/decode/packet.js";
import { decodeIcmp, decodeTcp, decodeUdp } from "../../sensor-ami/src/decode/transport.js";
import { decodeGeneve, decodeGre, decodeVxlan, TunnelResult } from "../../sensor-ami/src/decode/tunnels.js";
import { W } from "../../sensor-ami/src/decode/weirds.js";
import { formatAddr } from "../../sensor-ami/src/text/ip.js";

/** zeek/tunnels__vxlan.pcap frame 3: VXLAN (VNI 123) carrying an ICMP echo request. */
const VXLAN_ICMP =
  "080027f21d8c080027ae4d62080045000086d999400040116f65c0a8380bc0a8380cbc0612b5007200000800000000007b004a7f013ba271ba092b6ef8be0800450000542f4f40004001f7570a0000010a00000208004c8a0d3d0001a38c7c5700000000b5800a0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637";
/** zeek/q-in-q.pcap frame 1: two 802.1Q tags (VLAN 13 then 10) around IPv4/UDP. */
const QINQ_UDP =
  "ffffffffffff00c0e4012ced8100000d8100000a08004500002e479600004011749eac133325ac13333fbac0bac0001ab9da810b00120120ffff00ff10080a1b591a1b59";
/** zeek/mixed-vlan-mpls.pcap frame 1: one MPLS label around an IPv4 TCP SYN. */
const MPLS_TCP =
  "003096e6fc3900309605283888470001ddff45c0002c00000000ff06a4e70a0102010a2200012af9001798320ffb0000000060021020a240000002040218";
/** zeek/http__get.pcap frame 1: the client's SYN. */
const HTTP_SYN =
  "0010db88d2efc8bcc896d2a0080045000040df8e400040066dd38d8ee405c096bb2be9d00050fe21323a00000000b002ffff3bc00000020405b4010303040101080a164add200000000004020000";
/** zeek/trunc__ip4-trunc.pcap frame 1: the capture ends 6 bytes into the IPv4 header. */
const IP4_TRUNC = "0010db88d2efc8bcc896d2a00800450000200001";
/** zeek/trunc__trunc-hdr.pcap frame 1: 8 bytes, not even an Ethernet header. */
const TRUNC_HDR = "002688e78d81a820";
/** zeek/tunnels__geneve-vxlan-dns-truncated.pcap frame 1: GENEVE → VXLAN → DNS. */
const GENEVE_VXLAN =
  "0c552183136e0c552183136d0800450000a80000000020119c437f0000017f0000012e1b17c100941f5b0000080000109200450000840000000020119c677f0000017f000001670f12b500701f63080000000010920074acb93fd27d48f17fa3b6ff080045000052f30000004011cdbfac100bc90101010190080035003ec791fa480120000100000000000109636f72656c6967687403636f6d0000010001000029100000000000000c000a00088731";
/** arkime/gre-erspan-vxlan.pcap frame 1: GRE (ERSPAN II) → Ethernet → IPv4/UDP VXLAN → TCP. */
const GRE_ERSPAN =
  "bbbbbbbbbbb1aaaaaaaaaaa108004500008c00010000402fa0176414090264140901100088be000000001000001400000001ffddfffffff1eeeeeeeeeee108004500005a000100004011eb75ac101b83ac101b7912b512b60046a3b70c00000300000000ddddddddddd1aabbccddccc108004500002800010000400630210a101b0c0a101b83fe960050000000000000000050022000464d0000";
/** zeek/ipv6-http-atomic-frag.pcap frame 1: IPv6 ICMPv6 neighbour advertisement. */
const IPV6_ATOMIC =
  "00101895316aaa0004000a0486dd6000000000203aff20010db800010000000000000000000120010db80001000000000000000000028800546ce000000020010db80001000000000000000000010201aa0004000a04";

function packet(hex: string): DecodedPacket {
  const p = new DecodedPacket();
  p.buf = Uint8Array.from(Buffer.from(hex, "hex"));
  p.capEnd = p.buf.length;
  return p;
}

describe("link layer", () => {
  it("walks two 802.1Q tags and records both VLAN ids", () => {
    // Prepare
    const p = packet(QINQ_UDP);
    // Act
    const next = decodeLink(p, 0, LINKTYPE_ETHERNET);
    // Assess
    expect(next).toBe(Layer.IPv4);
    expect([p.vlan, p.innerVlan, p.vlanDepth, p.ipOff]).toEqual([13, 10, 2, 22]);
  });

  it("pops an MPLS label stack and finds IPv4 by its version nibble", () => {
    const p = packet(MPLS_TCP);
    expect(decodeLink(p, 0, LINKTYPE_ETHERNET)).toBe(Layer.IPv4);
    expect(p.ipOff).toBe(18);
  });

  it("reports a frame shorter than an Ethernet header as truncated, without throwing", () => {
    const p = packet(TRUNC_HDR);
    expect(decodeLink(p, 0, LINKTYPE_ETHERNET)).toBe(-W.truncatedLink);
  });

  it("refuses an unknown link type", () => {
    const p = packet(HTTP_SYN);
    expect(decodeLink(p, 0, 147)).toBe(-W.unknownLinkType);
  });
});

describe("IP and transport", () => {
  it("decodes an IPv4 TCP SYN with options", () => {
    // Prepare
    const p = packet(HTTP_SYN);
    const frag = new FragmentInfo();
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    // Act
    const next = decodeIPv4(p, frag, true);
    const r = decodeTcp(p, true);
    // Assess
    expect(next).toBe(Layer.Tcp);
    expect(r).toBe(0);
    expect(formatAddr(p.s0, p.s1, p.s2, p.s3)).toBe("141.142.228.5");
    expect(formatAddr(p.d0, p.d1, p.d2, p.d3)).toBe("192.150.187.43");
    expect([p.sport, p.dport, p.tcpFlags & TCP_SYN, p.tcpHdrLen, p.payloadLen, p.ipTotalLen]).toEqual([
      59856,
      80,
      TCP_SYN,
      44,
      0,
      64,
    ]);
    expect(p.badChecksum).toBe(false);
  });

  it("detects a corrupted TCP checksum", () => {
    const bytes = Buffer.from(HTTP_SYN, "hex");
    bytes[bytes.length - 1] ^= 0xff;
    const p = packet(bytes.toString("hex"));
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    decodeIPv4(p, new FragmentInfo(), true);
    decodeTcp(p, true);
    expect(p.badChecksum).toBe(true);
  });

  it("reports an IPv4 header cut off by the capture as truncated_IP", () => {
    const p = packet(IP4_TRUNC);
    expect(decodeLink(p, 0, LINKTYPE_ETHERNET)).toBe(Layer.IPv4);
    expect(decodeIPv4(p, new FragmentInfo(), true)).toBe(-W.truncatedIp);
  });

  it("reports a TCP header cut off mid-way as truncated_header", () => {
    const p = packet(HTTP_SYN.slice(0, (14 + 20 + 10) * 2));
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    decodeIPv4(p, new FragmentInfo(), false);
    expect(decodeTcp(p, false)).toBe(-W.truncatedHeader);
  });

  it("decodes IPv6 with ICMPv6 and verifies its pseudo-header checksum", () => {
    const p = packet(IPV6_ATOMIC);
    const frag = new FragmentInfo();
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    expect(decodeIPv6(p, frag)).toBe(Layer.Icmp6);
    expect(frag.isFragment).toBe(false);
    expect(decodeIcmp(p, true, true)).toBe(0);
    expect([p.icmpType, p.badChecksum]).toEqual([136, false]);
    expect(formatAddr(p.s0, p.s1, p.s2, p.s3)).toBe("2001:db8:1::1");
  });
});

describe("tunnels", () => {
  it("decapsulates VXLAN: VNI 123 and an inner ICMP echo", () => {
    // Prepare
    const p = packet(VXLAN_ICMP);
    const frag = new FragmentInfo();
    const t = new TunnelResult();
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    decodeIPv4(p, frag, true);
    decodeUdp(p, true);
    // Act
    const next = decodeVxlan(p, t);
    const inner = decodeEthernet(p, t.innerOff);
    decodeIPv4(p, frag, true);
    decodeIcmp(p, false, true);
    // Assess
    expect(next).toBe(Layer.Ethernet);
    expect(inner).toBe(Layer.IPv4);
    expect(p.vni).toBe(123);
    expect(formatAddr(p.s0, p.s1, p.s2, p.s3)).toBe("10.0.0.1");
    expect([p.icmpType, p.icmpCode, p.payloadLen]).toEqual([8, 0, 56]);
  });

  it("decapsulates GENEVE then VXLAN and reaches the truncated inner DNS", () => {
    const p = packet(GENEVE_VXLAN);
    const frag = new FragmentInfo();
    const t = new TunnelResult();
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    decodeIPv4(p, frag, false);
    decodeUdp(p, false);
    expect(p.dport).toBe(6081);
    expect(decodeGeneve(p, t)).toBe(Layer.IPv4);
    p.ipOff = t.innerOff;
    decodeIPv4(p, frag, false);
    decodeUdp(p, false);
    expect(decodeVxlan(p, t)).toBe(Layer.Ethernet);
    decodeEthernet(p, t.innerOff);
    decodeIPv4(p, frag, false);
    decodeUdp(p, false);
    expect([p.dport, p.payloadCap < p.payloadLen]).toEqual([53, true]);
  });

  it("decapsulates GRE with ERSPAN type II to the mirrored Ethernet frame", () => {
    const p = packet(GRE_ERSPAN);
    const t = new TunnelResult();
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    expect(decodeIPv4(p, new FragmentInfo(), true)).toBe(Layer.Gre);
    expect(decodeGre(p, t)).toBe(Layer.Ethernet);
    expect(t.kind).toBe("erspan");
    expect(decodeEthernet(p, t.innerOff)).toBe(Layer.IPv4);
  });

  it("flags a VXLAN header cut off by the capture", () => {
    const p = packet(VXLAN_ICMP.slice(0, (14 + 20 + 8 + 4) * 2));
    decodeLink(p, 0, LINKTYPE_ETHERNET);
    decodeIPv4(p, new FragmentInfo(), false);
    decodeUdp(p, false);
    expect(decodeVxlan(p, new TunnelResult())).toBe(-W.truncatedVxlan);
  });
});

describe("fragment reassembly", () => {
  function fragment(id: number, offset: number, more: boolean, payload: number[]): DecodedPacket {
    const total = 20 + payload.length;
    const hdr = [
      0x45,
      0,
      total >> 8,
      total & 255,
      id >> 8,
      id & 255,
      ((more ? 0x20 : 0) | (offset >> 11)) & 0xff,
      (offset >> 3) & 0xff,
      64,
      17,
      0,
      0,
      10,
      0,
      0,
      1,
      10,
      0,
      0,
      2,
    ];
    const p = new DecodedPacket();
    p.buf = Uint8Array.from([...hdr, ...payload]);
    p.capEnd = p.buf.length;
    p.ipOff = 0;
    return p;
  }

  it("reassembles out-of-order fragments and keeps the first copy of an overlap", () => {
    // Prepare: a UDP datagram of 8 header bytes + 16 payload bytes in three fragments.
    const r = new FragmentReassembler();
    const f = new FragmentInfo();
    const udp = [0x30, 0x39, 0x00, 0x35, 0x00, 24, 0, 0];
    const data = Array.from({ length: 16 }, (_, i) => i);
    const parts = [
      fragment(7, 8, true, data.slice(0, 8)),
      fragment(7, 16, false, data.slice(8)),
      fragment(7, 0, true, udp),
    ];
    // Act
    const results = parts.map((p) => {
      expect(decodeIPv4(p, f, false)).toBe(Layer.FragmentHeld);
      return { layer: r.add(p, f, 1, 0), p };
    });
    // Assess
    expect(results[0].layer).toBe(Layer.FragmentHeld);
    expect(results[1].layer).toBe(Layer.FragmentHeld);
    expect(results[2].layer).toBe(Layer.Udp);
    const done = results[2].p;
    expect(done.l4Len).toBe(24);
    expect([...done.buf.subarray(done.l4Off + 8)]).toEqual(data);
    expect(r.size).toBe(0);
  });

  it("reports an overlap whose bytes differ and keeps the first copy", () => {
    // Prepare: bytes 8..16 arrive twice with different content.
    const r = new FragmentReassembler();
    const f = new FragmentInfo();
    const first = fragment(9, 8, true, [1, 2, 3, 4, 5, 6, 7, 8]);
    const overlapping = fragment(9, 8, false, [9, 9, 9, 9, 9, 9, 9, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    const head = fragment(9, 0, true, [0x30, 0x39, 0x00, 0x35, 0x00, 24, 0, 0]);
    // Act
    decodeIPv4(first, f, false);
    r.add(first, f, 1, 0);
    decodeIPv4(overlapping, f, false);
    r.add(overlapping, f, 1, 0);
    const weirdOnOverlap = r.sideWeird;
    decodeIPv4(head, f, false);
    const layer = r.add(head, f, 1, 0);
    // Assess
    expect(weirdOnOverlap).toBe(W.fragmentOverlap);
    expect(layer).toBe(Layer.Udp);
    expect([...head.buf.subarray(head.l4Off + 8, head.l4Off + 24)]).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17,
    ]);
  });

  it("owns the bytes of held fragments: reusing the capture buffer does not corrupt them", () => {
    // Prepare: the reader reuses its buffer, so a held fragment's source bytes get overwritten.
    const r = new FragmentReassembler();
    const f = new FragmentInfo();
    const tail = fragment(11, 8, false, [21, 22, 23, 24, 25, 26, 27, 28]);
    decodeIPv4(tail, f, false);
    r.add(tail, f, 1, 0);
    tail.buf.fill(0);
    // Act
    const head = fragment(11, 0, true, [0x30, 0x39, 0x00, 0x35, 0x00, 16, 0, 0]);
    decodeIPv4(head, f, false);
    const layer = r.add(head, f, 1, 0);
    // Assess
    expect(layer).toBe(Layer.Udp);
    expect([...head.buf.subarray(head.l4Off + 8, head.l4Off + 16)]).toEqual([21, 22, 23, 24, 25, 26, 27, 28]);
  });

  it("bounds the table by dropping the oldest datagram, and drops datagrams that time out", () => {
    // Prepare: a table of two, filled by datagrams 0 and 1 (first fragments only).
    const r = new FragmentReassembler({ timeoutSeconds: 30, maxPending: 2, maxFragmentsPerDatagram: 8 });
    const f = new FragmentInfo();
    for (let id = 0; id < 2; id++) {
      const p = fragment(id, 0, true, [1, 2, 3, 4, 5, 6, 7, 8]);
      decodeIPv4(p, f, false);
      expect(r.add(p, f, 0, 0)).toBe(Layer.FragmentHeld);
    }
    const third = fragment(99, 0, true, [1, 2, 3, 4, 5, 6, 7, 8]);
    const tailOfFirst = fragment(0, 8, false, [9, 9, 9, 9, 9, 9, 9, 9]);
    const tailOfSecond = fragment(1, 8, false, [9, 9, 9, 9, 9, 9, 9, 9]);
    // Act: a third datagram arrives; then the tails of the second and the first.
    decodeIPv4(third, f, false);
    const thirdLayer = r.add(third, f, 1, 0);
    decodeIPv4(tailOfSecond, f, false);
    const secondLayer = r.add(tailOfSecond, f, 2, 0);
    decodeIPv4(tailOfFirst, f, false);
    const firstLayer = r.add(tailOfFirst, f, 2, 0);
    const expired = r.expire(100);
    // Assess: datagram 0 (the oldest) made room, so its tail starts a new datagram; 1 completed;
    // at t=100 the third and the restarted 0 are past the timeout.
    expect(thirdLayer).toBe(Layer.FragmentHeld);
    expect(firstLayer).toBe(Layer.FragmentHeld);
    expect(secondLayer).toBe(Layer.Udp);
    expect(r.evicted).toBe(1);
    expect(expired).toBe(2);
    expect(r.timedOut).toBe(2);
    expect(r.size).toBe(0);
    expect(r.loss.datagrams).toBe(3);
    expect(r.loss.isFlood).toBe(false);
  });
});
