import { describe, expect, it } from "vitest";
import { dhcp, parseDhcpMessage, probeDhcpMessage } from "../../../sensor-ami/src/protocols/dhcp/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { loadDhcpFrames } from "./support.js";

// zeek/dhcp__dhcp.pcap frame 1: DISCOVER (options from offset 240: 53, 61, 50, 12, 55, …);
// frame 2: the OFFER. Options start at 240 with 35 01 01 (message type DISCOVER).
const frames = loadDhcpFrames("zeek/dhcp__dhcp.pcap");
const discover = frames[0].payload;
const offer = frames[1].payload;

function mutated(bytes: Uint8Array, edits: Record<number, number>): Uint8Array {
  const copy = Uint8Array.from(bytes);
  for (const [offset, value] of Object.entries(edits)) copy[Number(offset)] = value;
  return copy;
}

describe("malformed DHCP becomes weirds and readable errors, never exceptions", () => {
  it("shorter than the BOOTP header and cookie", () => {
    expect(parseDhcpMessage(discover.subarray(0, 200))).toEqual({
      ok: false,
      error: "DHCP message of 200 bytes is shorter than the 240-byte BOOTP header and cookie",
      weirds: [{ name: "DHCP_truncated_header" }],
    });
  });

  it("an op code that is neither request nor reply", () => {
    expect(parseDhcpMessage(mutated(discover, { 0: 7 }))).toEqual({
      ok: false,
      error: "BOOTP op 7 is neither request (1) nor reply (2)",
      weirds: [{ name: "DHCP_wrong_op_type" }],
    });
  });

  it("plain BOOTP without the magic cookie", () => {
    const parsed = parseDhcpMessage(mutated(discover, { 236: 0 }));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? [] : parsed.weirds).toEqual([{ name: "DHCP_no_magic_cookie" }]);
  });

  it("an option running past the datagram keeps the options before it", () => {
    const parsed = parseDhcpMessage(discover.subarray(0, 250));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.message.options.messageType).toBe(1);
    expect(parsed.message.weirds.map((w) => w.name)).toEqual(["DHCP_option_truncated"]);
  });

  it("a message-type option of the wrong length, hence no type", () => {
    // 35 01 01 → 35 00: the type option claims no value; the following bytes are read as options.
    const parsed = parseDhcpMessage(mutated(discover, { 241: 0 }));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.message.weirds[0]).toEqual({
      name: "DHCP_option_bad_length",
      addl: "option 53: 0 bytes, expected 1",
    });
    expect(parsed.message.weirds.map((w) => w.name)).toContain("DHCP_no_type_option");
  });

  it("the analyzer reports a violation for non-DHCP bytes and logs nothing", () => {
    // Prepare
    const logs: unknown[] = [];
    const violations: string[] = [];
    const analyzer = dhcp.create!({
      log: (_path, record) => logs.push(record),
      weird: () => {},
      confirm: () => {},
      violation: (reason) => violations.push(reason),
    });
    // Act
    analyzer.packet(true, new TextEncoder().encode("definitely not BOOTP"), 1);
    analyzer.end(2);
    // Assess
    expect(logs).toEqual([]);
    expect(violations).toEqual([
      "DHCP message of 20 bytes is shorter than the 240-byte BOOTP header and cookie",
    ]);
  });
});

describe("DHCP probe", () => {
  it("says Yes to requests and replies with the magic cookie, on any port", () => {
    expect(probeDhcpMessage(discover)).toBe(ProbeResult.Yes);
    expect(probeDhcpMessage(offer)).toBe(ProbeResult.Yes);
  });

  it("says No to a DNS query, to BOOTP without cookie and to short datagrams", () => {
    const dnsQuery = Uint8Array.from(
      Buffer.from("65f0010000010000000000000675706c6f61640977696b696d65646961036f72670000010001", "hex"),
    );
    expect(probeDhcpMessage(dnsQuery)).toBe(ProbeResult.No);
    expect(probeDhcpMessage(mutated(discover, { 238: 0 }))).toBe(ProbeResult.No);
    expect(probeDhcpMessage(discover.subarray(0, 239))).toBe(ProbeResult.No);
  });
});

// No corpus capture carries options 81 or 52, so they are appended to the real DISCOVER of
// dhcp.pcap frame 1 in place of its END option (at offset 264).
describe("less common options, grafted onto a real DISCOVER", () => {
  const END_AT = 264;
  const withOptions = (hex: string, fileArea?: string) => {
    const bytes = Buffer.concat([Buffer.from(discover.subarray(0, END_AT)), Buffer.from(`${hex}ff`, "hex")]);
    if (fileArea) Buffer.from(`${fileArea}ff`, "hex").copy(bytes, 108);
    const parsed = parseDhcpMessage(Uint8Array.from(bytes));
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.message;
  };

  it("Client FQDN (81) in DNS wire format (flag E) and in ASCII", () => {
    const wire = withOptions("5115050000" + "04686f7374076578616d706c6503636f6d00");
    const ascii = withOptions(`5113010000${Buffer.from("host.example.com").toString("hex")}`);
    expect(wire.options.clientFqdn).toBe("host.example.com");
    expect(ascii.options.clientFqdn).toBe("host.example.com");
    expect(wire.weirds).toEqual([]);
  });

  it("a non-Ethernet client identifier (61) is kept as hex and not used as the MAC", () => {
    const message = withOptions("3d0500deadbeef");
    expect(message.options.clientId).toEqual({ hwtype: 0, hwaddr: "deadbeef" });
  });

  it("Option Overload (52) makes the file field carry options", () => {
    const message = withOptions("340101", `0c03${Buffer.from("pxe").toString("hex")}`);
    expect(message.options.hostName).toBe("pxe");
  });
});
