import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dnsFirstPayloadIsResponse, dnsUdp } from "../../../sensor-ami/src/protocols/dns/index.js";
import { type Emitted, FIXTURES, type Frame, loadFrames, readZeekLog, runDatagrams } from "./support.js";

// Zeek btest baselines, copied unchanged into fixtures/*.zeek-dns.log.txt (renamed: the repository
// ignores *.log): scripts.base.protocols.dns.flip (dns53.pcap), core.ipv6-frag
// (ipv6-fragmented-dns.pcap) and opt.basic (wikipedia.pcap: DNS, mDNS, LLMNR, NBNS). Their ts
// column is masked (XXXXXXXXXX.XXXXXX) and uid is engine-made, so both are left out; every other
// column is compared.
const COLUMNS = [
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "trans_id",
  "rtt",
  "query",
  "qclass",
  "qclass_name",
  "qtype",
  "qtype_name",
  "rcode",
  "rcode_name",
  "AA",
  "TC",
  "RD",
  "RA",
  "Z",
  "answers",
  "TTLs",
  "rejected",
  "opcode",
  "opcode_name",
] as const;

const MULTICAST = /^(22[4-9]|23\d)\.|^ff/i;

/** Zeek's role flip for a connection whose first DNS payload is a response to a unicast address. */
const zeekFlip = (frame: Frame) => dnsFirstPayloadIsResponse(frame.payload) && !MULTICAST.test(frame.dst);

function zeekAscii(value: unknown, column: string): string {
  if (value === undefined) return "-";
  if (typeof value === "boolean") return value ? "T" : "F";
  if (column === "rtt") return (value as number).toFixed(6);
  if (column === "TTLs") return (value as number[]).map((ttl) => ttl.toFixed(6)).join(",");
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function ourRows(emitted: Emitted): string[] {
  return emitted.logs
    .filter((entry) => entry.path === "dns")
    .map(({ record, conn }) => {
      const full: Record<string, unknown> = {
        "id.orig_h": conn.orig_h,
        "id.orig_p": conn.orig_p,
        "id.resp_h": conn.resp_h,
        "id.resp_p": conn.resp_p,
        ...record,
      };
      return COLUMNS.map((column) => zeekAscii(full[column], column)).join("\t");
    })
    .sort();
}

function zeekRows(file: string): string[] {
  return readZeekLog(file)
    .map((row) => COLUMNS.map((column) => row[column]).join("\t"))
    .sort();
}

describe("dns.log against Zeek baselines, field by field (uid and masked ts excluded)", () => {
  it.each([
    ["zeek/dns53.pcap", "zeek_dns53.pcap.zeek-dns.log.txt"],
    ["zeek/ipv6-fragmented-dns.pcap", "zeek_ipv6-fragmented-dns.pcap.zeek-dns.log.txt"],
    ["zeek/wikipedia.pcap", "zeek_wikipedia.pcap.zeek-dns.log.txt"],
  ])("%s gives Zeek's dns.log lines", (capture, baseline) => {
    // Prepare
    const frames = loadFrames(capture);
    // Act
    const emitted = runDatagrams(dnsUdp, frames, zeekFlip);
    // Assess
    expect(ourRows(emitted)).toEqual(zeekRows(baseline));
    expect(emitted.violations).toEqual([]);
  });

  it("logs the query time as ts and the reply delay as rtt", () => {
    // Prepare: ipv6-fragmented-dns.pcap frame 1 is the query for trans_id 3903, frame 2 its reply.
    const frames = loadFrames("zeek/ipv6-fragmented-dns.pcap");
    // Act
    const emitted = runDatagrams(dnsUdp, frames, zeekFlip);
    const record = emitted.logs.find((entry) => entry.record.trans_id === 3903)!.record;
    // Assess
    expect(record.ts).toBe(frames[0].ts);
    expect(record.rtt).toBeCloseTo(frames[1].ts - frames[0].ts, 9);
  });
});

describe("dns.log inside three VXLAN layers (tunnels__vxlan-triple-v2.pcap, Zeek's core.tunnels.max-depth)", () => {
  it("gives the zeek-cut columns of the baseline: endpoints and query", () => {
    // Prepare: the .cut baseline is zeek-cut output — a header line, then one tab-separated row.
    const [header, ...rows] = readFileSync(
      join(FIXTURES, "zeek_tunnels__vxlan-triple-v2.pcap.zeek-dns.log.cut"),
      "utf8",
    )
      .split("\n")
      .filter((line) => line.length > 0 && !line.startsWith("#"));
    const columns = header.split("\t");
    const expected = rows.map((row) => row.split("\t").slice(1).join("\t"));
    // Act
    const emitted = runDatagrams(dnsUdp, loadFrames("zeek/tunnels__vxlan-triple-v2.pcap"), zeekFlip);
    const actual = emitted.logs.map(({ record, conn }) => {
      const full: Record<string, unknown> = {
        "id.orig_h": conn.orig_h,
        "id.orig_p": conn.orig_p,
        "id.resp_h": conn.resp_h,
        "id.resp_p": conn.resp_p,
        ...record,
      };
      return columns
        .slice(1)
        .map((column) => String(full[column]))
        .join("\t");
    });
    // Assess
    expect(actual).toEqual(expected);
  });
});
