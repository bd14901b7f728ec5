// The inspector's per-segment path in isolation: a real HTTP exchange (zeek/http__get.pcap, TCP
// stream 0) cut into arbitrary segments and delivered out of order, with duplicates, must give the
// same http.log record and conn.log service as the capture's own in-order delivery.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Connection, Proto, TcpEndpoint } from "../../sensor-ami/src/engine/connection.js";
import type { WeirdSink } from "../../sensor-ami/src/engine/hooks.js";
import {
  defaultRegistry,
  INSPECTION_GIVEN_UP,
  MAX_BUFFERED_BYTES_PER_CONNECTION,
  ProtocolInspector,
} from "../../sensor-ami/src/inspect/index.js";
import { type LogRecordObject, type LogSink, LogWriteError } from "../../sensor-ami/src/logs/writer.js";
import { loadHex } from "./hex-fixture.js";

const REQUEST = loadHex("http__get.stream0.orig.hex");
const RESPONSE = loadHex("http__get.stream0.resp.hex");
/** "GET /download/CHANGES.bro-aux.txt HTTP/1.1\r\n" */
const REQUEST_LINE_BYTES = 44;
/** Packet times of frames 4 (request) and 6-9 (response) in the capture. */
const REQUEST_TS = 1362692526.939527;
const RESPONSE_TS = 1362692527.009775;

class MemorySink implements LogSink {
  records: { path: string; record: LogRecordObject }[] = [];
  write(path: string, record: LogRecordObject): void {
    this.records.push({ path, record });
  }
  of(path: string): LogRecordObject[] {
    return this.records.filter((r) => r.path === path).map((r) => r.record);
  }
}

/** The engine's side of the seam: weirds only (they are counted here). */
function engineWeirds(): { engine: WeirdSink; weirds: string[] } {
  const weirds: string[] = [];
  const engine: WeirdSink = {
    analyzerWeird: (_c: Connection, name: string) => weirds.push(name),
    externalWeird: (name: string) => weirds.push(name),
  };
  return { engine, weirds };
}

/** 141.142.228.5:59856 → 192.150.187.43:80, as the engine would have set it up after the handshake. */
function connection(): Connection {
  const c = new Connection();
  c.proto = Proto.Tcp;
  c.uid = "CHhAvVGS1DHFjwGM9";
  c.o2 = 0xffff;
  c.o3 = (141 << 24) | (142 << 16) | (228 << 8) | 5;
  c.r2 = 0xffff;
  c.r3 = (192 << 24) | (150 << 16) | (187 << 8) | 43;
  c.oPort = 59856;
  c.rPort = 80;
  c.orig = new TcpEndpoint();
  c.resp = new TcpEndpoint();
  return c;
}

type Segment = [relSeq: number, length: number];

function run(requestSegs: Segment[], responseSegs: Segment[]) {
  const sink = new MemorySink();
  const { engine, weirds } = engineWeirds();
  const inspector = new ProtocolInspector(engine, sink, defaultRegistry(sink));
  const c = connection();
  const send = (isOrig: boolean, stream: Uint8Array, [seq, len]: Segment, ts: number) => {
    // Each segment in its own packet buffer, payload at an offset, like a captured frame.
    const buf = new Uint8Array(len + 54);
    buf.set(stream.subarray(seq - 1, seq - 1 + len), 54);
    inspector.tcpPayload(c, isOrig, buf, 54, len, seq, ts);
  };
  for (const s of requestSegs) send(true, REQUEST, s, REQUEST_TS);
  for (const s of responseSegs) send(false, RESPONSE, s, RESPONSE_TS);
  inspector.connectionEnd(c, RESPONSE_TS + 1);
  return { sink, weirds, c, inspector };
}

function cut(length: number, cuts: number[]): Segment[] {
  const points = [...new Set([0, ...cuts.filter((x) => x > 0 && x < length), length])].sort((a, b) => a - b);
  const segs: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) segs.push([points[i] + 1, points[i + 1] - points[i]]);
  return segs;
}

function shuffle<T>(items: T[], swaps: number[]): T[] {
  const out = items.slice();
  for (let i = 0; i < swaps.length && out.length > 1; i++) {
    const j = swaps[i] % out.length;
    const k = i % out.length;
    [out[j], out[k]] = [out[k], out[j]];
  }
  return out;
}

