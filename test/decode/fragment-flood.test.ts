// Fragment floods from real fragments (pcapplusplus/ip-frag.pcap: frames 445-450 are one UDP
// datagram of 6 fragments, id 0x1e97): first fragments that never complete must cost one weird in
// all, not one each, and must not lock out a real datagram arriving in the middle of the flood.

import { describe, expect, it } from "vitest";
import {
  FRAGMENT_FLOOD_DATAGRAMS,
  FragmentReassembler,
  WEIRD_FRAGMENT_FLOOD,
} from "../../sensor-ami/src/decode/fragments.js";
import { decodeIPv4, FragmentInfo } from "../../sensor-ami/src/decode/ip.js";
import { DecodedPacket, Layer } from "../../sensor-ami/src/decode/packet.js";
import { MemoryAccount } from "../../sensor-ami/src/engine/memory-budget.js";
import { type CraftedFrame, readFrames, writePcap } from "../engine/pcap-craft.js";
import { corpusAvailable, runCapture } from "../support/corpus.js";

const IP = 14;

function fixIpv4Checksum(d: Uint8Array): void {
  d[IP + 10] = 0;
  d[IP + 11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (d[IP + i] << 8) | d[IP + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  d[IP + 10] = (~sum >> 8) & 0xff;
  d[IP + 11] = ~sum & 0xff;
}

/** The real datagram's six fragments, and `n` copies of its first fragment, each its own datagram. */
function material(n: number): { datagram: CraftedFrame[]; flood: CraftedFrame[] } {
  const frames = readFrames("pcapplusplus/ip-frag.pcap");
  const datagram = frames.slice(444, 450);
  const first = datagram[0];
  const flood: CraftedFrame[] = [];
  for (let i = 0; i < n; i++) {
    const d = Uint8Array.from(first.data);
    // Another sender (10.200.x.y) per 65,536 ids, so no copy shares the real datagram's key.
    d[IP + 12] = 10;
    d[IP + 13] = 200;
    d[IP + 14] = (i >>> 16) & 0xff;
    d[IP + 15] = 1;
    d[IP + 4] = (i >> 8) & 0xff;
    d[IP + 5] = i & 0xff;
    fixIpv4Checksum(d);
    flood.push({ ts: 0, data: d });
  }
  return { datagram, flood };
}

/** Timestamps 10 µs apart from the real datagram's first one. */
function timed(frames: CraftedFrame[], start: number): CraftedFrame[] {
  return frames.map((f, i) => ({ ...f, ts: start + i * 1e-5 }));
}

describe.skipIf(!corpusAvailable())("fragment floods", () => {
  it("reports 20,000 never-completed datagrams as one fragment_flood and still reassembles the real one inside", () => {
    // Prepare: 10,000 flood fragments, then the real datagram with 1,000 flood fragments between
    // each of its fragments (5,000 in all, fewer than the 8,192 pending datagrams the table holds:
    // dropping the oldest keeps it; refusing new datagrams while full would have lost it), then
    // the rest of the flood.
    const FLOOD = 20_000;
    const { datagram, flood } = material(FLOOD);
    const frames: CraftedFrame[] = flood.slice(0, 10_000);
    let next = 10_000;
    for (const [i, frag] of datagram.entries()) {
      frames.push(frag);
      if (i < datagram.length - 1) for (let k = 0; k < 1000; k++) frames.push(flood[next++]);
    }
    frames.push(...flood.slice(next));
    const pcap = writePcap(timed(frames, datagram[0].ts));
    // Act
    const { result, logs } = runCapture(pcap);
    // Assess
    const weirds = logs.get("weird") ?? [];
    const floods = weirds.filter((w) => w.name === WEIRD_FRAGMENT_FLOOD);
    expect(floods.length).toBe(1);
    expect(floods[0].addl).toMatch(
      /^20000 datagrams never completed \(\d+ timed out, \d+ dropped from the full table\), 20000 fragments, \d+ bytes$/,
    );
    expect(result.weirds.get("fragment_timeout")).toBeUndefined();
    expect(result.weirds.get("fragment_table_full")).toBeUndefined();
    expect(result.stats.fragmentsReassembled).toBe(1);
    const conn = logs.get("conn") ?? [];
    expect(conn.map((c) => [c["id.orig_h"], c["id.resp_h"], c.proto])).toEqual([
      ["10.118.213.212", "10.118.213.211", "udp"],
    ]);
  });

  it("reports fewer incomplete datagrams than a flood one fragment_timeout each, as before", () => {
    // Prepare
    const n = 10;
    expect(n).toBeLessThan(FRAGMENT_FLOOD_DATAGRAMS);
    const { flood } = material(n);
    const pcap = writePcap(timed(flood, 1_700_000_000));
    // Act
    const { result, logs } = runCapture(pcap);
    // Assess
    expect(result.weirds.get("fragment_timeout")).toBe(n);
    expect(result.weirds.get(WEIRD_FRAGMENT_FLOOD)).toBeUndefined();
    expect((logs.get("weird") ?? []).filter((w) => w.name === "fragment_timeout").length).toBe(n);
  });

  it("charges held fragments to the memory budget, drops the oldest when it is full and gives it all back", () => {
    // Prepare: room for about two of the real 1,480-byte first fragments.
    const account = new MemoryAccount("fragments", 4000);
    const r = new FragmentReassembler(undefined, account);
    const { flood } = material(5);
    const p = new DecodedPacket();
    const f = new FragmentInfo();
    // Act
    const layers = flood.map((fr) => {
      p.buf = fr.data;
      p.ipOff = 14;
      p.capEnd = fr.data.length;
      expect(decodeIPv4(p, f, false)).toBe(Layer.FragmentHeld);
      const layer = r.add(p, f, 1, 0);
      expect(account.used).toBeLessThanOrEqual(account.limit);
      return layer;
    });
    const pendingAtPeak = r.size;
    r.expire(Number.POSITIVE_INFINITY);
    // Assess
    expect(layers.every((l) => l === Layer.FragmentHeld)).toBe(true);
    expect(pendingAtPeak).toBe(2);
    expect(r.evicted).toBe(3);
    expect(r.timedOut).toBe(2);
    expect(account.used).toBe(0);
    expect(account.peak).toBeGreaterThan(2 * 1480);
  });
});
