import { describe, expect, it } from "vitest";
import { parseDhcpMessage } from "../../../sensor-ami/src/protocols/dhcp/index.js";
import { type DhcpFrame, loadDhcpFrames } from "./support.js";

const CAPTURES = [
  "zeek/dhcp__dhcp.pcap",
  "zeek/dhcp__dhcp_inform.pcap",
  "zeek/dhcp__dhcp_flood.pcap",
  "arkime/wireshark-dhcp.pcap",
  "ja4/dhcp.pcapng",
];

/** Our parse of a frame in tshark's field formats (empty string when absent). */
function ourFields(frame: DhcpFrame): DhcpFrame["oracle"] {
  const parsed = parseDhcpMessage(frame.payload);
  if (!parsed.ok) throw new Error(`frame ${frame.frame}: ${parsed.error}`);
  const { message } = parsed;
  const { options } = message;
  return {
    xid: `0x${message.xid.toString(16).padStart(8, "0")}`,
    msgType: String(options.messageType ?? ""),
    mac: message.chaddr,
    hostName: options.hostName ?? "",
    requested: options.requestedAddr ?? "",
    lease: options.leaseTime === undefined ? "" : String(options.leaseTime),
    domain: options.domainName ?? "",
    message: options.message ?? "",
    yiaddr: message.yiaddr,
    serverId: options.serverId ?? "",
  };
}

describe("DHCP parser against tshark 4.0 (xid, type, chaddr, options 12/15/50/51/54/56, yiaddr)", () => {
  it.each(CAPTURES)("%s: every field of every frame agrees", (capture) => {
    // Prepare
    const frames = loadDhcpFrames(capture);
    // Act
    const mismatches = frames
      .map((frame) => ({ frame: frame.frame, tshark: frame.oracle, ours: ourFields(frame) }))
      .filter(({ tshark, ours }) => JSON.stringify(tshark) !== JSON.stringify(ours));
    // Assess
    expect(frames.length).toBeGreaterThan(0);
    expect(mismatches).toEqual([]);
  });
});
