import { describe, expect, it } from "vitest";
import { parseDnsMessage } from "../../../sensor-ami/src/protocols/dns/index.js";
import type { DnsResourceRecord } from "../../../sensor-ami/src/protocols/dns/types.js";
import { loadFrames } from "./support.js";

function records(capture: string, frame: number): DnsResourceRecord[] {
  const payload = loadFrames(capture).find((f) => f.frame === frame)!.payload;
  const parsed = parseDnsMessage(payload, { allSections: true });
  if (!parsed.ok) throw new Error(parsed.error);
  expect(parsed.message.weirds).toEqual([]);
  return parsed.message.records;
}

const repliesOfType = (list: DnsResourceRecord[], type: number) =>
  list.filter((r) => r.type === type).map((r) => r.reply);

// Expected values are tshark 4.0's fields for the same frames (dns.soa.mname, dns.ds.algorithm,
// dns.ds.digest_type, dns.rrsig.type_covered, dns.rrsig.signers_name, dns.dnskey.algorithm, dns.ns,
// dns.ptr.domain_name), written in Zeek's dns.log renderings (main.zeek's dns_*_reply handlers).
describe("answer renderings on corpus records, in Zeek's formats", () => {
  it("SOA logs the primary name server (dns-edns-ecs.pcap frame 1)", () => {
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 1), 6)).toEqual(["ns1.weberdns.de"]);
  });

  it("NS logs the server names (dns53.pcap frame 1, authority section)", () => {
    expect(repliesOfType(records("zeek/dns53.pcap", 1), 2)).toEqual([
      "ns1.distributed.net",
      "ns2.distributed.net",
      "ns3.distributed.net",
      "ns6.distributed.net",
      "ns1.best.com",
      "ns2.best.com",
      "ns3.best.com",
    ]);
  });

  it("RRSIG, DNSKEY and DS log Zeek's short summaries (dns-edns-ecs.pcap frames 3, 6, 12)", () => {
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 3), 46)).toEqual([
      "RRSIG 1 weberdns.de",
      "RRSIG 2 weberdns.de",
      "RRSIG 28 weberdns.de",
      "RRSIG 1 weberdns.de",
    ]);
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 6), 48)).toEqual(["DNSKEY 8", "DNSKEY 8"]);
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 12), 43)).toEqual(["DS 8 2"]);
  });

  it("PTR and AAAA from an mDNS announcement (dns__mdns.pcap frame 3)", () => {
    const list = records("zeek/dns__mdns.pcap", 3);
    expect(repliesOfType(list, 12)).toEqual([
      "johanna-qemu-virtual-machine.local",
      "johanna-qemu-virtual-machine.local",
    ]);
    expect(repliesOfType(list, 28)).toEqual([
      "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4",
      "fd52:429e:c03c:8235:5968:5bc6:1563:f82f",
    ]);
  });

  it("OPT and TSIG are parsed but never become answers", () => {
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 1), 41)).toEqual([null]);
    expect(repliesOfType(records("zeek/dns-edns-ecs.pcap", 7), 250)).toEqual([null]);
  });
});

/** A response for example.com carrying one answer of `type` with `rdata` (hex). */
function responseWith(type: number, rdataHex: string): Uint8Array {
  const rdata = Buffer.from(rdataHex.replace(/\s+/g, ""), "hex");
  const header = Buffer.from("abcd81800001000100000000076578616d706c6503636f6d0000410001", "hex");
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0);
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4);
  fixed.writeUInt32BE(300, 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Uint8Array.from(Buffer.concat([header, fixed, rdata]));
}

// No capture in the corpus holds an HTTPS/SVCB answer, so these use the wire-format test vectors of
// RFC 9460 Appendix D (Figures 2–4 and 7).
describe("SVCB/HTTPS (RFC 9460 Appendix D vectors)", () => {
  it.each([
    ["AliasMode, Figure 2", 65, "0000 03666f6f 076578616d706c65 03636f6d 00", "HTTPS 0 foo.example.com"],
    ["ServiceMode root target, Figure 3", 64, "0001 00", "SVCB 1 ."],
    [
      "port, Figure 4",
      64,
      "0010 03666f6f 076578616d706c65 03636f6d 00 0003 0002 0035",
      "SVCB 16 foo.example.com port=53",
    ],
    [
      "alpn + no-default-alpn + ipv6hint, Figures 6-7 style",
      65,
      "0001 00 0001 0006 026832 026833 0002 0000 0006 0010 20010db8000000000000000000000001",
      "HTTPS 1 . alpn=h2,h3 no-default-alpn ipv6hint=2001:db8::1",
    ],
    ["ipv4hint", 65, "0001 00 0004 0008 c0000201 c0000202", "HTTPS 1 . ipv4hint=192.0.2.1,192.0.2.2"],
  ])("%s", (_label, type, rdata, expected) => {
    // Prepare
    const message = responseWith(type as number, rdata as string);
    // Act
    const parsed = parseDnsMessage(message);
    // Assess
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.message.records.map((r) => r.reply)).toEqual([expected]);
    expect(parsed.message.weirds).toEqual([]);
  });

  it("reports a parameter running past RDATA and keeps what was readable", () => {
    const parsed = parseDnsMessage(responseWith(65, "0001 00 0001 0009 026832"));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.message.records.map((r) => r.reply)).toEqual(["HTTPS 1 ."]);
    expect(parsed.message.weirds).toEqual([{ name: "DNS_SVCB_param_truncated", addl: "alpn" }]);
  });
});
