import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DnsTcpFramer, dnsTcp, probeDnsOverTcp } from "../../../sensor-ami/src/protocols/dns/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { emptyEmitted, type Frame, loadFrames, recordingContext, runStreams } from "./support.js";

// zeek/dns-edns-ecs.pcap holds DNS over TCP: frames 11–27 are single-segment responses on separate
// streams, frames 88/89 a query and its 1,732-byte response on one stream (tcp.stream 7).
const frames = loadFrames("zeek/dns-edns-ecs.pcap").filter((f) => f.transport === "tcp");

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunksAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe("DNS over TCP", () => {
  it("logs the query/response pair of stream 7 with proto tcp and the oracle's answers", () => {
    // Prepare
    const stream = frames.filter((f) => f.frame === 88 || f.frame === 89);
    // Act
    const emitted = runStreams(dnsTcp, stream);
    // Assess
    expect(emitted.logs).toHaveLength(1);
    const record = emitted.logs[0].record;
    expect(record).toMatchObject({
      proto: "tcp",
      trans_id: 0x06da,
      query: "weberlab.de",
      qtype: 48,
      rcode: 0,
    });
    expect(record.rtt).toBeCloseTo(stream[1].ts - stream[0].ts, 9);
    expect(record.answers).toHaveLength(Number(stream[1].oracle.ancount));
    expect(emitted.confirmed).toContain("dns");
  });

  it("gives the same records whatever the chunk boundaries, including several messages per chunk", () => {
    // Prepare: all responses of the capture as one server→client byte stream, plus a reference run.
    const stream = concat(frames.filter((f) => f.oracle.isResponse === "1").map((f) => f.payload));
    const reference = emptyEmitted();
    const whole = dnsTcp.create!(
      recordingContext(reference, { orig_h: "c", orig_p: 1, resp_h: "s", resp_p: 53 }),
    );
    whole.data(false, stream, 1);
    whole.end(1);
    expect(reference.logs.length).toBe(frames.filter((f) => f.oracle.isResponse === "1").length);

    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        // Act
        const emitted = emptyEmitted();
        const analyzer = dnsTcp.create!(
          recordingContext(emitted, { orig_h: "c", orig_p: 1, resp_h: "s", resp_p: 53 }),
        );
        for (const chunk of chunksAt(stream, cuts)) analyzer.data(false, chunk, 1);
        analyzer.end(1);
        // Assess
        expect(emitted.logs.map((l) => l.record)).toEqual(reference.logs.map((l) => l.record));
        expect(emitted.weirds).toEqual(reference.weirds);
      }),
      { numRuns: 60 },
    );
  });

  it("splits a length prefix across chunks, byte by byte", () => {
    // Prepare
    const payload = frames.find((f) => f.frame === 89)!.payload;
    const messages: number[] = [];
    const framer = new DnsTcpFramer((message) => messages.push(message.length));
    // Act
    for (let index = 0; index < payload.length; index++) framer.feed(payload.subarray(index, index + 1));
    // Assess
    expect(messages).toEqual([payload.length - 2]);
  });

  it("abandons a direction after a content gap instead of misreading the bytes that follow", () => {
    // Prepare
    const payload = frames.find((f) => f.frame === 89)!.payload;
    const emitted = emptyEmitted();
    const analyzer = dnsTcp.create!(
      recordingContext(emitted, { orig_h: "c", orig_p: 1, resp_h: "s", resp_p: 53 }),
    );
    // Act: first half, a gap, then the rest — which starts mid-message.
    analyzer.data(false, payload.subarray(0, 100), 1);
    analyzer.gap(false, 500, 1);
    analyzer.data(false, payload.subarray(600), 1);
    analyzer.end(2);
    // Assess
    expect(emitted.logs).toEqual([]);
    expect(emitted.weirds).toEqual([]);
  });

  it("probes by content: a length-prefixed DNS message is Yes on any port, other bytes are No", () => {
    // Prepare
    const query: Frame = frames.find((f) => f.frame === 88)!;
    const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    // Act / Assess
    expect(probeDnsOverTcp(query.payload)).toBe(ProbeResult.Yes);
    expect(probeDnsOverTcp(query.payload.subarray(0, 20))).toBe(ProbeResult.Maybe);
    expect(probeDnsOverTcp(http)).toBe(ProbeResult.No);
    expect(probeDnsOverTcp(query.payload.subarray(0, 5))).toBe(ProbeResult.No);
  });
});
