import { describe, expect, it } from "vitest";
import { probeQuic } from "../../../sensor-ami/src/protocols/quic/probe.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { bytesOf, loadFixture } from "./support.js";

const firstDatagram = (name: string, index = 0) => bytesOf(loadFixture(name).datagrams[index].hex);

describe("QUIC content probe", () => {
  it.each([
    ["quic__chromium-115.0.5790.110-api-cirrus-com.pcap", 0, "v1 client Initial (frame 1)"],
    ["quic-v2.pcapng", 0, "v2 client Initial (frame 1)"],
    ["quic-frag__input.pcap", 0, "v1 Initial with 9-byte DCID (frame 1)"],
    ["quic__chromium-115.0.5790.110-api-cirrus-com.pcap", 1, "server Initial + Handshake (frame 2)"],
    ["quic.pcap", 0, "Google QUIC Q024 client CHLO (frame 1)"],
  ])("%s #%i: %s → Yes", (name, index) => {
    expect(probeQuic(firstDatagram(name, index), index === 0)).toBe(ProbeResult.Yes);
  });

  it("a long-header Handshake packet alone is only Maybe (chromium frame 3)", () => {
    expect(probeQuic(firstDatagram("quic__chromium-115.0.5790.110-api-cirrus-com.pcap", 2), true)).toBe(
      ProbeResult.Maybe,
    );
  });

  it("a greased fixed bit on a known version is Maybe (RFC 9287; quic-v2 frame 2)", () => {
    expect(probeQuic(firstDatagram("quic-v2.pcapng", 1), false)).toBe(ProbeResult.Maybe);
  });

  it("a Google QUIC server packet (no version in its public header) is No (quic.pcap frame 3)", () => {
    expect(probeQuic(firstDatagram("quic.pcap", 2), false)).toBe(ProbeResult.No);
  });

  it("an unknown version with the fixed bit set is Maybe (RFC 8999 invariants hold)", () => {
    expect(probeQuic(bytesOf("c0deadbeef08aabbccddeeff001100"), true)).toBe(ProbeResult.Maybe);
  });

  it("short headers, unknown versions without the fixed bit, bad lengths and tiny payloads are No", () => {
    const shortHeader = firstDatagram("quic__chromium-115.0.5790.110-api-cirrus-com.pcap", 3);
    expect(probeQuic(shortHeader, true)).toBe(ProbeResult.No);
    expect(probeQuic(bytesOf("80deadbeef08aabbccddeeff001100"), true)).toBe(ProbeResult.No); // fixed bit 0
    expect(probeQuic(bytesOf("c00000000115aabb"), true)).toBe(ProbeResult.No); // DCID length 21
    expect(probeQuic(bytesOf("c000000001"), true)).toBe(ProbeResult.No);
    // a DNS query (the first bytes of a transaction ID with the high bit set look like a long header)
    expect(probeQuic(bytesOf("b1e2010000010000000000000377777706676f6f676c6503636f6d0000010001"), true)).toBe(
      ProbeResult.No,
    );
  });
});
