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
  it("parseDnsMessage never throws, never hits its internal-error guard, and terminates quickly", () => {
    fc.assert(
      fc.property(mutatedPayload, fc.boolean(), fc.boolean(), (bytes, allSections, netbios) => {
        // Act
        const started = performance.now();
        const parsed = parseDnsMessage(bytes, { allSections, netbios });
        probeDnsMessage(bytes, true);
        // Assess
        const weirds = parsed.ok ? parsed.message.weirds : parsed.weirds;
        expect(weirds.map((w) => w.name)).not.toContain("DNS_parser_internal_error");
        expect(performance.now() - started).toBeLessThan(50);
      }),
      { numRuns: 3000 },
    );
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
          // Assess: every record is a plain dns.log line with its mandatory fields.
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