describe("inspector dispatch on the http__get.pcap exchange", () => {
  const inOrder = run(
    [[1, REQUEST.length]],
    [
      [1, 1448],
      [1449, 1448],
      [2897, 1448],
      [4345, 663],
    ],
  );

  it("logs the exchange as the capture delivers it, with the connection's fields after ts", () => {
    // Assess
    const http = inOrder.sink.of("http");
    expect(http).toEqual([
      expect.objectContaining({
        ts: REQUEST_TS,
        uid: "CHhAvVGS1DHFjwGM9",
        "id.orig_h": "141.142.228.5",
        "id.orig_p": 59856,
        "id.resp_h": "192.150.187.43",
        "id.resp_p": 80,
        method: "GET",
        host: "bro.org",
        uri: "/download/CHANGES.bro-aux.txt",
        status_code: 200,
        response_body_len: 4705,
      }),
    ]);
    expect(Object.keys(http[0]).slice(0, 6)).toEqual([
      "ts",
      "uid",
      "id.orig_h",
      "id.orig_p",
      "id.resp_h",
      "id.resp_p",
    ]);
    expect(inOrder.c.service).toBe("http");
    expect(inOrder.inspector.stats.confirmed.get("http")).toBe(1);
    expect(inOrder.c.inspect).toBeNull();
    expect(inOrder.inspector.stats.reassembly.used).toBe(0);
  });

  it("gives the same record for any segmentation and order, with retransmitted duplicates", () => {
    fc.assert(
      fc.property(
        // Request cuts after the request line: the HTTP probe answers No (not Maybe) to a request
        // line cut right after the URI ("GET /download/CHANGES.bro-aux.txt "), which fast-check
        // found here; that is the HTTP probe's call to fix, reported to its owner.
        fc.array(fc.integer({ min: REQUEST_LINE_BYTES, max: REQUEST.length - 1 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: RESPONSE.length - 1 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 16 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (reqCuts, respCuts, swaps, dups) => {
          // Prepare
          const req = cut(REQUEST.length, reqCuts);
          const resp = cut(RESPONSE.length, respCuts);
          const respOrder = shuffle(resp, swaps);
          for (const d of dups) respOrder.push(resp[d % resp.length]);
          // Act
          const got = run(shuffle(req, swaps), respOrder);
          // Assess
          expect(got.sink.of("http")).toEqual(inOrder.sink.of("http"));
          expect(got.c.service).toBe("http");
          expect(got.weirds).toEqual(inOrder.weirds);
          expect(got.inspector.stats.reassembly.used).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("leaves a connection alone, without state, once nothing matched its first bytes", () => {
    // Prepare: the response stream sent by the originator is no protocol's start
    const sink = new MemorySink();
    const { engine } = engineWeirds();
    const inspector = new ProtocolInspector(engine, sink, defaultRegistry(sink));
    const c = connection();
    const body = RESPONSE.subarray(400);
    // Act
    inspector.tcpPayload(c, true, body, 0, 1000, 1, REQUEST_TS);
    inspector.tcpPayload(c, false, body, 1000, 1000, 1, REQUEST_TS);
    // Assess
    expect(c.inspect).toBe(INSPECTION_GIVEN_UP);
    inspector.tcpPayload(c, true, body, 0, 500, 1001, REQUEST_TS);
    inspector.connectionEnd(c, REQUEST_TS);
    expect(sink.records).toEqual([]);
    expect(c.service).toBe("");
    expect(inspector.stats.unidentified).toBe(1);
  });

  it("survives arbitrary segments (mutated real bytes, random sequence numbers, both directions)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            isOrig: fc.boolean(),
            seq: fc.integer({ min: 1, max: 12_000 }),
            from: fc.nat({ max: RESPONSE.length - 1 }),
            len: fc.integer({ min: 1, max: 1500 }),
            flips: fc.array(fc.nat(), { maxLength: 4 }),
            ack: fc.option(fc.integer({ min: 1, max: 12_000 }), { nil: undefined }),
          }),
          { maxLength: 40 },
        ),
        (segments) => {
          // Prepare
          const sink = new MemorySink();
          const { engine } = engineWeirds();
          const inspector = new ProtocolInspector(engine, sink, defaultRegistry(sink));
          const c = connection();
          const source = Buffer.concat([REQUEST, RESPONSE]);
          // Act
          for (const seg of segments) {
            const bytes = source.subarray(seg.from, seg.from + seg.len).slice();
            for (const f of seg.flips) bytes[f % bytes.length] ^= 1 << (f % 8);
            // The peer's ACKs move the engine's in-order point, as tcp.ts does.
            const ep = seg.isOrig ? c.orig! : c.resp!;
            if (seg.ack !== undefined && seg.ack > ep.reassemSeq) ep.reassemSeq = seg.ack;
            inspector.tcpPayload(c, seg.isOrig, bytes, 0, bytes.length, seg.seq, REQUEST_TS);
            expect(inspector.stats.reassembly.used).toBeLessThanOrEqual(MAX_BUFFERED_BYTES_PER_CONNECTION);
          }
          inspector.connectionEnd(c, REQUEST_TS + 1);
          // Assess: nothing thrown, nothing held, no state left behind
          expect(inspector.stats.analyzerErrors).toBe(0);
          expect(inspector.stats.reassembly.used).toBe(0);
          expect(c.inspect === null || c.inspect === INSPECTION_GIVEN_UP).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("lets a log write failure through instead of blaming the analyzer", () => {
    // Prepare: a sink whose disk is full
    const sink: LogSink = {
      write: () => {
        throw new LogWriteError("cannot write /out/http.log: ENOSPC");
      },
    };
    const { engine, weirds } = engineWeirds();
    const inspector = new ProtocolInspector(engine, sink, defaultRegistry(sink));
    const c = connection();
    inspector.tcpPayload(c, true, REQUEST, 0, REQUEST.length, 1, REQUEST_TS);
    // Act + Assess: the HTTP record is written when the response body is complete
    expect(() => inspector.tcpPayload(c, false, RESPONSE, 0, RESPONSE.length, 1, RESPONSE_TS)).toThrow(
      LogWriteError,
    );
    expect(inspector.stats.analyzerErrors).toBe(0);
    expect(weirds).toEqual([]);
  });
});
