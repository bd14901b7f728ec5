// PPP protocol-field compression (RFC 1661 §6.5) inside PPPoE sessions: nDPI's dns.pcap frames 4
// and 5 (802.1Q × 2 → PPPoE → PPP IPv4 → DNS) re-sent with the one-octet protocol field a
// compressing peer uses (0x21 instead of 0x0021, the PPPoE length one less).

import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET } from "../../sensor-ami/src/capture/link-types.js";
import { decodeLink } from "../../sensor-ami/src/decode/link.js";
import { DecodedPacket, Layer } from "../../sensor-ami/src/decode/packet.js";
import { W } from "../../sensor-ami/src/decode/weirds.js";
import { type CraftedFrame, readFrames, writePcap } from "../engine/pcap-craft.js";
import { corpusAvailable, runCapture } from "../support/corpus.js";

/** Offset of the PPP protocol field in these frames: Ethernet 12 + two tags 8 + type 2 + PPPoE 6. */
const PPP_PROTO_AT = 28;

/** The frame with its two-octet PPP protocol field compressed to one octet. */
function compressed(f: CraftedFrame): CraftedFrame {
  const d = f.data;
  expect((d[PPP_PROTO_AT] << 8) | d[PPP_PROTO_AT + 1]).toBe(0x0021);
  const out = Uint8Array.from([...d.subarray(0, PPP_PROTO_AT), ...d.subarray(PPP_PROTO_AT + 1)]);
  const pppoeLen = ((d[PPP_PROTO_AT - 2] << 8) | d[PPP_PROTO_AT - 1]) - 1;
  out[PPP_PROTO_AT - 2] = pppoeLen >> 8;
  out[PPP_PROTO_AT - 1] = pppoeLen & 0xff;
  return { ts: f.ts, data: out };
}

function decodeFrame(data: Uint8Array): [number, DecodedPacket] {
  const p = new DecodedPacket();
  p.buf = data;
  p.capEnd = data.length;
  return [decodeLink(p, 0, LINKTYPE_ETHERNET), p];
}

describe.skipIf(!corpusAvailable())("PPPoE with PPP protocol-field compression", () => {
  it("finds IPv4 after a one-octet protocol field, one byte earlier than after two", () => {
    // Prepare
    const frame = readFrames("ndpi/dns.pcap")[3];
    // Act
    const [plain, p1] = decodeFrame(frame.data);
    const [short, p2] = decodeFrame(compressed(frame).data);
    // Assess
    expect([plain, short]).toEqual([Layer.IPv4, Layer.IPv4]);
    expect(p2.ipOff).toBe(p1.ipOff - 1);
    expect(p2.buf[p2.ipOff] >> 4).toBe(4);
  });

  it("reports a PPPoE header that ends before its protocol field as truncated", () => {
    const frame = readFrames("ndpi/dns.pcap")[3];
    const [r] = decodeFrame(frame.data.subarray(0, PPP_PROTO_AT));
    expect(r).toBe(-W.truncatedPppoe);
  });

  it("tracks the DNS exchange of compressed frames exactly as of uncompressed ones", () => {
    // Prepare: the PPPoE query and reply, once as captured and once compressed.
    const frames = readFrames("ndpi/dns.pcap").slice(3, 5);
    const reference = runCapture(writePcap(frames));
    // Act
    const run = runCapture(writePcap(frames.map(compressed)));
    // Assess
    expect(run.result.stats.nonIp).toBe(0);
    const conn = run.logs.get("conn") ?? [];
    expect(conn).toHaveLength(1);
    const { orig_ip_bytes, resp_ip_bytes, ...rest } = conn[0];
    const ref = (reference.logs.get("conn") ?? [])[0];
    expect(rest).toMatchObject({
      "id.orig_h": "82.178.113.245",
      "id.resp_h": "82.178.158.181",
      "id.resp_p": 53,
      conn_state: "SF",
      orig_pkts: 1,
      resp_pkts: 1,
    });
    expect([orig_ip_bytes, resp_ip_bytes]).toEqual([ref.orig_ip_bytes, ref.resp_ip_bytes]);
  });
});
