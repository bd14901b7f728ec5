import { describe, expect, it } from "vitest";
import { dnsUdp, parseDnsMessage, probeDnsMessage } from "../../../sensor-ami/src/protocols/dns/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { emptyEmitted, loadFrames, recordingContext } from "./support.js";

// zeek/wikipedia.pcap frame 20: query 0x65f0 for upload.wikimedia.org A; frame 21: its response,
// CNAME upload.pmtpa.wikimedia.org (RR at offset 38, RDLENGTH at 48) then A 208.80.152.3 (RR at 65,
// TYPE at 67, RDLENGTH at 75, RDATA at 77).
const wikipedia = loadFrames("zeek/wikipedia.pcap");
const query = wikipedia.find((f) => f.frame === 20)!.payload;
const response = wikipedia.find((f) => f.frame === 21)!.payload;

function mutated(bytes: Uint8Array, edits: Record<number, number>): Uint8Array {
  const copy = Uint8Array.from(bytes);
  for (const [offset, value] of Object.entries(edits)) copy[Number(offset)] = value;
  return copy;
}

function parse(bytes: Uint8Array) {
  const parsed = parseDnsMessage(bytes);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

function runPair(queryBytes: Uint8Array, responseBytes: Uint8Array) {
  const emitted = emptyEmitted();
  const analyzer = dnsUdp.create!(
    recordingContext(emitted, { orig_h: "a", orig_p: 1, resp_h: "b", resp_p: 53 }),
  );
  analyzer.packet(true, queryBytes, 1);
  analyzer.packet(false, responseBytes, 1.5);
  analyzer.end(2);
  return emitted;
}

describe("malformed DNS becomes weirds, never exceptions", () => {
  it("a message shorter than the header: DNS_truncated_len_lt_hdr_len, a readable error, a violation", () => {
    // Prepare
    const short = query.subarray(0, 11);
    // Act
    const parsed = parseDnsMessage(short);
    const emitted = runPair(short, short);
    // Assess
    expect(parsed).toEqual({
      ok: false,
      error: "DNS message of 11 bytes is shorter than the 12-byte header",
      weirds: [{ name: "DNS_truncated_len_lt_hdr_len" }],
    });
    expect(emitted.logs).toEqual([]);
    expect(emitted.violations.length).toBeGreaterThan(0);
  });

  it("a question cut short: DNS_truncated_quest_too_short, the transaction still logged", () => {
    // The name ends at offset 34; QTYPE/QCLASS are cut.
    const emitted = runPair(query.subarray(0, 36), response);
    expect(emitted.weirds.map((w) => w.name)).toEqual(["DNS_truncated_quest_too_short"]);
    expect(emitted.logs).toHaveLength(1);
    expect(emitted.logs[0].record).toMatchObject({
      trans_id: 0x65f0,
      query: "upload.wikimedia.org",
      rcode: 0,
    });
  });

  it("a response cut inside the second record header keeps the first answer", () => {
    const emitted = runPair(query, response.subarray(0, 70));
    expect(emitted.weirds.map((w) => w.name)).toEqual(["DNS_truncated_ans_too_short"]);
    expect(emitted.logs[0].record.answers).toEqual(["upload.pmtpa.wikimedia.org"]);
  });

  it("a response cut inside RDATA: DNS_truncated_RR_rdlength_lt_len", () => {
    const message = parse(response.subarray(0, 79));
    expect(message.weirds).toEqual([{ name: "DNS_truncated_RR_rdlength_lt_len" }]);
    expect(message.complete).toBe(false);
  });

  it("an A record with RDLENGTH 5: DNS_RR_bad_length", () => {
    const message = parse(mutated(response, { 76: 5 }));
    expect(message.weirds).toEqual([{ name: "DNS_RR_bad_length", addl: "5" }]);
    expect(message.records.map((r) => r.reply)).toEqual(["upload.pmtpa.wikimedia.org"]);
  });

  it("a CNAME whose name ends before RDLENGTH: DNS_RR_length_mismatch, realigned on RDLENGTH", () => {
    // RDLENGTH 15 → 16 makes the record claim one byte more than its name uses.
    const message = parse(mutated(response, { 49: 16 }));
    expect(message.weirds[0]).toEqual({ name: "DNS_RR_length_mismatch" });
    expect(message.records[0].reply).toBe("upload.pmtpa.wikimedia.org");
  });

  it("a 70-byte label: DNS_label_too_long", () => {
    const message = parse(mutated(response, { 12: 70 }));
    expect(message.weirds).toEqual([{ name: "DNS_label_too_long" }]);
    expect(message.questions).toEqual([]);
  });

  it("a label longer than the rest of the packet: DNS_label_len_gt_pkt", () => {
    const message = parse(mutated(query, { 12: 63 }));
    expect(message.weirds).toEqual([{ name: "DNS_label_len_gt_pkt" }]);
  });

  it("forward and self-referencing compression pointers: DNS_label_forward_compress_offset, no loop", () => {
    // The CNAME's owner is the pointer c00c at offset 38; aim it at itself, then forward.
    const self = parse(mutated(response, { 39: 38 }));
    const forward = parse(mutated(response, { 39: 80 }));
    expect(self.weirds).toEqual([{ name: "DNS_label_forward_compress_offset" }]);
    expect(forward.weirds).toEqual([{ name: "DNS_label_forward_compress_offset" }]);
    expect(self.records.map((r) => r.reply)).toEqual(["upload.pmtpa.wikimedia.org", "208.80.152.3"]);
  });

  it("an unknown record type is rendered like Zeek: <unknown type=N> and DNS_RR_unknown_type", () => {
    const message = parse(mutated(response, { 67: 0x12, 68: 0x34 }));
    expect(message.records.map((r) => r.reply)).toEqual([
      "upload.pmtpa.wikimedia.org",
      "<unknown type=4660>",
    ]);
    expect(message.weirds).toEqual([{ name: "DNS_RR_unknown_type", addl: "4660" }]);
  });

  it("over-long names from ndpi/malformed_dns.pcap: DNS_label_len_gt_name_len, rest still parsed", () => {
    // Frame 2 is a response whose second question and CNAME target run to ~1,100 bytes.
    const payload = loadFrames("ndpi/malformed_dns.pcap").find((f) => f.frame === 2)!.payload;
    const parsed = parseDnsMessage(payload, { allSections: true });
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.message.weirds.map((w) => w.name)).toContain("DNS_label_len_gt_name_len");
    expect(parsed.message.questions).toHaveLength(2);
    expect(parsed.message.questions[1].name.length).toBeLessThan(512);
    expect(parsed.message.records.filter((r) => r.type === 1).map((r) => r.reply)).toEqual(["66.66.66.66"]);
  });

  it("more than 25 questions: DNS_Conn_count_too_large and a violation (not DNS)", () => {
    const emitted = runPair(mutated(query, { 5: 26 }), response);
    expect(emitted.weirds.map((w) => w.name)).toContain("DNS_Conn_count_too_large");
    expect(emitted.violations).toContain("DNS_Conn_count_too_large: 26 questions");
  });
});

