import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createDhcpFactory,
  createDhcpTransactions,
  parseDhcpMessage,
  probeDhcpMessage,
} from "../../../sensor-ami/src/protocols/dhcp/index.js";
import type { AnalyzerContext } from "../../../sensor-ami/src/protocols/types.js";
import { loadDhcpFrames } from "./support.js";

// Seeds: every DHCP payload of dhcp.pcap, dhcp_inform.pcap and wireshark-dhcp.pcap.
const SEEDS = ["zeek/dhcp__dhcp.pcap", "zeek/dhcp__dhcp_inform.pcap", "arkime/wireshark-dhcp.pcap"]
  .flatMap((capture) => loadDhcpFrames(capture))
  .map((frame) => frame.payload);

/** Random edits of a real payload, concentrated on the options area where the parser branches. */
const mutatedPayload = fc
  .record({
    seed: fc.nat({ max: SEEDS.length - 1 }),
    writes: fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 })), {
      maxLength: 16,
    }),
    cut: fc.option(fc.nat({ max: 600 })),
  })
  .map(({ seed, writes, cut }) => {
    let bytes = Uint8Array.from(SEEDS[seed]);
    for (const [offset, value] of writes) bytes[offset % bytes.length] = value;
    if (cut !== null) bytes = bytes.subarray(0, cut);
    return bytes;
  });

describe("DHCP robustness on mutated corpus payloads", () => {
  it("parseDhcpMessage never throws nor hits its internal-error guard", () => {
    fc.assert(
      fc.property(mutatedPayload, (bytes) => {
        const parsed = parseDhcpMessage(bytes);
        probeDhcpMessage(bytes);
        const weirds = parsed.ok ? parsed.message.weirds : parsed.weirds;
        expect(weirds.map((w) => w.name)).not.toContain("DHCP_parser_internal_error");
      }),
      { numRuns: 3000 },
    );
  });

  it("the analyzer and shared store survive streams of mutated messages and log every typed one", () => {
    fc.assert(
      fc.property(fc.array(mutatedPayload, { minLength: 1, maxLength: 10 }), (payloads) => {
        // Prepare
        const logged: number[] = [];
        const store = createDhcpTransactions({ log: (r) => logged.push(r.msg_types.length) });
        const weirds: string[] = [];
        const ctx: AnalyzerContext = {
          log: () => {},
          weird: (name) => weirds.push(name),
          confirm: () => {},
          violation: () => {},
          connection: {
            uid: "C1",
            id: { orig_h: "0.0.0.0", orig_p: 68, resp_h: "255.255.255.255", resp_p: 67 },
          },
        };
        const analyzer = createDhcpFactory(store).create!(ctx);
        // Act
        for (const [index, bytes] of payloads.entries()) analyzer.packet(true, bytes, index);
        analyzer.end(payloads.length);
        store.flush();
        // Assess: every message with a type option ends up in exactly one record.
        const typed = payloads.filter((bytes) => {
          const parsed = parseDhcpMessage(bytes);
          return parsed.ok && parsed.message.options.messageType !== undefined;
        }).length;
        expect(logged.reduce((sum, n) => sum + n, 0)).toBe(typed);
        expect(weirds).not.toContain("DHCP_analyzer_internal_error");
        expect(weirds).not.toContain("DHCP_parser_internal_error");
      }),
      { numRuns: 500 },
    );
  });
});
