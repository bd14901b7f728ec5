// The duplicate filter's promise, end to end through an engine worker: a capture interleaved
// with a delayed, re-encapsulated copy of itself (another VNI and outer source, as when both
// ends of every conversation are mirrored) yields exactly the logs of the capture alone.
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EngineWorker } from "../../sensor-ami/src/daemon/engine-worker.js";
import { InnerFlow, locateInnerIp } from "../../sensor-ami/src/daemon/inner-flow.js";
import { RingRecord } from "../../sensor-ami/src/daemon/ring.js";
import type { LogChunk } from "../../sensor-ami/src/logs/json-lines.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";
import { vxlanDatagrams } from "./support/live.js";

interface Datagram {
  bytes: Buffer;
  ts: number;
  /** Outer source (IPv4, as the socket writes it: network order read little-endian). */
  source: number;
}

/** The capture's Ethernet frames as AWS would send them from one mirror session. */
function mirrored(capture: string, vni: number, source: number): Datagram[] {
  return vxlanDatagrams(join(CORPUS_DIR, capture), vni).map((d) => ({ ...d, source }));
}

/** Runs datagrams through one engine worker, in order; returns every log's text. */
function run(datagrams: Datagram[]): Map<string, string> {
  const logs = new Map<string, string>();
  const flush = (chunks: LogChunk[]) => {
    for (const c of chunks) logs.set(c.path, (logs.get(c.path) ?? "") + c.text);
  };
  const w = new EngineWorker(
    {
      id: 0,
      engine: { seed: 1, verifyChecksums: "auto" },
      dedupWindowSeconds: 0.05,
      inspect: true,
      reportIntervalMs: 250,
    },
    flush,
  );
  const rec = new RingRecord();
  const flow = new InnerFlow();
  for (const d of datagrams) {
    locateInnerIp(d.bytes, 0, d.bytes.length, flow);
    rec.offset = 0;
    rec.length = d.bytes.length;
    rec.wireLength = d.bytes.length;
    rec.ts = d.ts;
    rec.addr[0] = d.source;
    rec.family = 4;
    rec.ipOffset = flow.ipOffset;
    w.handle(d.bytes, rec);
  }
  w.finish();
  return logs;
}

const CAPTURES = ["ja4/tls3.pcapng", "ndpi/ip_fragmented_garbage.pcap", "ndpi/android.pcap"];

describe.skipIf(!corpusAvailable())("duplicate suppression across mirror sessions", () => {
  it.each(CAPTURES)(
    "%s: the capture plus a delayed copy from another session logs as the capture alone",
    (capture) => {
      // Prepare
      const original = mirrored(capture, 100, 0x0b01000a);
      const alone = run(original);

      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 4000 }),
          fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 64 }),
          (vni, delaysMicros) => {
            // Act: each packet's copy arrives 0-40 ms after it (AWS: two ENIs, two hosts).
            const copies = mirrored(capture, vni, 0x1602000a).map((d, i) => ({
              ...d,
              ts: d.ts + delaysMicros[i % delaysMicros.length] / 1e6,
            }));
            const both = [
              ...original.map((d, i) => ({ d, k: 0, i })),
              ...copies.map((d, i) => ({ d, k: 1, i })),
            ]
              .sort((a, b) => a.d.ts - b.d.ts || a.k - b.k || a.i - b.i)
              .map((x) => x.d);
            const logs = run(both);

            // Assess
            expect([...logs.keys()].sort()).toEqual([...alone.keys()].sort());
            for (const [path, text] of alone) expect(logs.get(path), path).toBe(text);
          },
        ),
        { numRuns: 8 },
      );
    },
  );

  it("counts TCP connections seen in one direction only past their handshake (a split upstream)", () => {
    // Prepare: only the packets towards port 443 (client to server) of a TLS capture.
    const all = mirrored("ja4/tls3.pcapng", 1, 0x0b01000a);
    const oneWay = all.filter((d) => {
      const ip = 8 + 14;
      return d.bytes[ip + 9] === 6 && d.bytes.readUInt16BE(ip + (d.bytes[ip] & 0x0f) * 4 + 2) === 443;
    });
    let counters = { oneSidedTcp: 0, tcpEnded: 0 };
    const w = new EngineWorker(
      {
        id: 0,
        engine: { seed: 1, verifyChecksums: "auto" },
        dedupWindowSeconds: 0.05,
        inspect: false,
        reportIntervalMs: 250,
      },
      () => undefined,
    );
    const both = new EngineWorker(
      {
        id: 1,
        engine: { seed: 1, verifyChecksums: "auto" },
        dedupWindowSeconds: 0.05,
        inspect: false,
        reportIntervalMs: 250,
      },
      () => undefined,
    );
    const rec = new RingRecord();
    const flow = new InnerFlow();
    const feed = (worker: EngineWorker, ds: Datagram[]) => {
      for (const d of ds) {
        locateInnerIp(d.bytes, 0, d.bytes.length, flow);
        Object.assign(rec, {
          offset: 0,
          length: d.bytes.length,
          wireLength: d.bytes.length,
          ts: d.ts,
          family: 4,
          ipOffset: flow.ipOffset,
        });
        rec.addr[0] = d.source;
        worker.handle(d.bytes, rec);
      }
      worker.finish();
      return worker.counters();
    };

    // Act
    counters = feed(w, oneWay);
    const whole = feed(both, all);

    // Assess
    expect(counters.tcpEnded).toBeGreaterThan(5);
    expect(counters.oneSidedTcp).toBe(counters.tcpEnded);
    expect(whole.oneSidedTcp).toBeLessThan(whole.tcpEnded / 4);
  });

  it("records carry the VNI and mirror source they arrived with", () => {
    const logs = run(mirrored("ja4/tls3.pcapng", 4242, 0x0b01000a));
    const conn = (logs.get("conn") ?? "")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(conn.length).toBeGreaterThan(10);
    for (const r of conn)
      expect([r.vni, r.mirror_src, r.tunnel_parents]).toEqual([4242, "10.0.1.11", undefined]);
    const ssl = (logs.get("ssl") ?? "")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ssl.length).toBeGreaterThan(0);
    for (const r of ssl) expect([r.vni, r.mirror_src]).toEqual([4242, "10.0.1.11"]);
  });
});
