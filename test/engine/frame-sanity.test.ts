// Untrusted record-header fields: a 4 GB orig_len, a timestamp in 2106, one that steps back.
// Crafted from Zeek's http/get.pcap (one HTTP connection, 14 real packets) by editing only the
// record headers, compared against the capture as it is.

import { describe, expect, it } from "vitest";
import { W } from "../../sensor-ami/src/decode/weirds.js";
import { MonotonicClock } from "../../sensor-ami/src/engine/frame-sanity.js";
import { corpusAvailable, runCapture } from "../support/corpus.js";
import { readFrames, writePcap } from "./pcap-craft.js";

const CAPTURE = "zeek/http__get.pcap";

function conns(run: ReturnType<typeof runCapture>) {
  return (run.logs.get("conn") ?? []).map(({ uid, ...rest }) => rest);
}

describe.skipIf(!corpusAvailable())("capture record headers are untrusted", () => {
  it("counts a frame whose orig_len is 0xFFFFFFFF as its captured length, with a weird", () => {
    // Prepare
    const frames = readFrames(CAPTURE);
    const reference = runCapture(writePcap(frames));
    frames[5].origLen = 0xffffffff;
    // Act
    const run = runCapture(writePcap(frames));
    // Assess
    const wire = frames.reduce((a, f, i) => a + (i === 5 ? f.data.length : (f.origLen ?? f.data.length)), 0);
    expect(run.result.stats.bytes).toBe(wire);
    expect(run.result.stats.bytes).toBeLessThan(reference.result.stats.bytes + 1);
    expect(run.result.weirds.get("implausible_frame_length")).toBe(1);
    expect(conns(run)).toEqual(conns(reference));
  });

  it("does not let one packet stamped in 2106 expire the live connection", () => {
    // Prepare: packet 7 of the HTTP session says 2106-02-07.
    const frames = readFrames(CAPTURE);
    const reference = runCapture(writePcap(frames));
    frames[6].ts = 0xfffffff0;
    // Act
    const run = runCapture(writePcap(frames));
    // Assess: still one connection, as in the capture as it is; the packet was counted at the clock's time.
    expect(conns(run)).toEqual(conns(reference));
    expect(run.result.weirds.get("implausible_timestamp")).toBe(1);
    expect(run.result.stats.lastTs).toBe(reference.result.stats.lastTs);
    const w = (run.logs.get("weird") ?? []).find((r) => r.name === "implausible_timestamp");
    expect(w).toMatchObject({ packet: 7, ts: frames[5].ts });
  });

  it("reports a timestamp that steps back, keeps the packet's own time and the connection whole", () => {
    // Prepare: packet 9 stamped a minute before packet 8.
    const frames = readFrames(CAPTURE);
    frames[8].ts = frames[7].ts - 60;
    // Act
    const run = runCapture(writePcap(frames));
    // Assess
    expect(run.result.weirds.get("backwards_timestamp")).toBe(1);
    expect(run.logs.get("conn")).toHaveLength(1);
    const w = (run.logs.get("weird") ?? []).find((r) => r.name === "backwards_timestamp");
    expect(w).toMatchObject({ packet: 9, ts: frames[8].ts });
  });

  it("replaces a timestamp that is no time or negative by the clock's", () => {
    // Prepare
    const clock = new MonotonicClock();
    // Act / Assess
    expect([clock.admit(Number.NaN), clock.weird]).toEqual([0, W.implausibleTimestamp]);
    expect([clock.admit(1000), clock.weird]).toEqual([1000, 0]);
    expect([clock.admit(-5), clock.weird]).toEqual([1000, W.implausibleTimestamp]);
    expect([clock.admit(999), clock.weird]).toEqual([999, W.backwardsTimestamp]);
    expect([clock.admit(1001), clock.weird]).toEqual([1001, 0]);
  });
});
