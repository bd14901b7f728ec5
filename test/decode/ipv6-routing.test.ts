// IPv6 routing headers with segments left: the responder is the final destination (the last
// address of a type 0/2 header, Segment List[0] of an RFC 8754 segment routing header), as Zeek and
// tshark key it, and the transport checksum's pseudo header uses it (RFC 8200 §8.1). Hex dumps of
// real packets: Zeek's checksum traces (bench.pcap frames 2944/2950/2972/103506, from
// testing/btest/Traces/chksums/ip6-route0-*.pcap and mobile-ipv6/ipv6-mobile-routing.pcap) and
// zeek/ipv6-http-atomic-frag.pcap frame 33 (segments left 0).

import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET } from "../../sensor-ami/src/capture/link-types.js";
import { decodeIPv6, FragmentInfo } from "../../sensor-ami/src/decode/ip.js";
import { decodeLink } from "../../sensor-ami/src/decode/link.js";
import { DecodedPacket, Layer } from "../../sensor-ami/src/decode/packet.js";
import { decodeTcp, decodeUdp } from "../../sensor-ami/src/decode/transport.js";
import { formatAddr } from "../../sensor-ami/src/text/ip.js";
import { writePcap } from "../engine/pcap-craft.js";
import { runCapture } from "../support/corpus.js";

const HDR = "ffffffffffff00000000000086dd";
/** ip6-route0-tcp-good-chksum: SYN to port 80, type 0, segments left 2, checksum over the final address. */
const ROUTE0_TCP_GOOD = `${HDR}60000000003c2b40200104f80004000702e081fffe52ffff200104f80004000702e081fffe529a6b0604000200000000200100780001003200000000000000012001007800010032000000000000000275300050000000000000000050022000517e0000`;
/** ip6-route0-tcp-bad-chksum: the same SYN, checksummed over the header's (first-hop) destination. */
const ROUTE0_TCP_BAD = `${HDR}60000000003c2b40200104f80004000702e081fffe52ffff200104f80004000702e081fffe529a6b06040002000000002001007800010032000000000000000120010078000100320000000000000002753000500000000000000000500220002f8a0000`;
/** ip6-route0-udp-good-chksum. */
const ROUTE0_UDP_GOOD = `${HDR}6000000000342b40200104f80004000702e081fffe52ffff200104f80004000702e081fffe529a6b11040002000000002001007800010032000000000000000120010078000100320000000000000002753032c8000cde4858585858`;
/** ipv6-mobile-routing: UDP behind a type 2 header carrying the home address. */
const MOBILE_UDP = `${HDR}6000000000242b40200104f80004000702e081fffe52ffff200104f80004000702e081fffe529a6b110202010000000020010078000100320000000000000001753032c8000cde4958585858`;
/** zeek/ipv6-http-atomic-frag.pcap frame 33: type 0 with segments left 0 (already at its destination). */
const ROUTE0_DONE =
  "aa0004000a0400101895316a86dd60000000001c2b4020010db800010000000000000000000220010db80001000000000000000000010600000000000000b2ed00501bc76adf0000000050022000fa870000";

function decode(hex: string): [number, DecodedPacket] {
  const p = new DecodedPacket();
  p.buf = Uint8Array.from(Buffer.from(hex, "hex"));
  p.capEnd = p.buf.length;
  expect(decodeLink(p, 0, LINKTYPE_ETHERNET)).toBe(Layer.IPv6);
  return [decodeIPv6(p, new FragmentInfo()), p];
}

const dst = (p: DecodedPacket) => formatAddr(p.d0, p.d1, p.d2, p.d3);

/** ROUTE0_TCP_GOOD turned into a segment routing header: type 4, list reversed (Segment List[0] last). */
function segmentRouting(): string {
  const b = Buffer.from(ROUTE0_TCP_GOOD, "hex");
  const rh = 14 + 40;
  b[rh + 2] = 4;
  b[rh + 4] = 1; // Last Entry
  const first = Buffer.from(b.subarray(rh + 8, rh + 24));
  b.copy(b, rh + 8, rh + 24, rh + 40);
  first.copy(b, rh + 24);
  return b.toString("hex");
}

describe("IPv6 routing headers", () => {
  it("makes the last address of a type 0 header the destination, and verifies the checksum over it", () => {
    // Act
    const [good, p] = decode(ROUTE0_TCP_GOOD);
    decodeTcp(p, true);
    // Assess
    expect(good).toBe(Layer.Tcp);
    expect(dst(p)).toBe("2001:78:1:32::2");
    expect(p.badChecksum).toBe(false);
  });

  it("rejects the checksum computed over the first hop instead, as Zeek's chksums test expects", () => {
    const [, p] = decode(ROUTE0_TCP_BAD);
    decodeTcp(p, true);
    expect(p.badChecksum).toBe(true);
  });

  it("does the same for UDP", () => {
    const [layer, p] = decode(ROUTE0_UDP_GOOD);
    decodeUdp(p, true);
    expect([layer, dst(p), p.badChecksum]).toEqual([Layer.Udp, "2001:78:1:32::2", false]);
  });

  it("takes the home address of a Mobile IPv6 type 2 header", () => {
    const [layer, p] = decode(MOBILE_UDP);
    decodeUdp(p, true);
    expect([layer, dst(p), p.badChecksum]).toEqual([Layer.Udp, "2001:78:1:32::1", false]);
  });

  it("takes Segment List[0] of a segment routing header (RFC 8754)", () => {
    const [layer, p] = decode(segmentRouting());
    decodeTcp(p, true);
    expect([layer, dst(p), p.badChecksum]).toEqual([Layer.Tcp, "2001:78:1:32::2", false]);
  });

  it("keeps the header's destination when no segments are left", () => {
    const [layer, p] = decode(ROUTE0_DONE);
    decodeTcp(p, true);
    expect([layer, dst(p), p.badChecksum]).toEqual([Layer.Tcp, "2001:db8:1::1", false]);
  });

  it("keys the connection by the final destination in conn.log", () => {
    // Prepare
    const path = writePcap([
      { ts: 1704067231.5, data: Uint8Array.from(Buffer.from(ROUTE0_TCP_GOOD, "hex")) },
      { ts: 1704067232.5, data: Uint8Array.from(Buffer.from(ROUTE0_UDP_GOOD, "hex")) },
    ]);
    // Act
    const run = runCapture(path, { engine: { verifyChecksums: true } });
    // Assess
    const conn = run.logs.get("conn") ?? [];
    expect(conn.map((c) => [c.proto, c["id.resp_h"], c["id.resp_p"], c.history])).toEqual([
      ["tcp", "2001:78:1:32::2", 80, "S"],
      ["udp", "2001:78:1:32::2", 13000, "D"],
    ]);
    expect(run.result.weirds.size).toBe(0);
  });
});
