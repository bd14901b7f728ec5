import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dnsTcp,
  dnsUdp,
  parseDnsMessage,
  probeDnsMessage,
} from "../../../sensor-ami/src/protocols/dns/index.js";
import { emptyEmitted, loadFrames, recordingContext } from "./support.js";

// Seeds: every DNS payload of these corpus captures (queries, responses, mDNS, NBNS, EDNS, TCP).
const SEEDS = [
  "zeek/wikipedia.pcap",
  "zeek/dns-edns-ecs.pcap",
  "ndpi/malformed_dns.pcap",
  "zeek/dns__mdns.pcap",
]
  .flatMap((capture) => loadFrames(capture))
  .map((frame) => frame.payload);

/** Random edits of a real payload: byte overwrites, truncation, splices of other bytes. */
const mutatedPayload = fc
  .record({
    seed: fc.nat({ max: SEEDS.length - 1 }),
    writes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
    cut: fc.option(fc.nat()),
    splice: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 40 }))),
  })
  .map(({ seed, writes, cut, splice }) => {
    let bytes = Uint8Array.from(SEEDS[seed]);
    for (const [offset, value] of writes) if (bytes.length > 0) bytes[offset % bytes.length] = value;
    if (splice) {
      const at = splice[0] % (bytes.length + 1);
      bytes = Uint8Array.from(Buffer.concat([bytes.subarray(0, at), splice[1], bytes.subarray(at)]));
    }
    if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
    return bytes;
  });

describe("DNS robustness on mutated corpus payloads", () => {
  it("parseDnsMessage never throws and never hits its internal-error guard", () => {
    fc.assert(
      fc.property(mutatedPayload, fc.boolean(), fc.boolean(), (bytes, allSections, netbios) => {
        // Act
        const parsed = parseDnsMessage(bytes, { allSections, netbios });
        probeDnsMessage(bytes);
        // Assess
        const weirds = parsed.ok ? parsed.message.weirds : parsed.weirds;
        expect(weirds.map((w) => w.name)).not.toContain("DNS_parser_internal_error");
      }),
      { numRuns: 3000 },
    );
  });

  it("a 64 KiB message of chained compression pointers parses in bounded time", () => {
    // Prepare: one question "a", then 5,400 empty TXT records, each owner name a pointer to the
    // previous record's pointer: without the hop cap, walking record n costs n hops.
    const bytes = new Uint8Array(65535);
    bytes.set([0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00]);
    bytes.set([1, 0x61, 0, 0, 1, 0, 1], 12);
    let previous = 12;
    for (let offset = 19; offset + 12 <= bytes.length; offset += 12) {
      bytes.set([0xc0 | (previous >> 8), previous & 0xff, 0, 16, 0, 1, 0, 0, 0, 1, 0, 0], offset);
      previous = offset;
    }
    // Act
    const started = performance.now();
    const parsed = parseDnsMessage(bytes, { allSections: true });
    const elapsed = performance.now() - started;
    // Assess
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.message.weirds.map((w) => w.name)).toContain("DNS_name_too_many_pointers");
    expect(elapsed).toBeLessThan(2000);
  });

  it("the UDP and TCP analyzers survive sequences of mutated messages", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), mutatedPayload), { minLength: 1, maxLength: 8 }),
        (packets) => {
          // Prepare
          const emitted = emptyEmitted();
          const conn = { orig_h: "a", orig_p: 1, resp_h: "b", resp_p: 53 };
          const udp = dnsUdp.create!(recordingContext(emitted, conn));
          const tcp = dnsTcp.create!(recordingContext(emitted, conn));
          // Act
          packets.forEach(([isOrig, bytes], index) => {
            udp.packet(isOrig, bytes, index);
            tcp.data(isOrig, bytes, index);
          });
          udp.end(packets.length);
          tcp.end(packets.length);
          // Assess: no internal error surfaced, every record is a dns.log line with its mandatory fields.
          expect(emitted.weirds.map((w) => w.name)).not.toContain("DNS_analyzer_internal_error");
          expect(emitted.weirds.map((w) => w.name)).not.toContain("DNS_parser_internal_error");
          for (const { path, record } of emitted.logs) {
            expect(path).toBe("dns");
            expect(typeof record.trans_id).toBe("number");
            expect(typeof record.rejected).toBe("boolean");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
