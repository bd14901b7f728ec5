// The offload shape of a failed checksum, on real packets captured on offloading senders.

import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET } from "../../sensor-ami/src/capture/link-types.js";
import { decodeIPv4, FragmentInfo, IPPROTO_TCP } from "../../sensor-ami/src/decode/ip.js";
import { decodeLink } from "../../sensor-ami/src/decode/link.js";
import {
  ipv4ChecksumLooksOffloaded,
  transportChecksumLooksOffloaded,
} from "../../sensor-ami/src/decode/offload.js";
import { DecodedPacket, Layer } from "../../sensor-ami/src/decode/packet.js";
import { decodeTcp } from "../../sensor-ami/src/decode/transport.js";
import { W } from "../../sensor-ami/src/decode/weirds.js";
import { readFrames } from "../engine/pcap-craft.js";
import { corpusAvailable } from "../support/corpus.js";

function decoded(data: Uint8Array): DecodedPacket {
  const p = new DecodedPacket();
  p.buf = data;
  p.capEnd = data.length;
  expect(decodeLink(p, 0, LINKTYPE_ETHERNET)).toBe(Layer.IPv4);
  return p;
}

describe.skipIf(!corpusAvailable())("offload-shaped checksums", () => {
  it("recognises the pseudo-header sum a sender leaves in its TCP checksum (ja4/tls12.pcap frame 1)", () => {
    // Prepare
    const [frame] = readFrames("ja4/tls12.pcap");
    const p = decoded(frame.data);
    expect(decodeIPv4(p, new FragmentInfo(), true)).toBe(Layer.Tcp);
    // Act
    decodeTcp(p, true);
    // Assess: it fails verification, and fits the pattern; with one bit changed it no longer does.
    expect(p.badChecksum).toBe(true);
    expect(transportChecksumLooksOffloaded(p, IPPROTO_TCP)).toBe(true);
    frame.data[p.l4Off + 17] ^= 0x01;
    expect(transportChecksumLooksOffloaded(p, IPPROTO_TCP)).toBe(false);
  });

  it("recognises a zero IPv4 header checksum and reports the addresses of the failing header", () => {
    // Prepare: the first IPv4 frame of ja4/tls-handshake.pcapng whose header checksum field is zero
    // (its sender, 192.168.1.168, offloads the header checksum).
    const frames = readFrames("ja4/tls-handshake.pcapng");
    const frame = frames.find((f) => f.data[24] === 0 && f.data[25] === 0 && f.data[12] === 0x08)!;
    const p = decoded(frame.data);
    // Act
    const r = decodeIPv4(p, new FragmentInfo(), true);
    // Assess
    expect(r).toBe(-W.badIpChecksum);
    expect(ipv4ChecksumLooksOffloaded(p)).toBe(true);
    expect(p.s3 >>> 0).toBe(((192 << 24) | (168 << 16) | (1 << 8) | 168) >>> 0);
  });
});
