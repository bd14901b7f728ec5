import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probeDhcpMessage } from "../../../sensor-ami/src/protocols/dhcp/index.js";
import { dnsUdp, probeDnsMessage } from "../../../sensor-ami/src/protocols/dns/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { type Emitted, emptyEmitted, FIXTURES, loadFrames, recordingContext } from "./support.js";

// First UDP payload of flows in the corpus benchmark capture, ≤12 per tshark protocol label
// (fixtures/extract-probe-sweep.sh): 119 labels — QUIC, STUN, SNMP, NTP, SSDP, Kerberos, RPC…
const sweep = readFileSync(join(FIXTURES, "bench_udp-first-payloads.tsv"), "utf8")
  .split("\n")
  .filter((line) => line.length > 0)
  .map((line) => {
    const [label, sport, dport, hex] = line.split("\t");
    return { label, ports: `${sport}->${dport}`, payload: Uint8Array.from(Buffer.from(hex ?? "", "hex")) };
  });

/** tshark labels of DNS-family messages, including DNS quoted inside ICMP errors and GTP tunnels. */
const DNS_FAMILY = /^(DNS|MDNS|LLMNR|NBNS|ICMP|ICMPv6|GTP <(DNS|LLMNR|MDNS)>)$/;

describe("content probes on other protocols' first datagrams", () => {
  const others = sweep.filter((row) => !DNS_FAMILY.test(row.label));

  it("the DNS probe says No to every other protocol", () => {
    // Act
    const verdicts = others.map((row) => ({ ...row, verdict: probeDnsMessage(row.payload) }));
    // Assess
    expect(others.length).toBeGreaterThan(500);
    expect(verdicts.filter((v) => v.verdict === ProbeResult.Yes).map((v) => v.label)).toEqual([]);
    expect(verdicts.filter((v) => v.verdict === ProbeResult.Maybe).map((v) => v.label)).toEqual([]);
  });

  it("the DHCP probe says Yes exactly to DHCP", () => {
    const yes = sweep
      .filter((row) => probeDhcpMessage(row.payload) === ProbeResult.Yes)
      .map((row) => row.label);
    expect(yes.length).toBeGreaterThan(0);
    expect(new Set(yes)).toEqual(new Set(["DHCP"]));
  });
});

describe("content probes on DNS traffic of the corpus", () => {
  it("says Yes or Maybe to at least 99% of the DNS messages tshark dissects, wherever they run", () => {
    // Prepare: every UDP frame of the DNS fixtures that tshark dissected as a DNS message.
    const captures = [
      "zeek/wikipedia.pcap",
      "zeek/dns__mdns.pcap",
      "pcapplusplus/DnsPackets.pcap",
      "suricata-verify/dns__bug-1158__input.pcap",
      "tcpdump/edns-opts.pcap",
      "ndpi/1kxun.pcap",
      "ndpi/badpackets.pcap",
      "pcapplusplus/many-protocols.pcap",
    ];
    const frames = captures
      .flatMap((capture) => loadFrames(capture))
      .filter((f) => f.transport === "udp" && f.oracle.id !== "");
    // Act
    const missed = frames.filter((f) => probeDnsMessage(f.payload) === ProbeResult.No);
    // Assess: the misses are the snaplen-cut headers of badpackets.pcap (fewer than 12 bytes).
    expect(frames.length).toBeGreaterThan(900);
    expect(missed.length / frames.length).toBeLessThan(0.01);
    expect(missed.every((f) => f.payload.length < 12)).toBe(true);
  });
});

describe("the analyzer reuses the probe's parse only for identical bytes", () => {
  const wikipedia = loadFrames("zeek/wikipedia.pcap");
  const query = wikipedia.find((f) => f.frame === 20)!.payload;
  const response = wikipedia.find((f) => f.frame === 21)!.payload;

  function run(probed: Uint8Array, delivered: Uint8Array): Emitted {
    const emitted = emptyEmitted();
    expect(probeDnsMessage(probed)).toBe(ProbeResult.Yes);
    const analyzer = dnsUdp.create!(
      recordingContext(emitted, { orig_h: "a", orig_p: 1, resp_h: "b", resp_p: 53 }),
    );
    analyzer.packet(true, delivered, 1);
    analyzer.packet(false, response, 1.5);
    analyzer.end(2);
    return emitted;
  }

  it("logs the same line whether or not the first message was probed", () => {
    // Prepare: the same query without a probe before it.
    const unprobed = emptyEmitted();
    const analyzer = dnsUdp.create!(
      recordingContext(unprobed, { orig_h: "a", orig_p: 1, resp_h: "b", resp_p: 53 }),
    );
    analyzer.packet(true, query, 1);
    analyzer.packet(false, response, 1.5);
    analyzer.end(2);
    // Act
    const probed = run(query, Uint8Array.from(query));
    // Assess
    expect(probed.logs).toEqual(unprobed.logs);
  });

  it("parses afresh when the probed buffer was reused for other bytes", () => {
    // Prepare: one Buffer, probed, then overwritten in place (as capture buffers are) with the
    // query's ID changed, and handed to the analyzer.
    const shared = Buffer.from(query);
    const emitted = emptyEmitted();
    expect(probeDnsMessage(shared)).toBe(ProbeResult.Yes);
    shared[0] ^= 0xff;
    const analyzer = dnsUdp.create!(
      recordingContext(emitted, { orig_h: "a", orig_p: 1, resp_h: "b", resp_p: 53 }),
    );
    // Act
    analyzer.packet(true, shared, 1);
    analyzer.end(2);
    // Assess: the logged transaction ID is the overwritten one.
    expect(emitted.logs.map((log) => log.record.trans_id)).toEqual([((query[0] ^ 0xff) << 8) | query[1]]);
  });
});