// zeek/dns-edns-ecs.pcap frame 2: a query with an EDNS Client Subnet option (family 1, /24, 3
// address bytes) at the end: OPT RDATA is the last 11 bytes (code 8, length 7, family 1, source
// prefix 24, scope 0, 3 address bytes).
describe("EDNS options (dns-edns-ecs.pcap frame 2)", () => {
  const ecs = loadFrames("zeek/dns-edns-ecs.pcap").find((f) => f.frame === 2)!.payload;
  const prefixAt = ecs.length - 5;

  it("a valid /24 client subnet gives no weird", () => {
    expect(parse(ecs).weirds).toEqual([]);
  });

  it("a prefix beyond 32 bits: EDNS_ECS_invalid_addr_v4_prefix", () => {
    expect(parse(mutated(ecs, { [prefixAt]: 33 })).weirds).toEqual([
      { name: "EDNS_ECS_invalid_addr_v4_prefix", addl: "33 bits" },
    ]);
  });

  it("a prefix longer than the address bytes sent: EDNS_ECS_invalid_addr_v4", () => {
    expect(parse(mutated(ecs, { [prefixAt]: 32 })).weirds).toEqual([
      { name: "EDNS_ECS_invalid_addr_v4", addl: "need 32 bits, have 24 bits" },
    ]);
  });

  it("an option longer than the OPT record: EDNS_truncated_option", () => {
    expect(parse(mutated(ecs, { [ecs.length - 8]: 9 })).weirds).toEqual([{ name: "EDNS_truncated_option" }]);
  });
});

describe("UDP probe decides by content", () => {
  it("says Yes to real queries and responses, mDNS announcements included", () => {
    const mdns = loadFrames("zeek/dns__mdns.pcap").find((f) => f.frame === 3)!.payload;
    expect(probeDnsMessage(query)).toBe(ProbeResult.Yes);
    expect(probeDnsMessage(response)).toBe(ProbeResult.Yes);
    expect(probeDnsMessage(mdns)).toBe(ProbeResult.Yes);
  });

  it("says No to other protocols' first datagrams and to truncated headers", () => {
    // A DHCP DISCOVER (zeek/dhcp__dhcp.pcap frame 1, first 60 bytes) and an NTP client request.
    const dhcp = Buffer.from(
      "010106003e7e0b4a0000000000000000000000000000000000000000" + "90b11c994929000000000000000000000000",
      "hex",
    );
    const ntp = Buffer.from(`e3000a00${"00".repeat(44)}`, "hex");
    expect(probeDnsMessage(Uint8Array.from(dhcp))).toBe(ProbeResult.No);
    expect(probeDnsMessage(Uint8Array.from(ntp))).toBe(ProbeResult.No);
    expect(probeDnsMessage(query.subarray(0, 10))).toBe(ProbeResult.No);
  });

  it("says Maybe to a well-formed question followed by a damaged answer", () => {
    expect(probeDnsMessage(mutated(response, { 76: 5 }))).toBe(ProbeResult.Maybe);
  });
});

describe("NetBIOS Name Service is recognised by its encoded name, not by port", () => {
  // wikipedia.pcap carries NBNS queries to port 137 (checked against Zeek in zeek-baseline.test.ts);
  // here the same header is reused with a question name chosen to look like a hash label.
  const header = Buffer.from(wikipedia.find((f) => f.frame === 20)!.payload.subarray(0, 12));
  const question = (label: string) =>
    Uint8Array.from(
      Buffer.concat([
        header,
        Buffer.from([label.length]),
        Buffer.from(label),
        Buffer.from("0000010001", "hex"),
      ]),
    );

  it("an NBNS-encoded name (EIEPENEF… = 'HOME', space-padded) is NetBIOS", () => {
    expect(parse(question("EIEPENEFCACACACACACACACACACACAAA")).netbios).toBe(true);
  });

  it("a 32-letter a–f label (hash-like DNS name) is not", () => {
    expect(parse(question("abcdefabcdefabcdefabcdefabcdefab")).netbios).toBe(false);
  });
});
